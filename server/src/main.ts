import { loadEnv } from './config/env.js';
import { configureLogger } from './lib/logger.js';
import { startServer } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';

const env = loadEnv();
const log = configureLogger({ level: env.LOG_LEVEL, role: 'server' });
const server = await startServer(env);
log.info({ url: server.url }, `wabahub server listening on ${server.url} (GraphQL ${server.url}/graphql)`);
onShutdown(() => server.close());
