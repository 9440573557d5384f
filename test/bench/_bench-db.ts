import postgres from 'postgres';
import { connectDatabase } from '../../server/src/db/client.js';
import { runMigrations } from '../../server/src/db/migrate.js';

// Benchmarks start from a fresh database of their own, every run. Rows left by earlier runs would
// make each run slower than the last, and this machine's PostgreSQL runs with autovacuum off (as
// CI does), so nothing would ever vacuum or analyze them. Shared by every bench in test/bench/.

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_bench';

/** Drops and recreates the bench database, then applies the migrations. Returns its URL. */
export async function freshBenchDatabase(url = BENCH_DATABASE_URL): Promise<string> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  // It is dropped without asking: refuse any database that is not obviously a bench's.
  if (!/bench/.test(name)) throw new Error(`refusing to drop database "${name}": a bench database's name must contain "bench"`);
  target.pathname = '/postgres';
  const admin = postgres(target.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const database = connectDatabase(url, { max: 1 });
  try {
    // For profiling with pg_stat_statements (preloaded cluster-wide here; optional elsewhere).
    await database.sql.unsafe('create extension if not exists pg_stat_statements').catch(() => {});
    await runMigrations(database.db);
  } finally {
    await database.close();
  }
  return url;
}

/**
 * ANALYZE, where a production autovacuum would have run by now (after a phase's setup, after
 * bulk deletes): without statistics the planner guesses, and guesses badly on tables that grew.
 */
export async function analyzeBenchDatabase(sql: postgres.Sql, tables: string[] = []): Promise<void> {
  if (tables.length === 0) await sql.unsafe('analyze');
  else for (const table of tables) await sql.unsafe(`analyze "${table}"`);
}
