import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connectDatabase, type Database } from './client.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));

// Where drizzle-orm's migrator records what it applied (its defaults; runMigrations keeps them).
const MIGRATIONS_TABLE = 'drizzle.__drizzle_migrations';

/**
 * Applies the drizzle-kit migrations committed in drizzle/. On its own it is not safe to run from
 * two processes at once (the second fails on "already exists"): migrateDatabase serializes runs.
 */
export async function runMigrations(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

// Any constant, the same for every wabahub process: `pg_advisory_lock` takes a bigint key.
const MIGRATION_LOCK = 7_310_461_117;

/**
 * `pnpm db:migrate` and `pnpm start`: creates the database if missing, then applies the committed
 * migrations under an advisory lock, so two deploys that migrate at once take turns (the second
 * finds nothing left to apply) instead of racing. One connection, so the lock and the migration
 * share a session. Returns the tags it applied.
 */
export async function migrateDatabase(url: string, seed?: (db: Database) => Promise<unknown>): Promise<string[]> {
  await ensureDatabase(url);
  const database = connectDatabase(url, { max: 1, name: 'wabahub-migrate' });
  try {
    await database.sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    const pending = await pendingMigrations(database.sql);
    await runMigrations(database.db);
    // Data every install has (the starter templates), written under the same lock: once.
    await seed?.(database.db);
    await database.sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    return pending;
  } finally {
    await database.close();
  }
}

/** Creates the database named in `url` if it does not exist yet (a fresh machine), through the `postgres` database. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = postgres(target.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    // CREATE DATABASE takes no parameters: the name is quoted as an identifier.
    if (rows.length === 0) await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // another process created it meanwhile
    });
  } finally {
    await admin.end();
  }
}

/** The committed migrations (drizzle/meta/_journal.json) that the database has not applied, by tag. */
export async function pendingMigrations(sql: postgres.Sql): Promise<string[]> {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: { tag: string; when: number }[] };
  // drizzle-orm's migrator applies every journal entry whose `when` is later than the newest
  // `created_at` it recorded (it stores `when` there), so that is what "behind" means here too.
  const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass(${MIGRATIONS_TABLE}) is not null as exists`;
  const last = exists ? Number((await sql.unsafe<{ last: string | null }[]>(`select max(created_at)::text as last from ${MIGRATIONS_TABLE}`))[0].last ?? -Infinity) : -Infinity;
  return journal.entries.filter((entry) => entry.when > last).map((entry) => entry.tag);
}

export class DatabaseNotReady extends Error {}

/**
 * Throws DatabaseNotReady, with one line that names `pnpm db:migrate`, unless the database at
 * `url` has applied every committed migration. The one-role processes (`start:server`,
 * `start:worker`) never migrate: several start at once in production, and a server on an
 * unmigrated database would answer every call with "relation ... does not exist".
 */
export async function assertMigrated(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'wabahub-migration-check' } });
  try {
    const pending = await pendingMigrations(sql);
    if (pending.length > 0) {
      const which = pending.length === 1 ? pending[0] : `${pending[0]} … ${pending[pending.length - 1]}`;
      throw new DatabaseNotReady(`the database is ${pending.length} migration${pending.length === 1 ? '' : 's'} behind (${which}); run \`pnpm db:migrate\` once, then start the server and worker processes`);
    }
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') {
      throw new DatabaseNotReady(`database "${decodeURIComponent(new URL(url).pathname.slice(1))}" does not exist; run \`pnpm db:migrate\` once (it creates and migrates it), then start the server and worker processes`);
    }
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** For the one-role entry points: exits with one line on stderr when the database is not migrated. */
export async function requireMigrated(url: string): Promise<void> {
  try {
    await assertMigrated(url);
  } catch (error) {
    const message = error instanceof DatabaseNotReady ? error.message : `cannot check the database's migrations: ${(error as Error).message}`;
    process.stderr.write(`wabahub: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exit(1);
  }
}
