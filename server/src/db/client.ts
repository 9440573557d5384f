import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import * as schema from './schema.js';

export type Database = PostgresJsDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: { max?: number } = {}): DatabaseHandle {
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection: { application_name: 'wabahub' } });
  const db = drizzle(preparedQueries(sql), { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * drizzle runs its queries unprepared, and postgres.js sends an unprepared query that has
 * parameters in two round trips (Parse/Describe, wait for the parameter types, then
 * Bind/Execute). Prepared, it is one round trip after the first use on a connection: half the
 * waits of every query, and a transaction of one query goes from four round trips to three.
 * The client drizzle gets, and the one inside its transactions, ask for prepared statements.
 * Statement texts are bounded (structure, not values, varies), and postgres.js retires each
 * connection after its max_lifetime (30-60 min), its prepared statements with it.
 */
function preparedQueries<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, key) {
      if (key === 'unsafe') return (query: string, params?: unknown[], opts?: postgres.UnsafeQueryOptions) => (target.unsafe as postgres.Sql['unsafe'])(query, params as never, { ...opts, prepare: true });
      if (key === 'begin') {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          return ((target as postgres.Sql).begin as (...a: unknown[]) => unknown)(...args, (tx: postgres.TransactionSql) => fn(preparedQueries(tx)));
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
