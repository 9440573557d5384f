import type { Core } from './runtime.js';
import type { QueueRegistry } from './queue/registry.js';
import { webhooksQueueDefinition } from './modules/webhooks/webhooks.jobs.js';
import { outboundQueueDefinition } from './modules/outbound/outbound.jobs.js';
import { applyTemplateStatusUpdate } from './modules/message-templates/message-templates.service.js';

/** What every job processor may use. */
export type JobDeps = Omit<Core, 'close'>;

// Every job of every queue. Each domain's jobs live in its `<domain>.jobs.ts` and are listed here.
export const queueRegistry: QueueRegistry<JobDeps> = [
  // Template status webhooks keep the mirrored Meta templates current, in the same transaction.
  webhooksQueueDefinition(async (tx, change) => {
    if (change.field !== 'message_template_status_update') return;
    const v = change.value;
    if (typeof v.event !== 'string' || typeof v.message_template_name !== 'string') return;
    await applyTemplateStatusUpdate(tx as never, {
      wabaId: change.wabaId, name: v.message_template_name, language: String(v.message_template_language ?? ''), event: v.event,
      reason: typeof v.reason === 'string' ? v.reason : null, metaTemplateId: (v.message_template_id as string | number | undefined) ?? null,
    });
  }),
  outboundQueueDefinition(),
];
