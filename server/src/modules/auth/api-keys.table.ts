import { pgTable, text, timestamp, index, uniqueIndex, integer } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';

export const API_KEY_SCOPES = ['read', 'full'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

// Only a SHA-256 of the key is stored, with a short visible prefix so a person can tell keys apart.
export const apiKeys = pgTable('api_keys', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull(),
  // `read`: queries and subscriptions only; `full`: mutations too.
  scope: text('scope').$type<ApiKeyScope>().notNull().default('full'),
  // Calls per minute this key may make; null: API_RATE_LIMIT_PER_MINUTE.
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [
  index('api_keys_tenant_idx').on(t.tenantId, t.createdAt, t.id),
  uniqueIndex('api_keys_hash_idx').on(t.keyHash),
]);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
