import postgres from 'postgres';
import { TEST_DATABASE_URL } from './test-env.js';
import { connectDatabase } from '../../server/src/db/client.js';
import { runMigrations } from '../../server/src/db/migrate.js';
import { reapChildren } from './children.js';
import { seedStarterTemplates } from '../../server/src/modules/rule-templates/rule-templates.starters.js';

// Tests run against a real Postgres database of their own (wabahub_test by default), created
// afresh and migrated once per run with the same migrations production applies. Each test makes
// its own tenants through factories: nothing is truncated. Afresh, because a database that keeps
// every earlier run's rows grows without end on machines that run PostgreSQL with autovacuum off
// (this one does), and its never-analyzed tables then mislead the planner.
export default async function globalSetup(): Promise<() => void> {
  // Whatever an earlier run on this database left running goes first.
  reapChildren();
  const url = new URL(TEST_DATABASE_URL);
  const dbName = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
  await admin.unsafe(`create database "${dbName}"`);
  await admin.end();

  const database = connectDatabase(TEST_DATABASE_URL, { max: 1 });
  await runMigrations(database.db);
  await seedStarterTemplates(database.db);
  await database.close();
  // Teardown: the processes a test could not stop itself.
  return () => {
    const left = reapChildren();
    if (left > 0) process.stderr.write(`test teardown: killed ${left} wabahub process(es) a test left running\n`);
  };
}
