import { pgTable, text, integer, index, jsonb, uuid, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { instances } from '../instances/instances.table.js';

export const CAMPAIGN_STATES = ['queued', 'running', 'paused', 'cancelled', 'completed'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const campaigns = pgTable('campaigns', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id').notNull().references(() => instances.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  template: jsonb('template').$type<{ name: string; language: string }>().notNull(),
  state: text('state').$type<CampaignState>().notNull().default('queued'),
  recipientCount: integer('recipient_count').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('campaigns_tenant_idx').on(t.tenantId, t.createdAt, t.id)]);

export type CampaignRow = typeof campaigns.$inferSelect;
