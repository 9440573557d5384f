import { pgTable, text, index } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';

export const tenants = pgTable('tenants', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('tenants_created_idx').on(t.createdAt, t.id)]);

export type TenantRow = typeof tenants.$inferSelect;
