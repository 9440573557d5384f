import { pgTable, text, integer, index, uniqueIndex, jsonb, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, tenantRef, updatedAt } from '../../db/columns.js';
import { tenants } from '../tenants/tenants.table.js';
import type { EncryptedSecret } from '../../lib/secrets.js';

export const THROUGHPUT_TIERS = [20, 80, 1000] as const;
export type ThroughputTier = (typeof THROUGHPUT_TIERS)[number];
export const PHONE_NUMBER_STATUSES = ['pending', 'registered', 'connected', 'paused', 'disconnected'] as const;
export type PhoneNumberStatus = (typeof PHONE_NUMBER_STATUSES)[number];

export const phoneNumbers = pgTable('phone_numbers', {
  id: id(),
  tenantId: tenantRef().references(() => tenants.id, { onDelete: 'cascade' }),
  // Meta's Phone Number ID: webhooks route by it, so it is unique across the whole system.
  phoneNumberId: text('phone_number_id').notNull(),
  displayPhoneNumber: text('display_phone_number').notNull(),
  wabaId: text('waba_id').notNull(),
  verifiedName: text('verified_name'),
  qualityRating: text('quality_rating').notNull().default('UNKNOWN'),
  throughputTier: integer('throughput_tier').$type<ThroughputTier>().notNull().default(80),
  status: text('status').$type<PhoneNumberStatus>().notNull().default('pending'),
  // The number's own business token (Embedded Signup), encrypted; else the app's system token is used.
  accessToken: jsonb('access_token').$type<EncryptedSecret>(),
  // Meta's view of the number, kept true by onboarding, the doctor and account webhooks
  // (account_update, phone_number_quality_update): Meta's own status (CONNECTED, PENDING, FLAGGED,
  // RESTRICTED, BANNED...), the display name's review, the messaging limit tier.
  metaStatus: text('meta_status'),
  nameStatus: text('name_status'),
  messagingLimitTier: text('messaging_limit_tier'),
  /** When Meta's state above was last read (or announced by a webhook). */
  metaCheckedAt: timestamp('meta_checked_at', { withTimezone: true }),
  /** When the last webhook about this number arrived: the doctor's evidence that Meta reaches us. */
  lastWebhookAt: timestamp('last_webhook_at', { withTimezone: true }),
  // The two-step verification PIN wabahub registered the number with, encrypted.
  twoStepPin: jsonb('two_step_pin').$type<EncryptedSecret>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  uniqueIndex('phone_numbers_phone_number_id_idx').on(t.phoneNumberId),
  index('phone_numbers_tenant_idx').on(t.tenantId, t.createdAt, t.id),
]);

export type PhoneNumberRow = typeof phoneNumbers.$inferSelect;
