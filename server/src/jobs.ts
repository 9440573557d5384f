import type { Core } from './runtime.js';
import type { QueueRegistry } from './queue/registry.js';
import { webhooksQueueDefinition } from './modules/webhooks/webhooks.jobs.js';
import { outboundQueueDefinition } from './modules/outbound/outbound.jobs.js';

/** What every job processor may use. */
export type JobDeps = Omit<Core, 'close'>;

// Every job of every queue. Each domain's jobs live in its `<domain>.jobs.ts` and are listed here.
export const queueRegistry: QueueRegistry<JobDeps> = [
  webhooksQueueDefinition(),
  outboundQueueDefinition(),
];
