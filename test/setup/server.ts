import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { testEnv } from './test-env.js';

/** A real wabahub server on a free port, with its own operator key. */
export async function startTestServer(overrides: Record<string, string> = {}): Promise<RunningServer & { operatorKey: string }> {
  const env = testEnv(overrides);
  const server = await startServer(env, { host: '127.0.0.1' });
  return Object.assign(server, { operatorKey: env.OPERATOR_API_KEY });
}
