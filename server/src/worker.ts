import { loadEnv } from './config/env.js';
import { configureLogger } from './lib/logger.js';
import { startWorker } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';
import { requireMigrated } from './db/migrate.js';

const env = loadEnv();
const log = configureLogger({ level: env.LOG_LEVEL, role: 'worker' });
// Never migrates (`pnpm db:migrate` does, once): refuses to start on a database that is behind.
await requireMigrated(env.DATABASE_URL);
const worker = await startWorker(env);
log.info({ queues: worker.workers.map((w) => w.name) }, `wabahub worker running queues: ${worker.workers.map((w) => w.name).join(', ') || '(none)'}`);
onShutdown(() => worker.close());
