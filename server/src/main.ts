import { loadEnv } from './config/env.js';
import { startServer } from './runtime.js';
import { onShutdown } from './lib/shutdown.js';

const env = loadEnv();
const server = await startServer(env);
console.log(`wabahub server listening on ${server.url} (GraphQL ${server.url}/graphql)`);
onShutdown(() => server.close());
