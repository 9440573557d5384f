import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

// A Redis server of a test's own, on a free port: they restart it EMPTY, the way an
// operator's crash would (queues, locks, pub/sub subscriptions gone), and neither the developer's
// Redis nor the other tests' queues are touched. Needs the redis-server binary (Debian's
// redis-server package; .ci/bootstrap installs it). Fault tests restart it; a health test stops it.

export interface PrivateRedis {
  url: string;
  /** Kills the server without saving and starts it again on the same port: it comes back empty. */
  restartEmpty(): Promise<void>;
  /** Kills the server and leaves it down (restartEmpty brings it back). */
  stopServer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wabahub-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`the fault tests run a Redis of their own and need redis-server on the PATH: ${error.message}`))));
    await Promise.race([failed, waitFor(() => ping(url), `a private Redis on port ${port}`)]);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    restartEmpty: async () => {
      await kill();
      await start();
    },
    stopServer: kill,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ping(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  client.on('error', () => {}); // a refused connection is the answer here, not an incident
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
