import { randomBytes } from 'node:crypto';
import { parseEnv, type Env } from '../../server/src/config/env.js';

// The real Postgres and Redis every test talks to (never mocks); see global-setup.ts.
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Every test file's own Redis namespace (queues, limiter, pub/sub): files run in parallel on one
 * Redis, and a worker of one file must never take another file's jobs. Each file imports this
 * module afresh, so each gets its own. A run started with WABAHUB_QUEUE_PREFIX set (two checkouts
 * testing on one machine) prefixes it.
 */
export const FILE_QUEUE_PREFIX = `${process.env.WABAHUB_QUEUE_PREFIX ?? 'test'}-${randomBytes(4).toString('hex')}`;

/**
 * A full, valid environment for one test file: its own operator key and queue prefix, port 0, the
 * test database. Tests change the environment only through `overrides`, never process.env.
 */
export function testEnv(overrides: Record<string, string> = {}): Env {
  return parseEnv({
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    PORT: '0',
    OPERATOR_API_KEY: `op_${randomBytes(16).toString('hex')}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    WABAHUB_QUEUE_PREFIX: FILE_QUEUE_PREFIX,
    // Tests make thousands of calls a minute with one key; the limit's own test sets a key's budget.
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  });
}
