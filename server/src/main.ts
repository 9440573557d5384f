import { loadEnv } from './config/env.js';
import { configureLogger } from './lib/logger.js';
import { startServer } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';
import { requireMigrated } from './db/migrate.js';

const env = loadEnv();
const log = configureLogger({ level: env.LOG_LEVEL, role: 'server' });
// Never migrates (`pnpm db:migrate` does, once): refuses to start on a database that is behind.
await requireMigrated(env.DATABASE_URL);
const server = await startServer(env);
log.info({ url: server.url }, `wabahub server listening on ${server.url} (GraphQL ${server.url}/graphql)`);
onShutdown(() => server.close());
