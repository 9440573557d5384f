import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import type { Env } from './config/env.js';
import { connectDatabase, type DatabaseHandle } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { createRedisPubSub, type RedisPubSub } from './graphql/pubsub.js';
import type { Services } from './graphql/context.js';
import { createHttpApp } from './http/app.js';
import { logger } from './lib/logger.js';
import { withTimeout } from './lib/timeout.js';
import { GraphClient } from './meta/graph-client.js';
import { createRedis, queuePrefix } from './queue/connection.js';
import { systemClock, type JobDeps } from './queue/job-types.js';
import { createQueues, type Queues } from './queue/queues.js';
import { queueRegistry, sweepRegistry } from './queue/registry.js';
import { createServices } from './services.js';
import { WebhookIngest } from './modules/webhooks/webhook-ingest.js';
import { webhookReceiver, webhookVerifyRoute } from './modules/webhooks/webhooks.routes.js';

// The two process roles, composed from the same parts. Entry points (main.ts, worker.ts,
// start.ts) and tests call these; nothing here reads process.env.

export interface Core {
  env: Env;
  database: DatabaseHandle;
  redis: Redis;
  pubSub: RedisPubSub;
  queues: Queues;
  graph: GraphClient;
  /** What jobs, sweeps and hooks get: infrastructure only. */
  deps: JobDeps;
  services: Services;
  close(): Promise<void>;
}

export async function createCore(env: Env, options: { migrate?: boolean; role?: 'server' | 'worker' } = {}): Promise<Core> {
  const database = connectDatabase(env.DATABASE_URL, { name: options.role ? `wabahub-${options.role}` : 'wabahub' });
  if (options.migrate) await runMigrations(database.db);
  const redis = createRedis(env.REDIS_URL);
  const pubSub = createRedisPubSub(env.REDIS_URL, queuePrefix(env.WABAHUB_QUEUE_PREFIX));
  const queues = createQueues(redis, env.WABAHUB_QUEUE_PREFIX);
  const graph = new GraphClient({ baseUrl: env.META_GRAPH_URL, appId: env.META_APP_ID, appSecret: env.META_APP_SECRET, systemToken: env.META_SYSTEM_TOKEN, connections: env.META_HTTP_CONNECTIONS });
  const deps: JobDeps = { db: database.db, sql: database.sql, redis, queues, graph, publisher: pubSub.publisher, env, clock: systemClock, log: logger };
  const services = createServices(deps);
  return {
    env, database, redis, pubSub, queues, graph, deps, services,
    close: async () => {
      await queues.close();
      await graph.close();
      await pubSub.close();
      redis.disconnect();
      await database.close();
    },
  };
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  core: Core;
  close(): Promise<void>;
}

export async function startServer(env: Env, options: { migrate?: boolean; host?: string } = {}): Promise<RunningServer> {
  const core = await createCore(env, { ...options, role: 'server' });
  const ingest = new WebhookIngest(core.database.sql, core.queues.webhooks, {
    commitTimeoutMs: env.WEBHOOK_COMMIT_TIMEOUT_MS,
    onEnqueueError: (error) => logger.error({ err: error }, 'webhooks: enqueue failed; the sweeper will retry'),
  });
  const app = await createHttpApp({
    ...core,
    routes: [webhookVerifyRoute({ verifyToken: env.META_VERIFY_TOKEN })],
    rawRoutes: [(metrics) => webhookReceiver({ appSecret: env.META_APP_SECRET, ingest, received: metrics.webhooksReceived })],
  });
  const address = await app.listen({ port: env.PORT, host: options.host ?? '0.0.0.0' });
  const port = (app.server.address() as { port: number }).port;
  return {
    app, core,
    url: address.includes('0.0.0.0') ? `http://127.0.0.1:${port}` : address,
    close: async () => {
      await app.close();
      await core.close();
    },
  };
}

export interface RunningWorker {
  core: Core;
  workers: Worker[];
  close(): Promise<void>;
}

export interface WorkerOptions {
  migrate?: boolean;
  /** How often the sweeps run (default SWEEP_INTERVAL_MS; 0 disables). */
  sweepIntervalMs?: number;
  /** An unfinished event older than this is re-enqueued (default SWEEP_AFTER_MS). */
  sweepOlderThanMs?: number;
  /** How long close waits for running jobs (default WORKER_CLOSE_TIMEOUT_MS). */
  closeTimeoutMs?: number;
}

/** How long a worker's close waits for its running jobs before it stops without them. */
export const WORKER_CLOSE_TIMEOUT_MS = 20_000;

/**
 * Waits for the worker's running jobs up to `timeoutMs`, then stops without them: its Redis
 * connection is dropped, so their locks lapse and BullMQ hands them to another worker as stalled
 * (every job is idempotent). A shutdown must end even if one job does not.
 */
export async function closeWorker(worker: Worker, timeoutMs: number): Promise<void> {
  const closed = worker.close().catch(() => {});
  try {
    await withTimeout(closed, timeoutMs);
  } catch {
    // BullMQ's close, once begun, cannot be forced: it waits on the job's promise, left behind here.
    logger.warn({ queue: worker.name, timeoutMs }, 'worker: jobs still running after closing began; stopping without them');
    await worker.disconnect();
  }
}

/** One BullMQ worker per queue of the registry; a job is dispatched to its handler by name. */
export async function startWorker(env: Env, options: WorkerOptions = {}): Promise<RunningWorker> {
  const core = await createCore(env, { ...options, role: 'worker' });
  const deps: JobDeps = { ...core.deps, env: { ...env, SWEEP_AFTER_MS: options.sweepOlderThanMs ?? env.SWEEP_AFTER_MS } };
  const connection = createRedis(env.REDIS_URL);
  const workers = queueRegistry.map((definition) => {
    const handlers = new Map(definition.jobs.map((job) => [job.name as string, job.handler(deps)]));
    return new Worker(definition.name, async (job, token) => {
      const handle = handlers.get(job.name);
      if (!handle) throw new Error(`no handler for job "${job.name}" on queue ${definition.name} (see queue/registry.ts)`);
      return handle(job as never, token);
    }, {
      connection, prefix: core.queues.prefix, concurrency: typeof definition.concurrency === 'function' ? definition.concurrency(deps) : definition.concurrency,
      // A killed worker's jobs come back after this, not after BullMQ's default 30 s.
      stalledInterval: 5_000, lockDuration: 15_000,
      ...definition.workerOptions,
    });
  });
  for (const worker of workers) {
    worker.on('completed', (job) => deps.log.debug({ queue: worker.name, jobId: job.id, job: job.name, tenantId: job.data?.tenantId }, 'job completed'));
    worker.on('failed', (job, error) => {
      // DelayedError is how a job waits (a rate limit, a campaign's tick): not a failure.
      if (error.name === 'DelayedError') return;
      deps.log.warn({ queue: worker.name, jobId: job?.id, job: job?.name, tenantId: job?.data?.tenantId, attempt: job?.attemptsMade, err: error }, 'job failed; BullMQ retries it with backoff');
    });
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const sweeper = startSweeper(deps, options.sweepIntervalMs ?? env.SWEEP_INTERVAL_MS);
  return {
    core: { ...core, deps }, workers,
    close: async () => {
      sweeper.stop();
      await Promise.all(workers.map((w) => closeWorker(w, options.closeTimeoutMs ?? WORKER_CLOSE_TIMEOUT_MS)));
      connection.disconnect();
      await core.close();
    },
  };
}

/** One sweeper at a time across all workers (a Redis lock); sweeps only re-enqueue or reconcile, so overlap is harmless. */
function startSweeper(deps: JobDeps, intervalMs: number) {
  if (intervalMs <= 0) return { stop: () => {} };
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const lock = await deps.redis.set(`${deps.queues.prefix}:sweeper-lock`, String(process.pid), 'PX', Math.max(intervalMs - 100, 500), 'NX');
      if (lock) {
        for (const sweep of sweepRegistry) {
          const acted = await sweep.run(deps);
          if (acted > 0) deps.log.info({ sweep: sweep.name, acted }, 'sweeper acted');
        }
      }
    } catch (error) {
      deps.log.error({ err: error }, 'sweeper failed; retried next interval');
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
