import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid, boolean, timestamp, bigserial } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import type { EncryptedSecret } from '../../lib/secrets.js';
import { tenants } from '../tenants/tenants.table.js';
import { instances } from '../instances/instances.table.js';

// A tenant's own webhooks (README "Tenant webhooks"): where a client's systems want to hear of
// what happened. Events are written to an outbox (`tenant_webhook_events`) in the transaction of
// their cause, each fanned out at once to one delivery per subscribed endpoint; delivery jobs
// carry the deliveries out and a sweep re-enqueues what Redis lost, so Postgres is the record.

export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  // Only this instance's events when set; every event of the tenant when null.
  instanceId: uuid('instance_id').references(() => instances.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  description: text('description'),
  events: text('events').array().notNull(),
  enabled: boolean('enabled').notNull().default(true),
  // Signs every delivery; shown once, at creation (or rotation), never again.
  secret: jsonb('secret').$type<EncryptedSecret>().notNull(),
  // After a rotation the old secret signs too (a second v1) until it expires: receivers switch without a gap.
  previousSecret: jsonb('previous_secret').$type<EncryptedSecret>(),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
  // Since when every attempt has failed (null after any success): failing for WEBHOOK_GIVE_UP_AFTER_MS disables it.
  failingSince: timestamp('failing_since', { withTimezone: true }),
  // Why wabahub disabled it (the dashboard's alert); null when enabled or disabled by a person.
  disabledReason: text('disabled_reason'),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId, t.createdAt, t.id)]);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

// The outbox: one row per event a tenant's endpoints subscribe to. `source_key` names its cause
// (e.g. `message.received:<message id>`), so an after-commit hook run twice records it once.
export const tenantWebhookEvents = pgTable('tenant_webhook_events', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id'),
  type: text('type').notNull(),
  sourceKey: text('source_key').notNull(),
  // The delivered JSON: { id, type, createdAt, tenantId, data }.
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('tenant_webhook_events_source_idx').on(t.sourceKey)]);

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

// One event to one endpoint. `pending` (due at next_attempt_at) → `delivering` (claimed by one
// worker until locked_until) → `succeeded`, `failed` (final), or back to `pending` for a retry.
// Deliveries of one lane (an endpoint and a contact) are attempted in `seq` order.
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: id(),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
  eventId: uuid('event_id').notNull().references(() => tenantWebhookEvents.id, { onDelete: 'cascade' }),
  eventType: text('event_type').notNull(),
  // The contact whose events go in order; null when order does not matter.
  lane: text('lane'),
  status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastStatusCode: integer('last_status_code'),
  lastError: text('last_error'),
  responseExcerpt: text('response_excerpt'),
  latencyMs: integer('latency_ms'),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  // A redelivery asked for by a person: the delivery it repeats.
  redeliveryOf: uuid('redelivery_of'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt, t.id),
  // The sweep and the lane checks read only unfinished deliveries.
  index('webhook_deliveries_unfinished_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'delivering')`),
  index('webhook_deliveries_lane_idx').on(t.endpointId, t.lane, t.seq).where(sql`${t.status} in ('pending', 'delivering')`),
  index('webhook_deliveries_event_idx').on(t.eventId),
]);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** One HTTP attempt of a delivery, as the delivery log shows it. */
export const webhookDeliveryAttempts = pgTable('webhook_delivery_attempts', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  deliveryId: uuid('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
  attempt: integer('attempt').notNull(),
  // succeeded, retry (another attempt is scheduled) or failed (final).
  outcome: text('outcome').notNull(),
  statusCode: integer('status_code'),
  error: text('error'),
  responseExcerpt: text('response_excerpt'),
  latencyMs: integer('latency_ms').notNull(),
  createdAt: createdAt(),
}, (t) => [index('webhook_delivery_attempts_delivery_idx').on(t.deliveryId, t.attempt)]);

export type WebhookDeliveryAttemptRow = typeof webhookDeliveryAttempts.$inferSelect;
