import { pgTable, text, integer, index, uniqueIndex, jsonb, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';

// Meta's message templates per WABA, mirrored: synced from the Graph API and kept current by
// `message_template_status_update` webhooks. Sends are checked against this copy.
export const messageTemplates = pgTable('message_templates', {
  id: id(),
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  wabaId: text('waba_id').notNull(),
  metaTemplateId: text('meta_template_id'),
  name: text('name').notNull(),
  language: text('language').notNull(),
  category: text('category'),
  status: text('status').notNull(),
  // Body parameters the template expects ({{1}}, {{2}}, ...), counted from its components.
  variableCount: integer('variable_count').notNull().default(0),
  components: jsonb('components').notNull().default([]),
  rejectedReason: text('rejected_reason'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('message_templates_waba_name_lang_idx').on(t.wabaId, t.name, t.language),
  index('message_templates_tenant_idx').on(t.tenantId, t.name),
]);

export type MessageTemplateRow = typeof messageTemplates.$inferSelect;
