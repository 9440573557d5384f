import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import * as schema from './schema.js';

export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** `name`: the connections' application_name (pg_stat_activity tells the server's from the worker's). */
export function connectDatabase(url: string, options: { max?: number; name?: string } = {}): DatabaseHandle {
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection: { application_name: options.name ?? 'wabahub' } });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

const dialect = new PgDialect();

/**
 * Runs a statement built with drizzle's `sql` as a prepared statement: one round trip. drizzle
 * runs its own queries unprepared, which postgres.js sends in two when they have parameters
 * (Parse/Describe, wait for the parameter types, then Bind/Execute). Unprepared, every query is
 * planned for its values, which keeps drizzle's many queries safe from a generic plan made while a
 * table was small (autovacuum re-plans them only once it analyzes). So this is for hot paths
 * whose plans do not depend on table sizes: lookups by primary or unique key. `on`: the
 * database, or a postgres.js transaction or reserved connection to run it in.
 */
export function executePrepared<T extends Record<string, unknown>>(on: Database | postgres.Sql | postgres.TransactionSql, query: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const client = '$client' in on ? on.$client : on;
  return client.unsafe<T[]>(text, params as never[], { prepare: true }).execute();
}

/**
 * Runs statements as one transaction, prepared, in ONE round trip: begin, the statements and
 * commit are written together on a reserved connection, and Postgres runs them in order (each
 * statement sees what committed before it started, so a lock taken by one is held before the
 * next reads). If a statement fails, the commit that follows ends the aborted transaction as a
 * rollback, and the first error is thrown. Returns the rows of the last statement.
 */
export async function pipelinedTransaction<T extends Record<string, unknown>>(db: Database, statements: SQL[]): Promise<T[]> {
  const reserved = await db.$client.reserve();
  try {
    const queries = [
      reserved.unsafe('begin').execute(),
      ...statements.map((statement) => executePrepared(reserved, statement)),
      reserved.unsafe('commit').execute(),
    ];
    const settled = await Promise.allSettled(queries);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return (settled[settled.length - 2] as PromiseFulfilledResult<unknown>).value as T[];
  } finally {
    reserved.release();
  }
}
