import { randomBytes } from 'node:crypto';
import { parseEnv, type Env } from '../../server/src/config/env.js';

// The real Postgres and Redis every test talks to (never mocks); see global-setup.ts.
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A full, valid environment for one test file: its own operator key, port 0, the test database. */
export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    OPERATOR_API_KEY: `op_${randomBytes(16).toString('hex')}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    ...overrides,
  });
}
