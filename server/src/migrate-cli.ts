import { loadEnv } from './config/env.js';
import { migrateDatabase } from './db/migrate.js';
import { seedStarterTemplates } from './modules/rule-templates/rule-templates.starters.js';

// `pnpm db:migrate`: creates the DATABASE_URL database if it is missing and applies the committed
// migrations (drizzle/), once per deploy, before any `start:server` or `start:worker` process;
// those refuse to start on a database that is behind.
const env = loadEnv();
try {
  const applied = await migrateDatabase(env.DATABASE_URL, seedStarterTemplates);
  process.stdout.write(applied.length ? `wabahub: applied ${applied.length} migration${applied.length === 1 ? '' : 's'} (${applied.join(', ')})\n` : 'wabahub: the database is up to date\n');
} catch (error) {
  process.stderr.write(`wabahub: migration failed: ${(error as Error).message}\n`);
  process.exit(1);
}
