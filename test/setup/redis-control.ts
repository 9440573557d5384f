import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';

// Restarts the local Redis the way an operator's crash would: without saving, so it comes back
// EMPTY (queues, locks, pub/sub subscriptions gone). Only fault tests, which run alone, call this.
export async function restartRedisEmpty(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1'].includes(hostname)) throw new Error('refusing to restart a Redis that is not local');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const [, dir] = (await client.config('GET', 'dir')) as string[];
  await client.call('SHUTDOWN', 'NOSAVE').catch(() => {}); // the connection drops as it stops
  client.disconnect();
  await waitFor(async () => !(await ping(url)), 'Redis to stop');
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', port || '6379', '--save', '', '--appendonly', 'no', '--dir', dir || '/tmp']);
  await waitFor(() => ping(url), 'Redis to start');
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
