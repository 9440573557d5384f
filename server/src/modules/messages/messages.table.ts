import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid, timestamp, bigserial } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { instances } from '../instances/instances.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { contacts } from '../contacts/contacts.table.js';

export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

// Inbound messages are `received`. Outbound ones move queued → sending → sent → delivered → read,
// or end `failed`, or `unknown` when a send crashed mid-call and Meta's answer was never seen.
export const MESSAGE_STATUSES = ['received', 'queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'unknown'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Status rank: a message's status only moves forward; failed is terminal. */
export const STATUS_RANK: Record<MessageStatus, number> = { received: 0, queued: 1, sending: 2, unknown: 3, sent: 4, delivered: 5, read: 6, failed: 7 };

export const messages = pgTable('messages', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id').references(() => instances.id, { onDelete: 'set null' }),
  phoneNumberId: uuid('phone_number_id').notNull().references(() => phoneNumbers.id, { onDelete: 'cascade' }),
  contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
  direction: text('direction').$type<MessageDirection>().notNull(),
  // Meta's message id: unique, the key statuses and duplicates are matched on. Null until sent.
  wamid: text('wamid'),
  type: text('type').notNull(),
  text: text('text'),
  payload: jsonb('payload').notNull(),
  status: text('status').$type<MessageStatus>().notNull(),
  errorCode: integer('error_code'),
  errorTitle: text('error_title'),
  errorDetail: text('error_detail'),
  idempotencyKey: text('idempotency_key'),
  campaignId: uuid('campaign_id'),
  // The automation rule that sent it (outbound), so a conversation says "answered by rule «…»"
  // and the per-customer hourly limit counts automated replies.
  automationRuleId: uuid('automation_rule_id'),
  metaTimestamp: timestamp('meta_timestamp', { withTimezone: true }),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  readAt: timestamp('read_at', { withTimezone: true }),
  failedAt: timestamp('failed_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('messages_wamid_idx').on(t.wamid),
  uniqueIndex('messages_idempotency_idx').on(t.tenantId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
  index('messages_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
  index('messages_tenant_instance_idx').on(t.tenantId, t.instanceId, t.createdAt),
  index('messages_tenant_contact_idx').on(t.tenantId, t.contactId, t.createdAt),
  // Campaign messages only: every query by campaign names one, and the rest (inbound messages,
  // single sends) are neither written to it on insert nor on each status that moves them.
  index('messages_campaign_idx').on(t.campaignId, t.status).where(sql`${t.campaignId} is not null`),
  // For the sweepers only: unfinished outbound messages (most rows are finished, and a partial
  // index is neither scanned nor written for them). Its predicate names `direction` so that the
  // send path's statements (by id, with a status guard) can never use it: `sending` is a state a
  // message holds for milliseconds, so statistics always say there are none, and a planner that
  // trusted them would scan every in-flight message for each batch instead of the primary key.
  index('messages_outbound_unfinished_idx').on(t.status, t.updatedAt).where(sql`${t.direction} = 'outbound' and ${t.status} in ('queued', 'sending', 'unknown')`),
]);

export type MessageRow = typeof messages.$inferSelect;

// Every status Meta reported for a wamid, kept even when it arrives before we know the wamid
// (Meta's `sent` can beat our own write of the send's answer); applied to the message when known.
export const messageStatusEvents = pgTable('message_status_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  wamid: text('wamid').notNull(),
  tenantId: uuid('tenant_id').notNull(),
  status: text('status').$type<MessageStatus>().notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  errorCode: integer('error_code'),
  errorTitle: text('error_title'),
  errorDetail: text('error_detail'),
  payload: jsonb('payload').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('message_status_events_wamid_status_idx').on(t.wamid, t.status), index('message_status_events_tenant_idx').on(t.tenantId, t.wamid)]);

export type MessageStatusEventRow = typeof messageStatusEvents.$inferSelect;

export const ATTEMPT_OUTCOMES = ['pending', 'sent', 'failed', 'retry', 'unknown'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

// One row per call to Meta for an outbound message, written BEFORE the call: a crash mid-call
// leaves a `pending` attempt behind, which is how a retried job knows the outcome is unknown.
export const messageAttempts = pgTable('message_attempts', {
  id: id(),
  tenantId: tenantRef(),
  messageId: uuid('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  attempt: integer('attempt').notNull(),
  outcome: text('outcome').$type<AttemptOutcome>().notNull().default('pending'),
  errorCode: integer('error_code'),
  errorMessage: text('error_message'),
  wamid: text('wamid'),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [uniqueIndex('message_attempts_message_attempt_idx').on(t.messageId, t.attempt), index('message_attempts_tenant_idx').on(t.tenantId, t.messageId)]);

export type MessageAttemptRow = typeof messageAttempts.$inferSelect;
