import { DelayedError, type Job } from 'bullmq';
import type { JobDeps } from '../../jobs.js';
import { queuePrefix } from '../../queue/connection.js';
import { QueueName, type QueueDefinition } from '../../queue/registry.js';
import { runCampaignJob, type CampaignJob } from '../campaigns/campaigns.jobs.js';
import { SendLimiter } from './limiter.js';
import { OutboundSender } from './outbound.sender.js';
import { OutboundJobName, type SendMessageJob } from './outbound.queue.js';

// The outbound queue: every message wabahub sends goes through a `send` job; campaigns add one
// `campaign` job that enqueues their messages and reports progress. Both are idempotent: they
// re-read Postgres and return early when the work is done.

export { OutboundJobName, CAMPAIGN_PRIORITY, enqueueSends, sendJobOptions, type SendMessageJob } from './outbound.queue.js';
export type { CampaignJob };

/** The limiter every worker and the API share: keys under the queue prefix, Redis from Core. */
export function createSendLimiter(deps: Pick<JobDeps, 'redis' | 'env'>): SendLimiter {
  return new SendLimiter(deps.redis, { prefix: queuePrefix(), recipientGapMs: deps.env.OUTBOUND_RECIPIENT_GAP_MS });
}

export function outboundQueueDefinition(): QueueDefinition<JobDeps> {
  return {
    name: QueueName.Outbound,
    concurrency: (deps) => deps.env.OUTBOUND_CONCURRENCY,
    // A send job that stalls (its worker was killed) is safe to run again: it finds its pending
    // attempt and does not resend. So it may stall any number of times, and is taken back soon
    // (a 10 s lock, renewed every 5 s, checked every 2 s) so a dead worker's sends resolve quickly.
    workerOptions: { maxStalledCount: 1_000, lockDuration: 10_000, stalledInterval: 2_000 },
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
