import { DelayedError, type Job } from 'bullmq';
import { JobName } from '../../queue/names.js';
import type { JobDefinition, JobDeps, SweepDefinition } from '../../queue/job-types.js';
import { sendLimiter } from './outbound.limiter.js';
import { OutboundSender } from './outbound.sender.js';
import { CAMPAIGN_PRIORITY, enqueueSends, type SendBatchJob, type SendMessageJob } from './outbound.queue.js';
import { reconcileUnknownMessages, repairRecentStatuses, requeueStaleSends } from './outbound.reconcile.js';

// The outbound queue's jobs: every message wabahub sends goes through a `send` job, or a
// `send-batch` job for a campaign's messages. Both are idempotent: they re-read Postgres and
// return early when the work is done (a claimed send is never sent twice; see outbound.sender.ts).

/**
 * One sender per worker process, shared by both job kinds: it holds the semaphore of sends on
 * the wire. Its start (the limiter's epoch) runs before the first send.
 */
const senders = new WeakMap<JobDeps, { sender: OutboundSender; start: () => Promise<void> }>();

function senderFor(deps: JobDeps) {
  let entry = senders.get(deps);
  if (entry) return entry;
  const limiter = sendLimiter(deps);
  const sender = new OutboundSender({
    db: deps.db, sql: deps.sql, graph: deps.graph, limiter, publisher: deps.publisher,
    secretsKey: deps.env.SECRETS_KEY, systemToken: deps.env.META_SYSTEM_TOKEN, log: deps.log, webhookQueue: deps.queues['tenant-webhooks'],
  });
  // Before the first send: the limiter's epoch (see SendLimiter.markStarted), holding sends as
  // long as a send claimed before this start (by a worker now gone) could still be on the wire.
  let started: Promise<void> | null = null;
  const start = () => (started ??= (async () => {
    const [row] = await deps.sql<{ ms: number | null }[]>`
      select (extract(epoch from (max(updated_at) + ${`${limiter.leaseMs} milliseconds`}::interval - now())) * 1000)::float8 as ms
      from messages where direction = 'outbound' and status = 'sending' and updated_at > now() - ${`${limiter.leaseMs} milliseconds`}::interval`;
    // At least a window: sends answered just before the start still count in Meta's second.
    await limiter.markStarted(Math.max(limiter.windowMs, row?.ms ?? 0));
  })().catch((error: Error) => {
    started = null; // Postgres or Redis is not there yet: the next job tries again
    throw error;
  }));
  start().catch(() => {});
  entry = { sender, start };
  senders.set(deps, entry);
  return entry;
}

export const sendJob: JobDefinition<SendMessageJob> = {
  name: JobName.Send,
  handler: (deps) => {
    const { sender, start } = senderFor(deps);
    return async (job, token) => {
      await start();
      const result = await sender.send(job.data);
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

/**
 * A campaign batch. Messages the limiter asks to wait (the number is busy, or a recipient is
 * paced) stay in this job, which waits the shortest of those waits; messages that must wait a set
 * time (a retry's backoff, a call possibly still in flight elsewhere) get a job of their own.
 */
export const sendBatchJob: JobDefinition<SendBatchJob> = {
  name: JobName.SendBatch,
  handler: (deps) => {
    const { sender, start } = senderFor(deps);
    return async (job: Job<SendBatchJob>, token) => {
      await start();
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
    };
  },
};

/** Single sends whose job Redis lost (a restart) or that ran out of attempts: enqueued again from Postgres. */
export const requeueStaleSendsSweep: SweepDefinition = {
  name: 'outbound: re-enqueue lost sends',
  run: (deps) => requeueStaleSends(deps.db, deps.queues.outbound, deps.env.OUTBOUND_SWEEP_AFTER_MS),
};

/** Sends whose outcome is unknown (a worker died mid-call) that a late status from Meta now explains. */
export const reconcileUnknownSweep: SweepDefinition = {
  name: 'outbound: reconcile unknown outcomes',
  run: (deps) => reconcileUnknownMessages(deps.db),
};

/** The safety net for a status that raced the recording of its send's wamid. */
export const repairStatusesSweep: SweepDefinition = {
  name: 'outbound: repair recent statuses',
  run: (deps) => repairRecentStatuses(deps.db),
};
