import { pgTable, text, index, uniqueIndex, uuid, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';

// A customer as seen by one of the tenant's numbers. The 24-hour customer-service window is per
// (business number, customer), so it lives here: `last_inbound_at` opens and refreshes it.
export const contacts = pgTable('contacts', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  phoneNumberId: uuid('phone_number_id').notNull().references(() => phoneNumbers.id, { onDelete: 'cascade' }),
  waId: text('wa_id').notNull(),
  name: text('name'),
  lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
  // Lower-case labels the tenant or its rules put on the customer (rule conditions read them).
  tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
  // Handed to a person: automation pauses for this customer on this number until resolved, or
  // until it expires (the instance's handoffTimeoutHours after it started).
  handoffStartedAt: timestamp('handoff_started_at', { withTimezone: true }),
  handoffExpiresAt: timestamp('handoff_expires_at', { withTimezone: true }),
  handoffNote: text('handoff_note'),
  // Until when a person has read the conversation (unread = inbound messages after it).
  lastReadAt: timestamp('last_read_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('contacts_tenant_number_wa_idx').on(t.tenantId, t.phoneNumberId, t.waId),
  index('contacts_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
  // Conversations: customers who wrote, by their last message.
  index('contacts_tenant_last_inbound_idx').on(t.tenantId, t.lastInboundAt, t.id).where(sql`${t.lastInboundAt} is not null`),
]);

export type ContactRow = typeof contacts.$inferSelect;
