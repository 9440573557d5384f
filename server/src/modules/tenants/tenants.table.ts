import { pgTable, text, index, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';

export const tenants = pgTable('tenants', {
  id: id(),
  name: text('name').notNull(),
  // A disabled tenant's keys stop authenticating and its automation pauses; its traffic is still
  // stored (Meta keeps sending), so enabling it again loses nothing.
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('tenants_created_idx').on(t.createdAt, t.id)]);

export type TenantRow = typeof tenants.$inferSelect;
