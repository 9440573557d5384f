import type { JobsOptions, Queue } from 'bullmq';
import { JobName } from '../../queue/names.js';

// Producers' side of the outbound queue: payloads and how they are enqueued. The handlers are in
// outbound.jobs.ts; both job kinds are idempotent (they re-read Postgres).

/** One message to send. Jobs are named by the message id, so enqueuing a message twice makes one job. */
export interface SendMessageJob {
  tenantId: string;
  messageId: string;
}

/**
 * Several messages of one campaign (so of one number), sent together: one job, one query, one
 * limiter call and one claim for all of them. Campaigns enqueue their messages this way.
 */
export interface SendBatchJob {
  tenantId: string;
  campaignId: string;
  messageIds: string[];
}

/** Messages per batch: about a quarter second of the number's tier (10 to 50). */
export function batchSize(tier: number): number {
  return Math.max(10, Math.min(50, Math.round(tier / 4)));
}

/** Campaign sends queue behind conversational ones (a job without priority goes first in BullMQ). */
export const CAMPAIGN_PRIORITY = 10;

export function sendJobOptions(messageId: string, options: { priority?: number; suffix?: string; delay?: number } = {}): JobsOptions {
  return {
    delay: options.delay && options.delay > 0 ? Math.round(options.delay) : undefined,
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

/**
 * Enqueues sends in bulk (1,000 per call to Redis). With `schedule`, the i-th job comes due
 * `firstMs + i * everyMs` from now (a campaign keeping to its number's rate).
 */
export async function enqueueSends(queue: Queue, jobs: SendMessageJob[], options: { priority?: number; suffix?: string; schedule?: { firstMs: number; everyMs: number } } = {}): Promise<void> {
  const { schedule, ...rest } = options;
  for (let i = 0; i < jobs.length; i += 1_000) {
    await queue.addBulk(jobs.slice(i, i + 1_000).map((data, j) => ({
      name: JobName.Send, data,
      opts: sendJobOptions(data.messageId, { ...rest, delay: schedule ? schedule.firstMs + (i + j) * schedule.everyMs : undefined }),
    })));
  }
}

/**
 * Enqueues one campaign's messages as batches of `batchSize(tier)`, batch k due
 * `firstMs + k * size * everyMs` from now: the campaign reaches the workers at its number's rate.
 */
export async function enqueueBatches(queue: Queue, job: { tenantId: string; campaignId: string }, messageIds: string[], tier: number, schedule: { firstMs: number; everyMs: number }, suffix?: string): Promise<void> {
  const size = batchSize(tier);
  const jobs = [];
  for (let i = 0; i < messageIds.length; i += size) {
    const ids = messageIds.slice(i, i + size);
    jobs.push({
      name: JobName.SendBatch,
      data: { ...job, messageIds: ids } satisfies SendBatchJob,
      opts: { ...sendJobOptions(`batch-${ids[0]}`, { priority: CAMPAIGN_PRIORITY, suffix }), delay: Math.max(0, Math.round(schedule.firstMs + i * schedule.everyMs)) || undefined },
    });
  }
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
}

/** One campaign batch as it is, due now: a batch replaced after it failed for good. */
export async function enqueueBatch(queue: Queue, job: SendBatchJob, suffix: string): Promise<void> {
  const data: SendBatchJob = { tenantId: job.tenantId, campaignId: job.campaignId, messageIds: job.messageIds };
  await queue.add(JobName.SendBatch, data, sendJobOptions(`batch-${data.messageIds[0]}`, { priority: CAMPAIGN_PRIORITY, suffix }));
}
