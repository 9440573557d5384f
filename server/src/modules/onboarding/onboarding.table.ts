import { pgTable, text, integer, index, uniqueIndex, jsonb, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from '../../db/columns.js';
import type { EncryptedSecret } from '../../lib/secrets.js';
import { tenants } from '../tenants/tenants.table.js';

// An onboarding run is a row with steps (design.md, style 12): each step is a small idempotent
// function that reads Meta before changing it; the job only advances the row. The run outlives
// any process: a worker killed mid-step leaves the step `running`, and the next job runs it again.

export const ONBOARDING_KINDS = ['quick_setup', 'embedded_signup'] as const;
export type OnboardingKind = (typeof ONBOARDING_KINDS)[number];
export const ONBOARDING_STATES = ['running', 'waiting_for_code', 'succeeded', 'failed', 'cancelled'] as const;
export type OnboardingState = (typeof ONBOARDING_STATES)[number];
/** pending → running → succeeded | skipped | failed; `waiting` while the step needs someone (the SMS code, the first message). */
export const STEP_STATES = ['pending', 'running', 'waiting', 'succeeded', 'skipped', 'failed'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** What the client typed or Embedded Signup handed back (no secret: the code is kept encrypted beside it). */
export interface OnboardingInput {
  businessName: string;
  ruleTemplateId: string | null;
  templateVariables: Record<string, unknown>;
  /** Quick setup: the number as parsed from what was typed. */
  phone?: { e164: string; cc: string; national: string; typed: string; country: string | null };
  /** Embedded Signup: the ids the popup returned. */
  wabaId?: string;
  phoneNumberId?: string;
}

/** What the steps learned from Meta, for the steps after them. */
export interface OnboardingFacts {
  wabaId?: string;
  phoneNumberId?: string;
  /** The number was already on a WABA we can see: nothing added, no code asked. */
  found?: boolean;
  /** request_code was sent (or its call was cut off, so it may have been): never asked twice by the run itself. */
  codeRequested?: boolean;
  displayPhoneNumber?: string;
  verifiedName?: string;
  qualityRating?: string;
  nameStatus?: string;
  metaStatus?: string;
  messagingLimitTier?: string;
  throughputTier?: number;
  /** Coexistence: shared with the WhatsApp Business app, not registered. */
  onBizApp?: boolean;
}

export interface StepError {
  step: string;
  /** Meta's code (0 when the error is wabahub's). */
  code: number;
  message: string;
  /** What to do, in one sentence. */
  fix: string;
}

export const onboardingInvites = pgTable('onboarding_invites', {
  id: id(),
  tokenHash: text('token_hash').notNull(),
  /** Shown on the invite's page; the client may change it. */
  businessName: text('business_name'),
  ruleTemplateId: uuid('rule_template_id'),
  templateVariables: jsonb('template_variables').$type<Record<string, unknown>>(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  runId: uuid('run_id'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('onboarding_invites_token_idx').on(t.tokenHash)]);

export const onboardingRuns = pgTable('onboarding_runs', {
  id: id(),
  kind: text('kind').$type<OnboardingKind>().notNull(),
  state: text('state').$type<OnboardingState>().notNull().default('running'),
  input: jsonb('input').$type<OnboardingInput>().notNull(),
  facts: jsonb('facts').$type<OnboardingFacts>().notNull().default({}),
  // Secrets, encrypted with SECRETS_KEY: Embedded Signup's one-time code (until exchanged), the
  // client's business token, the two-step PIN wabahub generated, the API key's secret (until shown).
  signupCode: jsonb('signup_code').$type<EncryptedSecret>(),
  businessToken: jsonb('business_token').$type<EncryptedSecret>(),
  pin: jsonb('pin').$type<EncryptedSecret>(),
  apiKeySecret: jsonb('api_key_secret').$type<EncryptedSecret>(),
  // What the run made; null until made. tenant_id is also how a tenant sees its own runs.
  // Deleting the tenant deletes the history of its onboarding too.
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  phoneNumberRowId: uuid('phone_number_row_id'),
  instanceId: uuid('instance_id'),
  apiKeyId: uuid('api_key_id'),
  inviteId: uuid('invite_id'),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  /** When the finish hooks (onboarding.succeeded / onboarding.failed) were told; null: not yet (a sweep retells). */
  notifiedAt: timestamp('notified_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  index('onboarding_runs_created_idx').on(t.createdAt, t.id),
  index('onboarding_runs_state_idx').on(t.state, t.updatedAt),
  index('onboarding_runs_tenant_idx').on(t.tenantId, t.createdAt, t.id),
]);

export const onboardingSteps = pgTable('onboarding_steps', {
  id: id(),
  runId: uuid('run_id').notNull().references(() => onboardingRuns.id, { onDelete: 'cascade' }),
  position: integer('position').notNull(),
  name: text('name').notNull(),
  state: text('state').$type<StepState>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  /** The Meta request that decided the step, and Meta's answer (secrets masked). */
  request: jsonb('request').$type<Record<string, unknown>>(),
  answer: jsonb('answer').$type<unknown>(),
  error: jsonb('error').$type<StepError>(),
  /** A transient error waits until then before the step is tried again. */
  retryAt: timestamp('retry_at', { withTimezone: true }),
}, (t) => [uniqueIndex('onboarding_steps_run_name_idx').on(t.runId, t.name)]);

export type OnboardingInviteRow = typeof onboardingInvites.$inferSelect;
export type OnboardingRunRow = typeof onboardingRuns.$inferSelect;
export type OnboardingStepRow = typeof onboardingSteps.$inferSelect;
