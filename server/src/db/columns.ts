import { timestamp, uuid } from 'drizzle-orm/pg-core';

// Shared column builders: every table has a uuid id and creation/update times.
export const id = () => uuid('id').primaryKey().defaultRandom();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow().$onUpdate(() => new Date());
export const tenantRef = () => uuid('tenant_id').notNull();
