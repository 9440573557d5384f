import { loadEnv } from './config/env.js';
import { startWorker } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';

const env = loadEnv();
const worker = await startWorker(env);
console.log(`wabahub worker running queues: ${worker.workers.map((w) => w.name).join(', ') || '(none)'}`);
onShutdown(() => worker.close());
