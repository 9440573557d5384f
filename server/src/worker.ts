import { loadEnv } from './config/env.js';
import { configureLogger } from './lib/logger.js';
import { startWorker } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';

const env = loadEnv();
const log = configureLogger({ level: env.LOG_LEVEL, role: 'worker' });
const worker = await startWorker(env);
log.info({ queues: worker.workers.map((w) => w.name) }, `wabahub worker running queues: ${worker.workers.map((w) => w.name).join(', ') || '(none)'}`);
onShutdown(() => worker.close());
