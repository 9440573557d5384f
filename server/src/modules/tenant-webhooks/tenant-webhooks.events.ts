import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';

// The events a tenant's endpoints may subscribe to, and the one way to record them: in the
// transaction of their cause (or, for inbound traffic, in the after-commit hook, which is called
// again until it returns), so an event is never lost between a change and its webhook.
// README "Tenant webhooks" documents each event's `data`.

export const TENANT_WEBHOOK_EVENTS = [
  'message.received',
  'message.status',
  'message.failed',
  'rule.fired',
  'handoff.started',
  'handoff.resolved',
  'template.status',
  'number.quality',
  'onboarding.succeeded',
  'onboarding.failed',
  'campaign.finished',
] as const;
export type TenantWebhookEventType = (typeof TENANT_WEBHOOK_EVENTS)[number];

/** Sent by `sendTestWebhook` to one endpoint only; no endpoint subscribes to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isTenantWebhookEvent(value: string): value is TenantWebhookEventType {
  return (TENANT_WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** What is delivered: the body of every POST, byte for byte what is signed. */
export interface TenantWebhookEnvelope<D = Record<string, unknown>> {
  /** The event id: also `X-Wabahub-Delivery`, the receiver's key for dedup. */
  id: string;
  type: TenantWebhookEventType | typeof TEST_EVENT_TYPE;
  createdAt: string;
  tenantId: string;
  data: D;
}

/** An event to record. */
export interface NewTenantWebhookEvent {
  tenantId: string;
  /** Endpoints restricted to an instance get only that instance's events. */
  instanceId: string | null;
  type: TenantWebhookEventType;
  /** Names the cause, unique for all time (e.g. `message.received:<message id>`): recording it twice records it once. */
  sourceKey: string;
  /** The contact whose events each endpoint receives in order; null when order does not matter. */
  lane: string | null;
  data: Record<string, unknown>;
}

/** A delivery made by recording an event, for the caller to enqueue after its transaction commits. */
export interface RecordedDelivery {
  id: string;
  tenantId: string;
}

/** A database or a transaction: anything that runs drizzle's `sql`. */
export type SqlExecutor = Pick<Database, 'execute'>;

/**
 * Records events in the outbox and makes their deliveries, in one statement: call it inside the
 * transaction that stores the cause. Only events some enabled endpoint of the tenant subscribes to
 * are stored (a tenant without webhooks costs one lookup). Idempotent on `sourceKey`. Returns the
 * deliveries made; enqueue them after the commit (`enqueueDeliveries`); if that is lost, the sweep
 * finds them.
 */
export async function recordWebhookEvents(db: SqlExecutor, events: NewTenantWebhookEvent[]): Promise<RecordedDelivery[]> {
  if (events.length === 0) return [];
  const now = new Date().toISOString();
  const rows = events.map((e, ord) => ({ ord, id: randomUUID(), tenant_id: e.tenantId, instance_id: e.instanceId, type: e.type, source_key: e.sourceKey, lane: e.lane, data: e.data, created_at: now }));
  const made = await db.execute<{ id: string; tenant_id: string }>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(ord int, id uuid, tenant_id uuid, instance_id uuid, type text, source_key text, lane text, data jsonb, created_at timestamptz)
      where exists (select 1 from webhook_endpoints e where e.tenant_id = r.tenant_id and e.enabled and r.type = any(e.events)
                      and (e.instance_id is null or e.instance_id = r.instance_id))
    ),
    stored as (
      insert into tenant_webhook_events (id, tenant_id, instance_id, type, source_key, payload, created_at)
      select id, tenant_id, instance_id, type, source_key,
             jsonb_build_object('id', id, 'type', type, 'createdAt', ${now}::text, 'tenantId', tenant_id, 'data', data), created_at
      from input order by ord
      on conflict (source_key) do nothing
      returning id
    )
    insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, lane)
    select i.tenant_id, e.id, i.id, i.type, i.lane
    from stored s join input i on i.id = s.id
      join webhook_endpoints e on e.tenant_id = i.tenant_id and e.enabled and i.type = any(e.events) and (e.instance_id is null or e.instance_id = i.instance_id)
    -- seq follows the events' order: one contact's events are delivered in the order they happened.
    order by i.ord, e.id
    returning id, tenant_id`);
  return [...made].map((d) => ({ id: d.id, tenantId: d.tenant_id }));
}

/** What onboarding records when a run ends (README: onboarding.succeeded / onboarding.failed). */
export interface OnboardingOutcome {
  tenantId: string;
  onboardingRunId: string;
  succeeded: boolean;
  instanceId?: string | null;
  /** Anything else the event's `data` should carry (phone number, WABA, the failed step and error). */
  data?: Record<string, unknown>;
  /** Tells apart two ends of one run (failed, retried, failed again): its finish time. */
  occurrence?: string;
}

/**
 * Records `onboarding.succeeded` or `onboarding.failed` for a run: call it in the transaction that
 * marks the run finished, then enqueue the returned deliveries after the commit (or leave them to
 * the sweep). Idempotent per run and outcome.
 */
export function recordOnboardingOutcome(db: SqlExecutor, outcome: OnboardingOutcome): Promise<RecordedDelivery[]> {
  const type = outcome.succeeded ? 'onboarding.succeeded' : 'onboarding.failed';
  return recordWebhookEvents(db, [{
    tenantId: outcome.tenantId, instanceId: outcome.instanceId ?? null, type, sourceKey: `${type}:${outcome.onboardingRunId}${outcome.occurrence ? `:${outcome.occurrence}` : ''}`, lane: null,
    data: { onboardingRunId: outcome.onboardingRunId, ...outcome.data },
  }]);
}
