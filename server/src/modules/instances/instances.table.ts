import { pgTable, text, index, uniqueIndex, jsonb, uuid, integer, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import type { BusinessHours } from './instances.business-hours.js';

export const INSTANCE_STATUSES = ['active', 'paused', 'setup'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export type { BusinessHours };

export const instances = pgTable('instances', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  phoneNumberId: uuid('phone_number_id').notNull().references(() => phoneNumbers.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  status: text('status').$type<InstanceStatus>().notNull().default('active'),
  timezone: text('timezone').notNull().default('UTC'),
  businessHours: jsonb('business_hours').$type<BusinessHours>(),
  // Automation: how long a handoff pauses rules for a customer, and how many automated replies a
  // customer may get per hour (the rest are skipped and counted).
  handoffTimeoutHours: integer('handoff_timeout_hours').notNull().default(24),
  replyLimitPerHour: integer('reply_limit_per_hour').notNull().default(10),
  // The configuration template last applied: which, which version, the values given. (No foreign
  // key: instances sit below rule templates; a deleted template leaves the record of what was applied.)
  appliedTemplateId: uuid('applied_template_id'),
  appliedTemplateVersion: integer('applied_template_version'),
  appliedVariables: jsonb('applied_variables').$type<Record<string, unknown>>(),
  appliedAt: timestamp('applied_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('instances_phone_number_idx').on(t.phoneNumberId), // one instance per number
  index('instances_tenant_idx').on(t.tenantId, t.createdAt, t.id),
]);

export type InstanceRow = typeof instances.$inferSelect;
