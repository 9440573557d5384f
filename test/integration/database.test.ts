import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import { connectDatabase, executePrepared } from '../../server/src/db/client.js';
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

  it('returns the rows of the statement, with its parameters bound', async () => {
    expect(await executePrepared(database.db, sql`select ${'a'}::text as s, ${41}::int + 1 as n`)).toEqual([{ s: 'a', n: 42 }]);
  });
});
