import type { Queue } from 'bullmq';
import { and, asc, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { JobName } from '../../queue/names.js';
import type { JobDefinition, SweepDefinition } from '../../queue/job-types.js';
import { webhookEvents } from './webhooks.table.js';
import { processWebhookEvent, processWebhookEvents, type ProcessOutcome } from './webhooks.processor.js';
import type { InboundHook } from './webhooks.hooks.js';

/**
 * A group of stored webhook events to process. `tenantId` is null by design: which tenants an
 * event concerns is only known once its changes are routed, inside the job.
 */
export interface WebhookJob {
  tenantId: null;
  eventIds: number[];
}

/** An event whose processing failed this many times stays `failed` (or `committed`) for the operator to replay. */
export const MAX_EVENT_ATTEMPTS = 8;

/** The job that applies stored webhook events, then runs `hooks` (the registry's list) on what they stored. */
export function processWebhookEventsJob(hooks: readonly InboundHook[]): JobDefinition<WebhookJob> {
  return {
    name: JobName.ProcessWebhookEvents,
    handler: (deps) => async (job) => {
      const after = { deps, hooks };
      const count = (outcomes: ProcessOutcome[]) => ({ processed: outcomes.filter((o) => o.outcome === 'processed').length });
      try {
        return count(await processWebhookEvents(deps.db, job.data.eventIds, after));
      } catch {
        // One bad event must not hold back the others: retry them one by one to find it.
      }
      const failures: string[] = [];
      const outcomes: ProcessOutcome[] = [];
      for (const eventId of job.data.eventIds) {
        try {
          outcomes.push(await processWebhookEvent(deps.db, eventId, after));
        } catch (error) {
          const message = (error as Error).message.slice(0, 2000);
          failures.push(`${eventId}: ${message}`);
          deps.log.warn({ jobId: job.id, queue: job.queueName, eventId, err: error }, 'webhook event failed; retried with backoff');
          // An event not applied becomes `failed`; one applied whose hooks failed stays
          // `committed` (applying it again would store nothing new, and the hooks would never
          // learn what it stored): either way the retry picks it up, and the error shows.
          await deps.db.update(webhookEvents).set({
            state: sql`case when ${webhookEvents.state} = 'committed' then 'committed' else 'failed' end`, error: message, attempts: sql`${webhookEvents.attempts} + 1`,
          }).where(and(sql`${webhookEvents.id} = ${eventId}`, sql`${webhookEvents.state} not in ('processed', 'rejected')`)).catch(() => {});
        }
      }
      // BullMQ retries the job with backoff; events already processed are skipped next time.
      if (failures.length > 0) throw new Error(`webhook events failed: ${failures.join('; ')}`);
      return count(outcomes);
    },
  };
}

/**
 * Re-enqueues every stored event that is not finished (received, failed, or committed with its
 * hooks not yet all run), so that a Redis restart (or a crash between commit and enqueue) loses
 * nothing: Postgres is the record, the queue only a copy. Job ids are derived from the event ids,
 * so a sweep of events still waiting is a no-op.
 */
export async function sweepUnfinishedEvents(db: Database, queue: Queue<WebhookJob>, olderThanMs: number, limit = 10_000): Promise<number> {
  const stale = await db.select({ id: webhookEvents.id }).from(webhookEvents)
    // The states as literals, the partial index's own predicate: a prepared statement's generic
    // plan could not prove it from parameters, and would scan the table every sweep.
    .where(and(sql`${webhookEvents.state} in ('received', 'processing', 'failed', 'committed')`, lt(webhookEvents.attempts, MAX_EVENT_ATTEMPTS), lt(webhookEvents.receivedAt, new Date(Date.now() - olderThanMs))))
    .orderBy(asc(webhookEvents.id)).limit(limit);
  const ids = stale.map((r) => r.id);
  const jobs = [];
  for (let i = 0; i < ids.length; i += 100) {
    const eventIds = ids.slice(i, i + 100);
    jobs.push({ name: JobName.ProcessWebhookEvents, data: { tenantId: null as null, eventIds }, opts: { jobId: `sweep-${eventIds[0]}-${eventIds[eventIds.length - 1]}-${eventIds.length}` } });
  }
  if (jobs.length > 0) await queue.addBulk(jobs);
  return ids.length;
}

export const sweepUnfinishedEventsSweep: SweepDefinition = {
  name: 'webhooks: re-enqueue unfinished events',
  run: (deps) => sweepUnfinishedEvents(deps.db, deps.queues.webhooks, deps.env.SWEEP_AFTER_MS),
};
