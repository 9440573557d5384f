import type { Job, Queue } from 'bullmq';
import { and, asc, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { JobDeps } from '../../jobs.js';
import { QueueName, type QueueDefinition } from '../../queue/registry.js';
import { webhookEvents } from './webhooks.table.js';
import { processWebhookEvent, processWebhookEvents, type AccountChangeHandler } from './webhook-processor.js';

/**
 * A group of stored webhook events to process. `tenantId` is null by design: which tenants an
 * event concerns is only known once its changes are routed, inside the job.
 */
export interface WebhookJob {
  tenantId: null;
  eventIds: number[];
}

/** An event whose processing failed this many times stays `failed` for the operator to replay. */
export const MAX_EVENT_ATTEMPTS = 8;

export function webhooksQueueDefinition(onAccountChange?: AccountChangeHandler): QueueDefinition<JobDeps> {
  return {
    name: QueueName.Webhooks,
    concurrency: 16,
    processor: (deps) => async (job: Job<WebhookJob>) => {
      const db = deps.database.db;
      try {
        const outcomes = await processWebhookEvents(db, job.data.eventIds, onAccountChange);
        // Published after commit: a subscriber never sees an item that was rolled back.
        for (const o of outcomes) deps.activity.publish(o.activity);
        return { processed: outcomes.filter((o) => o.outcome === 'processed').length };
      } catch {
        // One bad event must not hold back the others: retry them one by one to find it.
      }
      const failures: string[] = [];
      let processed = 0;
      for (const eventId of job.data.eventIds) {
        try {
          const result = await processWebhookEvent(db, eventId, onAccountChange);
          if (result.outcome === 'processed') {
            processed++;
            deps.activity.publish(result.activity);
          }
        } catch (error) {
          failures.push(`${eventId}: ${(error as Error).message}`);
          await db.update(webhookEvents).set({ state: 'failed', error: (error as Error).message.slice(0, 2000), attempts: sql`${webhookEvents.attempts} + 1` })
            .where(and(inArray(webhookEvents.id, [eventId]), sql`${webhookEvents.state} <> 'processed'`)).catch(() => {});
        }
      }
      // BullMQ retries the job with backoff; events already processed are skipped next time.
      if (failures.length > 0) throw new Error(`webhook events failed: ${failures.join('; ')}`);
      return { processed };
    },
  };
}

/**
 * Re-enqueues every stored event that is not finished, so that a Redis restart (or a crash
 * between commit and enqueue) loses nothing: Postgres is the record, the queue only a copy.
 * Job ids are derived from the event ids, so a sweep of events still waiting is a no-op.
 */
export async function sweepUnfinishedEvents(db: Database, queue: Queue<WebhookJob>, olderThanMs: number, limit = 10_000): Promise<number> {
  const stale = await db.select({ id: webhookEvents.id }).from(webhookEvents)
    // The states as literals, the partial index's own predicate: a prepared statement's generic
    // plan could not prove it from parameters, and would scan the table every sweep.
    .where(and(sql`${webhookEvents.state} in ('received', 'processing', 'failed')`, lt(webhookEvents.attempts, MAX_EVENT_ATTEMPTS), lt(webhookEvents.receivedAt, new Date(Date.now() - olderThanMs))))
    .orderBy(asc(webhookEvents.id)).limit(limit);
  const ids = stale.map((r) => r.id);
  const jobs = [];
  for (let i = 0; i < ids.length; i += 100) {
    const eventIds = ids.slice(i, i + 100);
    jobs.push({ name: 'process', data: { tenantId: null as null, eventIds }, opts: { jobId: `sweep-${eventIds[0]}-${eventIds[eventIds.length - 1]}-${eventIds.length}` } });
  }
  if (jobs.length > 0) await queue.addBulk(jobs);
  return ids.length;
}
