import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueName } from './names.js';
import { queuePrefix } from './connection.js';

// Producers' handles on every queue. Jobs are idempotent (they re-read Postgres), so BullMQ's
// at-least-once delivery is safe; completed jobs are trimmed because Postgres keeps the record.
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { count: 1000, age: 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

export function createQueues(connection: Redis, namespace: string) {
  const prefix = queuePrefix(namespace);
  const make = (name: QueueName) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const queues = {
    [QueueName.Webhooks]: make(QueueName.Webhooks),
    [QueueName.Outbound]: make(QueueName.Outbound),
    [QueueName.Onboarding]: make(QueueName.Onboarding),
    [QueueName.TenantWebhooks]: make(QueueName.TenantWebhooks),
  };
  return {
    ...queues,
    /** The Redis key prefix of this deployment's queues (and of its other keys: limiter, locks). */
    prefix,
    all: Object.values(queues),
    close: () => Promise.all(Object.values(queues).map((q) => q.close())).then(() => undefined),
  };
}

export type Queues = ReturnType<typeof createQueues>;
