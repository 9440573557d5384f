import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid, bigint, bigserial, customType, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, id } from '../../db/columns.js';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

// received → committed (its changes applied) → processed (the after-commit hooks all ran); or
// failed (retried), or rejected (never processable: a bad signature is refused before storing).
export const WEBHOOK_EVENT_STATES = ['received', 'processing', 'committed', 'processed', 'failed', 'rejected'] as const;
export type WebhookEventState = (typeof WEBHOOK_EVENT_STATES)[number];

// Every POST Meta makes, stored raw before we answer 200: the system of record for inbound traffic.
// Exact redeliveries (same bytes) collapse on `body_hash`; items inside are deduplicated again by
// wamid and (wamid, status) when processed, since Meta may re-batch the same item differently.
export const webhookEvents = pgTable('webhook_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  // The first 128 bits of the body's SHA-256, as a uuid: its unique index is written for every
  // webhook, and 16 bytes compared as such cost Postgres less than 64 hex characters compared as
  // text. The chance that any two of four billion different bodies share them is about 2^-65.
  bodyHash: uuid('body_hash').notNull(),
  rawBody: bytea('raw_body').notNull(),
  state: text('state').$type<WebhookEventState>().notNull().default('received'),
  // Filled in processing: which tenants the event touched, so a tenant sees only its own events.
  tenantIds: uuid('tenant_ids').array().notNull().default([]),
  summary: jsonb('summary').$type<Record<string, number>>(),
  error: text('error'),
  attempts: integer('attempts').notNull().default(0),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  processedAt: timestamp('processed_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('webhook_events_body_hash_idx').on(t.bodyHash),
  // For the sweeper: only events that are not finished (a `committed` one still owes its hooks).
  // A processed row leaves this index instead of adding an entry to it.
  index('webhook_events_unfinished_idx').on(t.id).where(sql`${t.state} in ('received', 'processing', 'failed', 'committed')`),
]);

export type WebhookEventRow = typeof webhookEvents.$inferSelect;

// A change whose phone_number_id no tenant registered: kept, shown to the operator with the fix,
// and replayed once the number is registered. Never dropped.
export const unroutedEvents = pgTable('unrouted_events', {
  id: id(),
  webhookEventId: bigint('webhook_event_id', { mode: 'number' }).notNull().references(() => webhookEvents.id, { onDelete: 'cascade' }),
  changeIndex: text('change_index').notNull(), // "entry/change", unique within the event
  phoneNumberId: text('phone_number_id'),
  wabaId: text('waba_id'),
  field: text('field').notNull(),
  value: jsonb('value').notNull(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('unrouted_events_change_idx').on(t.webhookEventId, t.changeIndex),
  index('unrouted_events_open_idx').on(t.resolvedAt, t.createdAt),
]);

export type UnroutedEventRow = typeof unroutedEvents.$inferSelect;

// Account-level events (template status, account_update, quality), per WABA and tenant when known.
export const accountEvents = pgTable('account_events', {
  id: id(),
  tenantId: uuid('tenant_id'),
  webhookEventId: bigint('webhook_event_id', { mode: 'number' }).notNull().references(() => webhookEvents.id, { onDelete: 'cascade' }),
  changeIndex: text('change_index').notNull(),
  wabaId: text('waba_id').notNull(),
  field: text('field').notNull(),
  event: text('event'),
  value: jsonb('value').notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('account_events_change_idx').on(t.webhookEventId, t.changeIndex),
  index('account_events_tenant_idx').on(t.tenantId, t.createdAt),
]);
