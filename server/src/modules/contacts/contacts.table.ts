import { pgTable, text, index, uniqueIndex, uuid, timestamp } from 'drizzle-orm/pg-core';
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
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('contacts_tenant_number_wa_idx').on(t.tenantId, t.phoneNumberId, t.waId),
  index('contacts_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
]);

export type ContactRow = typeof contacts.$inferSelect;
