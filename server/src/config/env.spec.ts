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

  it('requires every secret, and Meta itself, in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/^DATABASE_URL is missing/);
    const secrets = {
      NODE_ENV: 'production', DATABASE_URL: 'postgres://db/wabahub', REDIS_URL: 'redis://cache:6379', META_APP_SECRET: 's', META_VERIFY_TOKEN: 'v',
      META_SYSTEM_TOKEN: 't', SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), OPERATOR_API_KEY: 'x'.repeat(32),
    };
    // Not the simulator's demo app by default: production names the Graph API and the app.
    expect(() => parseEnv(secrets)).toThrow(/^META_GRAPH_URL is missing: expected an http\(s\) URL/);
    expect(() => parseEnv({ ...secrets, META_GRAPH_URL: 'https://graph.facebook.com/v21.0' })).toThrow(/^META_APP_ID is missing/);
    expect(parseEnv({ ...secrets, META_GRAPH_URL: 'https://graph.facebook.com/v21.0', META_APP_ID: '1234' }).META_GRAPH_URL).toBe('https://graph.facebook.com/v21.0');
  });

  it('stops a process at start-up with one line naming the variable', () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const result = spawnSync(tsx, [main], { env: { ...process.env, OPERATOR_API_KEY: 'short' }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('wabahub: OPERATOR_API_KEY is malformed: expected at least 16 characters');
  });
});
