import type { Job, WorkerOptions } from 'bullmq';
import type postgres from 'postgres';
import type { Redis } from 'ioredis';
import type { Env } from '../config/env.js';
import type { Database } from '../db/client.js';
import type { Publisher } from '../graphql/pubsub.js';
import type { Logger } from '../lib/logger.js';
import type { GraphClient } from '../meta/graph-client.js';
import type { JobName, QueueName } from './names.js';
import type { Queues } from './queues.js';

// The contracts between the registry (registry.ts) and each domain's `<domain>.jobs.ts`.

/** What a job handler, a sweep or an after-commit hook may use: infrastructure only, never another domain's service. */
export interface JobDeps {
  db: Database;
  /** The same database through postgres.js, for bulk and prepared statements. */
  sql: postgres.Sql;
  redis: Redis;
  queues: Queues;
  graph: GraphClient;
  /** Typed Redis pub/sub: live activity and progress for the dashboard's sockets. */
  publisher: Publisher;
  env: Env;
  clock: Clock;
  log: Logger;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/**
 * A job's payload always names its tenant, so logs, limits and scoping know it before the job
 * runs; null only for a job that spans tenants, and its payload type says why.
 */
export interface JobPayload {
  tenantId: string | null;
}

/**
 * One kind of job. `handler` is built once per worker process (it may keep per-process state,
 * such as a connection semaphore) and must be idempotent: BullMQ delivers at least once, so a
 * handler re-reads Postgres and returns early when its work is already done.
 */
export interface JobDefinition<P extends JobPayload = JobPayload> {
  name: JobName;
  handler: (deps: JobDeps) => (job: Job<P>, token?: string) => Promise<unknown>;
}

export interface QueueDefinition {
  name: QueueName;
  /** Jobs in flight per worker process; a function when it comes from the environment. */
  concurrency: number | ((deps: JobDeps) => number);
  /** Overrides of the worker's stall handling for this queue (e.g. how many stalls a job survives). */
  workerOptions?: Partial<Pick<WorkerOptions, 'maxStalledCount' | 'lockDuration' | 'stalledInterval'>>;
  jobs: JobDefinition<never>[];
}

/**
 * Work a worker does on a timer, whatever the queues hold: re-enqueueing what Redis lost,
 * reconciling what Meta's answers left open. One worker at a time runs the sweeps (a Redis lock);
 * each is idempotent, so an overlap is harmless. Returns how many items it acted on.
 */
export interface SweepDefinition {
  name: string;
  run: (deps: JobDeps) => Promise<number>;
}
