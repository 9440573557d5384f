import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { connectDatabase } from '../../server/src/db/client.js';
import { TEST_DATABASE_URL } from '../setup/test-env.js';

// Round trips to Postgres are what a busy machine makes every job wait for: the database
// client must not spend two where one does. Counted as writes on the connection's socket.
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
  it('runs a drizzle query with parameters in one round trip, and a transaction of one query in three', async () => {
    let i = 0;
    expect(await writesOf(() => database.db.execute(sql`select ${++i}::int as n`))).toBe(1);
    expect(await writesOf(() => database.db.transaction((tx) => tx.execute(sql`select ${++i}::int as n`)))).toBe(3);
  });

  it('still runs a transaction as one: a failure inside rolls back what it wrote', async () => {
    const table = `tx_probe_${randomBytes(4).toString('hex')}`;
    await database.sql.unsafe(`create table ${table} (v int)`);
    try {
      await expect(database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into ${sql.identifier(table)} values (${1})`);
        throw new Error('abort');
      })).rejects.toThrow('abort');
      await database.db.execute(sql`insert into ${sql.identifier(table)} values (${2})`);
      expect(await database.sql.unsafe(`select v from ${table}`)).toEqual([{ v: 2 }]);
    } finally {
      await database.sql.unsafe(`drop table ${table}`);
    }
  });
});
