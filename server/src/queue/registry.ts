import type { Job, WorkerOptions } from 'bullmq';

// Every queue and the job it runs, in one place: a reader finds every job here.
export const QueueName = {
  Webhooks: 'webhooks',
  Outbound: 'outbound',
  Onboarding: 'onboarding',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export interface QueueDefinition<Deps> {
  name: QueueName;
  /** Jobs in flight per worker process; a function when it comes from the environment. */
  concurrency: number | ((deps: Deps) => number);
  /** Overrides of the worker's stall handling for this queue (e.g. how many stalls a job survives). */
  workerOptions?: Partial<Pick<WorkerOptions, 'maxStalledCount' | 'lockDuration' | 'stalledInterval'>>;
  /** Builds the processor once per worker process. */
  processor: (deps: Deps) => (job: Job, token?: string) => Promise<unknown>;
}

/** Filled by each domain's `<domain>.jobs.ts` through `jobs.ts` (see worker.ts). */
export type QueueRegistry<Deps> = QueueDefinition<Deps>[];
