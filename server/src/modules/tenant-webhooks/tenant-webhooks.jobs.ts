import type { Queue } from 'bullmq';
import { sql, type SQL } from 'drizzle-orm';
import type { Env } from '../../config/env.js';
import { pipelinedTransaction, type Database } from '../../db/client.js';
import { decryptSecret, type EncryptedSecret } from '../../lib/secrets.js';
import type { JobDefinition, JobDeps, SweepDefinition } from '../../queue/job-types.js';
import { JobName } from '../../queue/names.js';
import type { RecordedDelivery } from './tenant-webhooks.events.js';
import { postWebhook } from './tenant-webhooks.http.js';
import { retrySchedule, verdictOf } from './tenant-webhooks.retry.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './tenant-webhooks.signing.js';
import type { WebhookUrlPolicy } from './tenant-webhooks.ssrf.js';

// Delivering tenant webhooks. A job is one attempt of one delivery; the delivery's row says what
// is due (status, next_attempt_at), so a job that runs twice, late, or after Redis forgot it
// does no harm: it claims the row in one statement or finds nothing to do.
//
// Order: deliveries of one lane (an endpoint and a contact) go one at a time in `seq` order. A
// delivery with an unfinished predecessor in its lane waits; the predecessor, once it succeeds
// or fails for good, enqueues the next. Claims check the lane in the same statement.

/** One attempt of one delivery. */
export interface DeliverWebhookJob {
  tenantId: string;
  deliveryId: string;
}

export function webhookUrlPolicy(env: Pick<Env, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE'>): WebhookUrlPolicy {
  const production = env.NODE_ENV === 'production';
  return { httpsOnly: production, allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === 'auto' ? !production : env.WEBHOOK_ALLOW_PRIVATE === 'true' };
}

/** Job ids name the attempt: a job already waiting is not added twice, and each retry is a new job. */
function jobOf(delivery: { id: string; tenantId: string; attempts: number }, delayMs = 0) {
  return {
    name: JobName.DeliverWebhook,
    data: { tenantId: delivery.tenantId, deliveryId: delivery.id } satisfies DeliverWebhookJob,
    // Removed when done either way: the row is the record, and a finished job's id must not
    // keep a later enqueue of the same attempt (after a lane wait) from being added.
    opts: { jobId: `${delivery.id}-${delivery.attempts}`, delay: Math.max(0, Math.round(delayMs)), removeOnComplete: true, removeOnFail: true },
  };
}

/** Enqueues deliveries just recorded (after their transaction committed). A failure is logged: the sweep finds them. */
export async function enqueueDeliveries(queue: Queue, deliveries: (RecordedDelivery & { attempts?: number })[]): Promise<void> {
  if (deliveries.length === 0) return;
  await queue.addBulk(deliveries.map((d) => jobOf({ ...d, attempts: d.attempts ?? 0 })));
}

/**
 * A delivery's own bookkeeping (its claim, its outcome) commits without waiting for the WAL flush:
 * two commits a delivery would otherwise each wait on the disk. Safe because losing the last
 * moments of it in a Postgres crash only repeats work: a lost claim is claimed again, a lost
 * outcome sends the event again (at least once; the receiver dedups on X-Wabahub-Delivery). The
 * outbox rows themselves are written by their cause's transaction, durably.
 */
function bookkeeping<T extends Record<string, unknown>>(db: Database, statement: SQL): Promise<T[]> {
  return pipelinedTransaction<T>(db, [sql`set local synchronous_commit = off`, statement]);
}

type Claimed = {
  id: string; tenant_id: string; endpoint_id: string; attempts: number; created_at: string; lane: string | null; event_type: string; event_id: string;
  payload: Record<string, unknown>; url: string; secret: EncryptedSecret; previous_secret: EncryptedSecret | null; previous_secret_expires_at: string | null;
};

export type DeliveryOutcome = 'succeeded' | 'retry' | 'failed' | 'not due' | 'missing';

/** Claims a delivery if it is due, its endpoint enabled and its lane free; one POST; records what happened. */
export async function attemptDelivery(deps: JobDeps, deliveryId: string): Promise<DeliveryOutcome> {
  const { db, env } = deps;
  // The claim outlives the longest attempt, so only a dead worker's claim lapses.
  const lockMs = env.WEBHOOK_TIMEOUT_MS + 5_000;
  const [claimed] = await bookkeeping<Claimed>(db, sql`
    update webhook_deliveries d set status = 'delivering', attempts = d.attempts + 1, locked_until = now() + ${lockMs} * interval '1 millisecond', updated_at = now()
    from webhook_endpoints e, tenant_webhook_events ev
    where d.id = ${deliveryId} and e.id = d.endpoint_id and ev.id = d.event_id
      and (e.enabled or d.event_type = 'webhook.test')
      -- Due (a delayed job may fire a little early), or claimed by a worker that died.
      and ((d.status = 'pending' and d.next_attempt_at <= now() + interval '1 second') or (d.status = 'delivering' and d.locked_until < now()))
      and (d.lane is null or not exists (
        select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id and p.lane = d.lane and p.seq < d.seq and p.status in ('pending', 'delivering')))
    returning d.id, d.tenant_id, d.endpoint_id, d.attempts, d.created_at, d.lane, d.event_type, ev.id as event_id, ev.payload,
              e.url, e.secret, e.previous_secret, e.previous_secret_expires_at`);
  if (!claimed) return 'not due';

  const body = JSON.stringify(claimed.payload);
  const secrets = [decryptSecret(claimed.secret, env.SECRETS_KEY)];
  if (claimed.previous_secret && claimed.previous_secret_expires_at && new Date(claimed.previous_secret_expires_at) > deps.clock.now()) {
    secrets.push(decryptSecret(claimed.previous_secret, env.SECRETS_KEY));
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const result = await postWebhook(claimed.url, body, {
    [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, body),
    [EVENT_HEADER]: claimed.event_type,
    [DELIVERY_HEADER]: claimed.event_id,
  }, webhookUrlPolicy(env), env.WEBHOOK_TIMEOUT_MS);

  const now = deps.clock.now();
  const verdict = verdictOf(result, claimed.attempts, new Date(claimed.created_at), now, retrySchedule(env.WEBHOOK_RETRY_BASE_MS, env.WEBHOOK_GIVE_UP_AFTER_MS));
  const statusCode = result.kind === 'response' ? result.statusCode : null;
  const error = verdict.outcome === 'succeeded' ? null : verdict.outcome === 'failed' ? verdict.reason : result.kind === 'response' ? `HTTP ${result.statusCode}` : result.error;
  const excerpt = result.kind === 'response' ? result.excerpt : null;
  const delayMs = verdict.outcome === 'retry' ? verdict.delayMs : 0;
  const succeeded = verdict.outcome === 'succeeded';
  const final = verdict.outcome !== 'retry';
  const [outcome] = await bookkeeping<{ disabled_reason: string | null; next_id: string | null; next_tenant_id: string | null; next_attempts: number | null; next_wait_ms: number | null }>(db, sql`
    with attempt as (
      insert into webhook_delivery_attempts (tenant_id, delivery_id, attempt, outcome, status_code, error, response_excerpt, latency_ms)
      values (${claimed.tenant_id}, ${claimed.id}, ${claimed.attempts}, ${verdict.outcome}, ${statusCode}, ${error}, ${excerpt}, ${result.latencyMs})
    ), delivery as (
      update webhook_deliveries set status = ${verdict.outcome === 'retry' ? 'pending' : verdict.outcome},
        next_attempt_at = now() + ${delayMs} * interval '1 millisecond', locked_until = null,
        last_status_code = ${statusCode}, last_error = ${error}, response_excerpt = ${excerpt}, latency_ms = ${result.latencyMs},
        delivered_at = case when ${succeeded} then now() else delivered_at end, updated_at = now()
      where id = ${claimed.id} and status = 'delivering' and attempts = ${claimed.attempts}
    ), endpoint as (
      -- The endpoint's row is written only when its health changes (it is shared by all its deliveries).
      update webhook_endpoints set
        failing_since = case when ${succeeded} then null else coalesce(failing_since, now()) end,
        enabled = case when not ${succeeded} and failing_since < now() - ${env.WEBHOOK_GIVE_UP_AFTER_MS} * interval '1 millisecond' then false else enabled end,
        disabled_reason = case when not ${succeeded} and enabled and failing_since < now() - ${env.WEBHOOK_GIVE_UP_AFTER_MS} * interval '1 millisecond'
          then 'every delivery failed since ' || to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC (last: ' || ${error ?? ''}::text || '); fix the endpoint and enable it again'
          else disabled_reason end,
        disabled_at = case when not ${succeeded} and enabled and failing_since < now() - ${env.WEBHOOK_GIVE_UP_AFTER_MS} * interval '1 millisecond' then now() else disabled_at end,
        updated_at = now()
      where id = ${claimed.endpoint_id} and ${claimed.event_type} <> 'webhook.test'
        and (case when ${succeeded} then failing_since is not null
                  else failing_since is null or (enabled and failing_since < now() - ${env.WEBHOOK_GIVE_UP_AFTER_MS} * interval '1 millisecond') end)
      returning disabled_reason
    ), next as (
      -- Done for good: the next delivery of its lane may go now.
      select id, tenant_id, attempts, greatest(0, extract(epoch from next_attempt_at - now()) * 1000)::int as wait_ms from webhook_deliveries
      where ${final} and endpoint_id = ${claimed.endpoint_id} and lane = ${claimed.lane} and status in ('pending', 'delivering') and id <> ${claimed.id}
      order by seq limit 1
    )
    select (select disabled_reason from endpoint) as disabled_reason, n.id as next_id, n.tenant_id as next_tenant_id, n.attempts as next_attempts, n.wait_ms as next_wait_ms
    from (select 1) as one left join next n on true`);
  if (outcome?.disabled_reason && !succeeded) deps.log.warn({ tenantId: claimed.tenant_id, endpointId: claimed.endpoint_id }, 'tenant webhooks: endpoint disabled after failing every delivery');

  const queue = deps.queues['tenant-webhooks'];
  if (verdict.outcome === 'retry') {
    const next = jobOf({ id: claimed.id, tenantId: claimed.tenant_id, attempts: claimed.attempts }, delayMs);
    await queue.add(next.name, next.data, next.opts);
  } else if (outcome?.next_id) {
    // Its own job id (named after this delivery): the next one's first job may still be in Redis,
    // finishing as "not due" after it saw this one unfinished, and would swallow a plain re-add.
    const next = jobOf({ id: outcome.next_id, tenantId: outcome.next_tenant_id!, attempts: outcome.next_attempts! }, outcome.next_wait_ms!);
    await queue.add(next.name, next.data, { ...next.opts, jobId: `${next.opts.jobId}-after-${claimed.id}` });
  }
  return verdict.outcome;
}

export const deliverWebhookJob: JobDefinition<DeliverWebhookJob> = {
  name: JobName.DeliverWebhook,
  handler: (deps) => async (job) => ({ outcome: await attemptDelivery(deps, job.data.deliveryId) }),
};

/**
 * Re-enqueues every delivery that is due and first in its lane but may have no job: Redis
 * restarted empty, a worker died between recording and enqueueing, or mid-attempt (its claim
 * lapsed). A job still waiting has the same id, so re-adding it is a no-op.
 */
export async function sweepDueDeliveries(db: Database, queue: Queue, olderThanMs: number, limit = 5_000): Promise<number> {
  const due = await db.execute<{ id: string; tenant_id: string; attempts: number }>(sql`
    select d.id, d.tenant_id, d.attempts from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
    where d.status in ('pending', 'delivering') and (e.enabled or d.event_type = 'webhook.test')
      and ((d.status = 'pending' and d.next_attempt_at < now() - ${olderThanMs} * interval '1 millisecond') or (d.status = 'delivering' and d.locked_until < now()))
      and (d.lane is null or not exists (
        select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id and p.lane = d.lane and p.seq < d.seq and p.status in ('pending', 'delivering')))
    order by d.next_attempt_at limit ${limit}`);
  const rows = [...due];
  for (let i = 0; i < rows.length; i += 500) {
    await queue.addBulk(rows.slice(i, i + 500).map((d) => jobOf({ id: d.id, tenantId: d.tenant_id, attempts: d.attempts })));
  }
  return rows.length;
}

export const sweepDueDeliveriesSweep: SweepDefinition = {
  name: 'tenant webhooks: re-enqueue due deliveries',
  run: (deps) => sweepDueDeliveries(deps.db, deps.queues['tenant-webhooks'], deps.env.SWEEP_AFTER_MS),
};
