import type { JobsOptions, Queue } from 'bullmq';

// Producers' side of the outbound queue: job names, payloads and how they are enqueued. The
// processor is in outbound.jobs.ts; both job kinds are idempotent (they re-read Postgres).

export const OutboundJobName = { Send: 'send', Campaign: 'campaign' } as const;

/** One message to send. Jobs are named by the message id, so enqueuing a message twice makes one job. */
export interface SendMessageJob {
  tenantId: string;
  messageId: string;
}

/** Campaign sends queue behind conversational ones (a job without priority goes first in BullMQ). */
export const CAMPAIGN_PRIORITY = 10;

export function sendJobOptions(messageId: string, options: { priority?: number; suffix?: string } = {}): JobsOptions {
  return {
    // BullMQ ids may not contain ':'; a suffix makes a fresh job for a message re-enqueued on resume.
    jobId: options.suffix ? `${messageId}-${options.suffix}` : messageId,
    priority: options.priority,
    // Postgres keeps the record (message and attempts), so finished jobs are not kept in Redis.
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    // Meta's errors are retried by the job itself (delays, counted in message_attempts); these
    // attempts only cover unexpected failures such as Postgres being briefly unreachable.
    attempts: 10,
    backoff: { type: 'exponential', delay: 1_000 },
  };
}

/** Enqueues sends in bulk (1,000 per call to Redis). */
export async function enqueueSends(queue: Queue, jobs: SendMessageJob[], options: { priority?: number; suffix?: string } = {}): Promise<void> {
  for (let i = 0; i < jobs.length; i += 1_000) {
    await queue.addBulk(jobs.slice(i, i + 1_000).map((data) => ({ name: OutboundJobName.Send, data, opts: sendJobOptions(data.messageId, options) })));
  }
}
