import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid, boolean, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { instances } from '../instances/instances.table.js';
import { ruleTemplates } from '../rule-templates/rule-templates.table.js';
import type { RuleAction, RuleCondition, RuleTrigger } from './rules.schema.js';
import { messages } from '../messages/messages.table.js';
import { contacts } from '../contacts/contacts.table.js';

export const automationRules = pgTable('automation_rules', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id').notNull().references(() => instances.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  position: integer('position').notNull().default(0),
  enabled: boolean('enabled').notNull().default(true),
  trigger: jsonb('trigger').$type<RuleTrigger>().notNull(),
  conditions: jsonb('conditions').$type<RuleCondition[]>().notNull().default([]),
  actions: jsonb('actions').$type<RuleAction[]>().notNull(),
  // The first matching rule with stop ends evaluation; without, later rules may fire too.
  stop: boolean('stop').notNull().default(true),
  // Where the rule came from, so a newer template version can be offered later.
  ruleTemplateId: uuid('rule_template_id').references(() => ruleTemplates.id, { onDelete: 'set null' }),
  ruleTemplateVersion: integer('rule_template_version'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('automation_rules_tenant_instance_idx').on(t.tenantId, t.instanceId, t.position)]);

export type AutomationRuleRow = typeof automationRules.$inferSelect;

export const RULE_RUN_STATUSES = ['running', 'done'] as const;
export type RuleRunStatus = (typeof RULE_RUN_STATUSES)[number];

/** What became of one action of a run. */
export interface RuleRunAction {
  index: number;
  type: string;
  outcome: 'queued' | 'done' | 'skipped' | 'failed';
  reason?: string;
  messageId?: string;
}

// One rule fired on one inbound message: recorded BEFORE its actions run, under a unique
// (rule, message) key, so that whatever retries, redeliveries or killed workers do, the pair runs
// once. Sends carry an idempotency key derived from the run (automation.runner.ts), so an action
// repeated after a crash queues nothing new. `running` until every action has been carried out.
export const ruleRuns = pgTable('rule_runs', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id').notNull().references(() => instances.id, { onDelete: 'cascade' }),
  ruleId: uuid('rule_id').notNull().references(() => automationRules.id, { onDelete: 'cascade' }),
  // The name when it ran: the rule may be renamed or deleted later, the conversation keeps the truth.
  ruleName: text('rule_name').notNull(),
  messageId: uuid('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  contactId: uuid('contact_id').notNull().references(() => contacts.id, { onDelete: 'cascade' }),
  status: text('status').$type<RuleRunStatus>().notNull().default('running'),
  matched: text('matched').notNull(),
  actions: jsonb('actions').$type<RuleRunAction[]>().notNull().default([]),
  outboundMessageIds: uuid('outbound_message_ids').array().notNull().default([]),
  createdAt: createdAt(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('rule_runs_rule_message_idx').on(t.ruleId, t.messageId),
  index('rule_runs_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
  index('rule_runs_message_idx').on(t.messageId),
  // Cooldowns and the dashboard's "runs, last run" per rule read by (rule, contact) and by rule.
  index('rule_runs_rule_contact_idx').on(t.ruleId, t.contactId, t.createdAt),
]);

export type RuleRunRow = typeof ruleRuns.$inferSelect;
