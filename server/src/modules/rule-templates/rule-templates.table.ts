import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid, primaryKey, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import type { TemplateVariable } from './rule-templates.variables.js';
import type { SampleMessage, TemplateConfig } from './rule-templates.config.js';

// Configuration templates: the operator's catalogue (not tenant-owned). A template is a name and
// its versions; a published version never changes, editing publishes the next one. Tenants see
// the templates published to all of them, or to them by name (visibility `chosen`).

export const TEMPLATE_VISIBILITIES = ['all', 'chosen'] as const;
export type TemplateVisibility = (typeof TEMPLATE_VISIBILITIES)[number];

export const ruleTemplates = pgTable('rule_templates', {
  id: id(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** The language its texts are in: "pt-BR", "en". */
  locale: text('locale').notNull().default('pt-BR'),
  /** The highest published version (clients apply it unless they name another). */
  latestVersion: integer('latest_version').notNull().default(1),
  visibility: text('visibility').$type<TemplateVisibility>().notNull().default('all'),
  /** The starter gallery's own key ("restaurant:pt-BR"): seeding finds its template by it. */
  starterKey: text('starter_key'),
  clonedFromId: uuid('cloned_from_id'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index('rule_templates_created_idx').on(t.createdAt, t.id),
  uniqueIndex('rule_templates_starter_key_idx').on(t.starterKey),
]);

export type RuleTemplateRow = typeof ruleTemplates.$inferSelect;

export const ruleTemplateVersions = pgTable('rule_template_versions', {
  id: id(),
  templateId: uuid('template_id').notNull().references(() => ruleTemplates.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  variables: jsonb('variables').$type<TemplateVariable[]>().notNull().default([]),
  config: jsonb('config').$type<TemplateConfig>().notNull(),
  sampleMessages: jsonb('sample_messages').$type<SampleMessage[]>().notNull().default([]),
  /** What changed, for the upgrade offer. */
  notes: text('notes').notNull().default(''),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('rule_template_versions_template_version_idx').on(t.templateId, t.version)]);

export type RuleTemplateVersionRow = typeof ruleTemplateVersions.$inferSelect;

/** The tenants a template with visibility `chosen` is published to. */
export const ruleTemplateTenants = pgTable('rule_template_tenants', {
  templateId: uuid('template_id').notNull().references(() => ruleTemplates.id, { onDelete: 'cascade' }),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.templateId, t.tenantId] }), index('rule_template_tenants_tenant_idx').on(t.tenantId)]);
