import { pgTable, text, index, uniqueIndex, jsonb, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';

export const INSTANCE_STATUSES = ['active', 'paused', 'setup'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Weekly opening hours; days 0 (Sunday) to 6, times "HH:MM" in the instance's timezone. */
export interface BusinessHours {
  days: { day: number; open: string; close: string }[];
}

export const instances = pgTable('instances', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  phoneNumberId: uuid('phone_number_id').notNull().references(() => phoneNumbers.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  status: text('status').$type<InstanceStatus>().notNull().default('active'),
  timezone: text('timezone').notNull().default('UTC'),
  businessHours: jsonb('business_hours').$type<BusinessHours>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('instances_phone_number_idx').on(t.phoneNumberId), // one instance per number
  index('instances_tenant_idx').on(t.tenantId, t.createdAt, t.id),
]);

export type InstanceRow = typeof instances.$inferSelect;
