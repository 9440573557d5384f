import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import type { Env } from './config/env.js';
import { connectDatabase, type DatabaseHandle } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { createRedisPubSub, type RedisPubSub } from './graphql/pubsub.js';
import { createHttpApp } from './http/app.js';
import { createRedis, queuePrefix } from './queue/connection.js';
import { queueRegistry, type JobDeps } from './jobs.js';
import { createServices, type Services } from './services.js';
import { GraphClient } from './meta/graph-client.js';
import { ActivityPublisher } from './modules/activity/activity.publisher.js';
import { createQueues, type Queues } from './queue/queues.js';
import { WebhookIngest } from './modules/webhooks/webhook-ingest.js';
import { withTimeout } from './lib/timeout.js';
import { webhookReceiver, webhookVerifyRoute } from './modules/webhooks/webhooks.routes.js';
import { sweepUnfinishedEvents } from './modules/webhooks/webhooks.jobs.js';
import { createSendLimiter } from './modules/outbound/outbound.limiter.js';
import { reconcileUnknownMessages, repairRecentStatuses, requeueStaleMessages } from './modules/outbound/outbound.reconcile.js';

// The two process roles, composed from the same parts. Entry points (main.ts, worker.ts,
// start.ts) and tests call these; nothing here reads process.env.

export interface Core {
  env: Env;
  database: DatabaseHandle;
  redis: Redis;
  pubSub: RedisPubSub;
  queues: Queues;
  graph: GraphClient;
  activity: ActivityPublisher;
  services: Services;
  close(): Promise<void>;
}

export async function createCore(env: Env, options: { migrate?: boolean; role?: 'server' | 'worker' } = {}): Promise<Core> {
  const database = connectDatabase(env.DATABASE_URL, { name: options.role ? `wabahub-${options.role}` : 'wabahub' });
  if (options.migrate) await runMigrations(database.db);
  const redis = createRedis(env.REDIS_URL);
  const pubSub = createRedisPubSub(env.REDIS_URL, queuePrefix());
  const queues = createQueues(redis);
  const graph = new GraphClient({ baseUrl: env.META_GRAPH_URL, appId: env.META_APP_ID, appSecret: env.META_APP_SECRET, systemToken: env.META_SYSTEM_TOKEN, connections: env.META_HTTP_CONNECTIONS });
  const activity = new ActivityPublisher(pubSub.pubSub);
  const services = createServices({ db: database.db, sql: database.sql, env, redis, queues, graph, activity });
  return {
    env, database, redis, pubSub, queues, graph, activity, services,
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
    onEnqueueError: (error) => console.error('[webhooks] enqueue failed; the sweeper will retry:', error.message),
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
  /** How often the sweeper looks for stored events the queue lost (default SWEEP_INTERVAL_MS; 0 disables). */
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
    console.warn(`[worker] ${worker.name}: jobs still running after ${timeoutMs} ms of closing; stopping without them`);
    await worker.disconnect();
  }
}

export async function startWorker(env: Env, options: WorkerOptions = {}): Promise<RunningWorker> {
  const core = await createCore(env, { ...options, role: 'worker' });
  const deps: JobDeps = { ...core };
  const connection = createRedis(env.REDIS_URL);
  const workers = queueRegistry.map((definition) => new Worker(definition.name, definition.processor(deps), {
    connection, prefix: queuePrefix(), concurrency: typeof definition.concurrency === 'function' ? definition.concurrency(deps) : definition.concurrency,
    // A killed worker's jobs come back after this, not after BullMQ's default 30 s.
    stalledInterval: 5_000, lockDuration: 15_000,
    ...definition.workerOptions,
  }));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const sweeper = startSweeper(core, options.sweepIntervalMs ?? env.SWEEP_INTERVAL_MS, options.sweepOlderThanMs ?? env.SWEEP_AFTER_MS);
  return {
    core, workers,
    close: async () => {
      sweeper.stop();
      await Promise.all(workers.map((w) => closeWorker(w, options.closeTimeoutMs ?? WORKER_CLOSE_TIMEOUT_MS)));
      connection.disconnect();
      await core.close();
    },
  };
}

/** One sweeper at a time across all workers (a Redis lock); it only re-enqueues, so overlap is harmless. */
function startSweeper(core: Core, intervalMs: number, olderThanMs: number) {
  if (intervalMs <= 0) return { stop: () => {} };
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const lock = await core.redis.set(`${queuePrefix()}:sweeper-lock`, String(process.pid), 'PX', Math.max(intervalMs - 100, 500), 'NX');
      if (lock) {
        const swept = await sweepUnfinishedEvents(core.database.db, core.queues.webhooks, olderThanMs);
        if (swept > 0) console.log(`[sweeper] re-enqueued ${swept} unfinished webhook events`);
        // Outbound: queued messages whose job was lost (Redis restarted), and sends whose outcome
        // is unknown that a late status now explains.
        const requeued = await requeueStaleMessages(core.database.db, core.queues.outbound, core.redis, createSendLimiter(core), core.env.OUTBOUND_SWEEP_AFTER_MS);
        if (requeued > 0) console.log(`[sweeper] re-enqueued ${requeued} queued outbound messages`);
        const reconciled = await reconcileUnknownMessages(core.database.db);
        if (reconciled > 0) console.log(`[sweeper] reconciled ${reconciled} outbound messages of unknown outcome`);
        await repairRecentStatuses(core.database.db);
      }
    } catch (error) {
      console.error('[sweeper]', (error as Error).message);
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
