import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import type { JobDeps } from '../../queue/job-types.js';
import type { InboundCommit, InboundHook } from '../webhooks/webhooks.hooks.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { refreshMetaState } from '../phone-numbers/phone-numbers.meta-state.js';
import { decryptSecret } from '../../lib/secrets.js';
import { isMetaApiError } from '../../meta/meta-errors.js';
import { enqueueAdvance } from './onboarding.runner.js';
import { onboardingRuns, onboardingSteps } from './onboarding.table.js';

// Onboarding's part of inbound processing (after commit, at least once, idempotent):
// - a run waiting for its number's first customer message finishes that step;
// - every number heard from records when (the doctor's "last webhook" evidence);
// - account_update and phone_number_quality_update make wabahub re-read the numbers' Meta state.

/** last_webhook_at is written at most this often per number: inbound traffic must not turn into a write per message. */
const LAST_WEBHOOK_RESOLUTION_MS = 10_000;

export const onboardingFirstMessageHook: InboundHook = {
  name: 'onboarding: first message and Meta state',
  afterCommit: async (deps, commit) => {
    await finishFirstMessageSteps(deps, commit);
    await recordLastWebhook(deps, commit);
    await refreshOnAccountEvents(deps, commit);
  },
};

async function finishFirstMessageSteps(deps: JobDeps, commit: InboundCommit): Promise<void> {
  const numbers = [...new Set(commit.messages.map((m) => m.phoneNumberRowId))];
  if (numbers.length === 0) return;
  const runs = await deps.db.select({ id: onboardingRuns.id, tenantId: onboardingRuns.tenantId }).from(onboardingRuns)
    .where(and(eq(onboardingRuns.state, 'running'), inArray(onboardingRuns.phoneNumberRowId, numbers)));
  if (runs.length === 0) return;
  const finished = await deps.db.update(onboardingSteps).set({ state: 'succeeded', finishedAt: new Date(), answer: { note: 'the first customer message reached the instance' } })
    .where(and(inArray(onboardingSteps.runId, runs.map((r) => r.id)), eq(onboardingSteps.name, 'verify_first_message'), inArray(onboardingSteps.state, ['pending', 'running', 'waiting'])))
    .returning({ runId: onboardingSteps.runId });
  for (const { runId } of finished) await enqueueAdvance(deps, runs.find((r) => r.id === runId)!);
}

async function recordLastWebhook(deps: JobDeps, commit: InboundCommit): Promise<void> {
  const numbers = [...new Set(commit.messages.map((m) => m.phoneNumberRowId))];
  const wabas = [...new Set(commit.accountEvents.map((e) => e.wabaId))];
  if (numbers.length === 0 && wabas.length === 0) return;
  const threshold = new Date(Date.now() - LAST_WEBHOOK_RESOLUTION_MS);
  await deps.db.update(phoneNumbers).set({ lastWebhookAt: new Date() }).where(and(
    or(numbers.length > 0 ? inArray(phoneNumbers.id, numbers) : undefined, wabas.length > 0 ? inArray(phoneNumbers.wabaId, wabas) : undefined),
    or(isNull(phoneNumbers.lastWebhookAt), lt(phoneNumbers.lastWebhookAt, threshold)),
  ));
}

/**
 * Meta announces a number's quality or limit change (phone_number_quality_update: its display
 * number and `current_limit`) and account changes (account_update): the limit is written at once,
 * then each number concerned is re-read from Meta for the rest (status, quality, name).
 */
async function refreshOnAccountEvents(deps: JobDeps, commit: InboundCommit): Promise<void> {
  for (const event of commit.accountEvents) {
    if (event.field !== 'phone_number_quality_update' && event.field !== 'account_update') continue;
    const v = event.value as { display_phone_number?: unknown; current_limit?: unknown; phone_number?: unknown };
    const display = String(v.display_phone_number ?? v.phone_number ?? '').replace(/\D/g, '');
    // Every number of the WABA is re-read (the limit is the business's, and a number added by hand
    // may carry a display number other than Meta's); the announced limit is written at once on the one named.
    const rows = await deps.db.select().from(phoneNumbers).where(eq(phoneNumbers.wabaId, event.wabaId));
    for (const row of rows) {
      if (typeof v.current_limit === 'string' && row.displayPhoneNumber.replace(/\D/g, '') === display) {
        await deps.db.update(phoneNumbers).set({ messagingLimitTier: v.current_limit, metaCheckedAt: new Date() }).where(eq(phoneNumbers.id, row.id));
      }
      try {
        const token = row.accessToken ? decryptSecret(row.accessToken, deps.env.SECRETS_KEY) : deps.env.META_SYSTEM_TOKEN;
        await refreshMetaState(deps.db, deps.graph, row, token);
      } catch (error) {
        // Meta refusing the read is the doctor's to explain; the webhook itself is handled.
        if (!isMetaApiError(error)) throw error;
        deps.log.warn({ phoneNumberId: row.phoneNumberId, code: error.code }, 'onboarding: could not re-read a number after an account webhook');
      }
    }
  }
}
