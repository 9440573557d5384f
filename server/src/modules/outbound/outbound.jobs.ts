import { DelayedError, type Job } from 'bullmq';
import type { JobDeps } from '../../jobs.js';
import { QueueName, type QueueDefinition } from '../../queue/registry.js';
import { runCampaignJob, type CampaignJob } from '../campaigns/campaigns.jobs.js';
import { createSendLimiter } from './outbound.limiter.js';
import { OutboundSender } from './outbound.sender.js';
import { CAMPAIGN_PRIORITY, OutboundJobName, enqueueSends, type SendBatchJob, type SendMessageJob } from './outbound.queue.js';

// The outbound queue: every message wabahub sends goes through a `send` job; campaigns add one
// `campaign` job that enqueues their messages and reports progress. Both are idempotent: they
// re-read Postgres and return early when the work is done.

export { OutboundJobName, CAMPAIGN_PRIORITY, enqueueSends, enqueueBatches, sendJobOptions, type SendMessageJob, type SendBatchJob } from './outbound.queue.js';
export type { CampaignJob };

export { createSendLimiter };

export function outboundQueueDefinition(): QueueDefinition<JobDeps> {
  return {
    name: QueueName.Outbound,
    concurrency: (deps) => deps.env.OUTBOUND_CONCURRENCY,
    // A send job that stalls (its worker was killed) is safe to run again: it finds its pending
    // attempt and does not resend. So it may stall any number of times, and is taken back soon
    // (a 10 s lock, renewed every 5 s, checked every 2 s) so a dead worker's sends resolve quickly.
    workerOptions: { maxStalledCount: 1_000, lockDuration: 10_000, stalledInterval: 2_000 },
    processor: (deps) => {
      const limiter = createSendLimiter(deps);
      const sender = new OutboundSender({
        db: deps.database.db, sql: deps.database.sql, graph: deps.graph, limiter, activity: deps.activity,
        secretsKey: deps.env.SECRETS_KEY, systemToken: deps.env.META_SYSTEM_TOKEN,
      });
      // Before the first send: the limiter's epoch (see SendLimiter.markStarted), holding sends as
      // long as a send claimed before this start (by a worker now gone) could still be on the wire.
      let started: Promise<void> | null = null;
      const start = () => (started ??= (async () => {
        const [row] = await deps.database.sql<{ ms: number | null }[]>`
          select (extract(epoch from (max(updated_at) + ${`${limiter.leaseMs} milliseconds`}::interval - now())) * 1000)::float8 as ms
          from messages where direction = 'outbound' and status = 'sending' and updated_at > now() - ${`${limiter.leaseMs} milliseconds`}::interval`;
        // At least a window: sends answered just before the start still count in Meta's second.
        await limiter.markStarted(Math.max(limiter.windowMs, row?.ms ?? 0));
      })().catch((error: Error) => {
        started = null; // Postgres or Redis is not there yet: the next job tries again
        throw error;
      }));
      start().catch(() => {});
      return async (job: Job, token?: string) => {
        await start();
        if (job.name === OutboundJobName.Campaign) return runCampaignJob(deps, job as Job<CampaignJob>, token);
        if (job.name === OutboundJobName.SendBatch) return runBatch(deps, sender, job as Job<SendBatchJob>, token);
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

/**
 * A campaign batch. Messages the limiter asks to wait (the number is busy, or a recipient is
 * paced) stay in this job, which waits the shortest of those waits; messages that must wait a set
 * time (a retry's backoff, a call possibly still in flight elsewhere) get a job of their own.
 */
async function runBatch(deps: JobDeps, sender: OutboundSender, job: Job<SendBatchJob>, token?: string) {
  const results = await sender.sendMany(job.data.tenantId, job.data.messageIds, { onSchedule: true });
  const waiting: string[] = [];
  let soonest = Infinity;
  const own: { id: string; ms: number }[] = [];
  const tally: Record<string, number> = {};
  for (const [id, r] of results) {
    tally[r.outcome] = (tally[r.outcome] ?? 0) + 1;
    if (r.outcome !== 'delay') continue;
    if (r.reason === 'retry' || r.reason === 'in_flight') own.push({ id, ms: r.ms });
    else {
      waiting.push(id);
      soonest = Math.min(soonest, r.ms);
    }
  }
  for (const { id, ms } of own) {
    await enqueueSends(deps.queues.outbound, [{ tenantId: job.data.tenantId, messageId: id }], { priority: CAMPAIGN_PRIORITY, suffix: `d${Date.now()}`, schedule: { firstMs: ms, everyMs: 0 } });
  }
  if (waiting.length === 0) return tally;
  await job.updateData({ ...job.data, messageIds: waiting });
  await job.moveToDelayed(Date.now() + soonest, token);
  throw new DelayedError(`${waiting.length} messages waiting ${soonest} ms`);
}
