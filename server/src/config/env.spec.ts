import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EnvError, parseEnv } from './env.js';

describe('parseEnv', () => {
  it('fills development defaults that match the Meta simulator demo app', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(4000);
    expect(env.SECRETS_KEY.length).toBe(32);
    expect(env.META_APP_SECRET).toBe('wabahub-demo-app-secret');
  });

  it('names a malformed variable and what it expects, without echoing the value', () => {
    expect(() => parseEnv({ SECRETS_KEY: 'c2hvcnQ=' })).toThrow(new EnvError('SECRETS_KEY is malformed: expected 32 bytes, base64-encoded (openssl rand -base64 32)'));
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(/^PORT is malformed: expected an integer port/);
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL is malformed/);
  });

  it('requires every secret in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/^DATABASE_URL is missing/);
  });

  it('stops a process at start-up with one line naming the variable', () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const result = spawnSync(tsx, [main], { env: { ...process.env, OPERATOR_API_KEY: 'short' }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('wabahub: OPERATOR_API_KEY is malformed: expected at least 16 characters');
  });
});
