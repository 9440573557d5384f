import { DelayedError, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { JobDeps } from '../../jobs.js';
import { queuePrefix } from '../../queue/connection.js';
import { QueueName, type QueueDefinition } from '../../queue/registry.js';
import { runCampaignJob, type CampaignJob } from '../campaigns/campaigns.jobs.js';
import { SendLimiter } from './limiter.js';
import { OutboundSender, type SendJobData } from './outbound.sender.js';

// The outbound queue: every message wabahub sends goes through a `send` job; campaigns add one
// `campaign` job that enqueues their messages and reports progress. Both are idempotent: they
// re-read Postgres and return early when the work is done.

export const OutboundJobName = { Send: 'send', Campaign: 'campaign' } as const;

/** One message to send. Jobs are named by the message id, so enqueuing a message twice is one job. */
export type SendMessageJob = SendJobData;
export type { CampaignJob };

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

/** The limiter every worker and the API share: keys under the queue prefix, Redis from Core. */
export function createSendLimiter(deps: Pick<JobDeps, 'redis' | 'env'>): SendLimiter {
  return new SendLimiter(deps.redis, { prefix: queuePrefix(), recipientGapMs: deps.env.OUTBOUND_RECIPIENT_GAP_MS });
}

export function outboundQueueDefinition(): QueueDefinition<JobDeps> {
  return {
    name: QueueName.Outbound,
    concurrency: (deps) => deps.env.OUTBOUND_CONCURRENCY,
    // A send job that stalls (its worker was killed) is safe to run again: it finds its pending
    // attempt and does not resend. So it may stall any number of times.
    workerOptions: { maxStalledCount: 1_000 },
    processor: (deps) => {
      const sender = new OutboundSender({
        db: deps.database.db, graph: deps.graph, limiter: createSendLimiter(deps), activity: deps.activity,
        secretsKey: deps.env.SECRETS_KEY, systemToken: deps.env.META_SYSTEM_TOKEN,
      });
      return async (job: Job, token?: string) => {
        if (job.name === OutboundJobName.Campaign) return runCampaignJob(deps, job as Job<CampaignJob>, token);
        const result = await sender.send(job.data as SendMessageJob);
        if (result.outcome === 'delay') {
          // Waiting is not failing: the job goes to the delayed set (no attempt used) and this
          // worker takes other numbers' jobs meanwhile.
          await job.moveToDelayed(Date.now() + result.ms, token);
          throw new DelayedError(`waiting ${result.ms} ms (${result.reason})`);
        }
        return result;
      };
    },
  };
}
