import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { connectDatabase, executePrepared, pipelinedTransaction } from '../../server/src/db/client.js';
import { TEST_DATABASE_URL } from '../setup/test-env.js';

// Round trips to Postgres are what a busy machine makes every job wait for: hot paths must not
// spend two where one does. Counted as writes on the connection's socket.
const database = connectDatabase(TEST_DATABASE_URL, { max: 1 });
afterAll(() => database.close());

async function writesOf(run: () => Promise<unknown>): Promise<number> {
  await run(); // the first use on a connection prepares the statement
  const original = net.Socket.prototype.write;
  let writes = 0;
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
    writes++;
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof original;
  try {
    await run();
  } finally {
    net.Socket.prototype.write = original;
  }
  return writes;
}

describe('database client', () => {
  it('runs a prepared statement in one round trip, where drizzle sends its unprepared query in two', async () => {
    let i = 0;
    expect(await writesOf(() => executePrepared(database.db, sql`select ${++i}::int as n`))).toBe(1);
    expect(await writesOf(() => database.db.execute(sql`select ${++i}::int as n`))).toBe(2);
  });

  it('runs a transaction of statements in one round trip, returning the last one\'s rows, and rolls all back when one fails', async () => {
    const table = `tx_probe_${randomBytes(4).toString('hex')}`;
    await database.sql.unsafe(`create table ${table} (v int primary key)`);
    try {
      const name = sql.identifier(table);
      let v = 0;
      // One write: begin, both statements and commit leave together (after a first run prepares them).
      expect(await writesOf(() => pipelinedTransaction(database.db, [sql`insert into ${name} values (${++v})`, sql`select count(*)::int as n from ${name}`]))).toBe(1);
      expect(await pipelinedTransaction(database.db, [sql`insert into ${name} values (${++v})`, sql`select count(*)::int as n from ${name}`])).toEqual([{ n: 3 }]);
      // The second statement fails (a duplicate key): the first one's row is rolled back with it.
      await expect(pipelinedTransaction(database.db, [sql`insert into ${name} values (${100})`, sql`insert into ${name} values (${1})`])).rejects.toThrow(/duplicate key/);
      expect(await database.sql.unsafe(`select v from ${table} order by v`)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
      // And the connection is clean for the next one.
      expect(await pipelinedTransaction(database.db, [sql`select 1 as one`])).toEqual([{ one: 1 }]);
    } finally {
      await database.sql.unsafe(`drop table ${table}`);
    }
  });

  it('returns the rows of the statement, with its parameters bound', async () => {
    expect(await executePrepared(database.db, sql`select ${'a'}::text as s, ${41}::int + 1 as n`)).toEqual([{ s: 'a', n: 42 }]);
  });
});
