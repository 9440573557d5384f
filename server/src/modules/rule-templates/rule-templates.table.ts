import { pgTable, text, integer, index, jsonb } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';
import type { RuleSpec, TemplateVariable } from '../automation/rules.schema.js';

// Published by the operator, read by every tenant: a catalogue, so not tenant-owned.
export const ruleTemplates = pgTable('rule_templates', {
  id: id(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  version: integer('version').notNull().default(1),
  variables: jsonb('variables').$type<TemplateVariable[]>().notNull().default([]),
  rules: jsonb('rules').$type<RuleSpec[]>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('rule_templates_created_idx').on(t.createdAt, t.id)]);

export type RuleTemplateRow = typeof ruleTemplates.$inferSelect;
