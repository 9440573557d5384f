import { pgTable, text, integer, index, jsonb, uuid, boolean } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import { instances } from '../instances/instances.table.js';
import { ruleTemplates } from '../rule-templates/rule-templates.table.js';
import type { RuleTrigger, RuleAction } from './rules.schema.js';

export const automationRules = pgTable('automation_rules', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  instanceId: uuid('instance_id').notNull().references(() => instances.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  position: integer('position').notNull().default(0),
  enabled: boolean('enabled').notNull().default(true),
  trigger: jsonb('trigger').$type<RuleTrigger>().notNull(),
  action: jsonb('action').$type<RuleAction>().notNull(),
  // Where the rule came from, so a newer template version can be offered later.
  ruleTemplateId: uuid('rule_template_id').references(() => ruleTemplates.id, { onDelete: 'set null' }),
  ruleTemplateVersion: integer('rule_template_version'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('automation_rules_tenant_instance_idx').on(t.tenantId, t.instanceId, t.position)]);

export type AutomationRuleRow = typeof automationRules.$inferSelect;
