import type { Job } from 'bullmq';

// Every queue and the job it runs, in one place: a reader finds every job here.
export const QueueName = {
  Webhooks: 'webhooks',
  Outbound: 'outbound',
  Onboarding: 'onboarding',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export interface QueueDefinition<Deps> {
  name: QueueName;
  concurrency: number;
  /** Builds the processor once per worker process. */
  processor: (deps: Deps) => (job: Job) => Promise<unknown>;
}

/** Filled by each domain's `<domain>.jobs.ts` through `jobs.ts` (see worker.ts). */
export type QueueRegistry<Deps> = QueueDefinition<Deps>[];
