import type { MetaErrorKind } from '../../meta/meta-errors.js';

// What a send does when Meta refuses it (or never answers): one pure table from the error's
// kind (meta/meta-errors.ts classifies Meta's codes and HTTP statuses into kinds) to an action.
// The sender (outbound.sender.ts) carries the action out; nothing here touches Postgres or Redis,
// so every row is a unit test (outbound.error-policy.spec.ts).

/** A send retried this many times for transient errors (not rate limits) fails for good. */
export const MAX_TRANSIENT_RETRIES = 8;
/** Longest wait between two retries of a transient failure. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** A retry after a call that got no answer waits at least this long, for Meta's statuses to show whether it went. */
export const NETWORK_RETRY_MIN_MS = 3_000;
/** Meta error codes that are rate limits: their retries do not count toward MAX_TRANSIENT_RETRIES. */
export const RATE_LIMIT_CODES = [130429, 131056, 190] as const;
/** Meta's code for "this number is sending spam": the campaign that sent it stops. */
export const SPAM_CODE = 131048;

/**
 * How the limiter's hold of the send ends: `refused`, Meta did not count it (the slot frees at
 * once); `unknown`, it may have been accepted (held as if it was).
 */
export type SlotRelease = 'refused' | 'unknown';

export type SendErrorAction =
  /** Meta counts traffic we cannot see (inbound messages): hold the whole number, every worker, then retry. */
  | { action: 'back_off_number'; release: 'refused'; backoffMs: number; delayMs: number; jitterMs: number }
  /** Only this recipient waits (pair rate); the number's other sends go on. */
  | { action: 'delay_recipient'; release: 'refused'; recipientPauseMs: number; delayMs: number; jitterMs: number }
  /** Try again later, with a backoff that grows with each retry. */
  | { action: 'retry'; release: SlotRelease; delayMs: number; jitterMs: number }
  /** Never retried: the message fails with Meta's reason. */
  | { action: 'fail'; release: SlotRelease; titleSuffix?: string; alert?: boolean; pauseCampaign?: boolean }
  /** The credential is bad: every send of this number would fail the same way. The message waits; the number pauses. */
  | { action: 'pause_number'; release: 'refused' };

export interface SendErrorFacts {
  kind: MetaErrorKind;
  code: number;
  /** The first wait Meta's error suggests (meta-errors.ts), grown by the policy. */
  backoffMs?: number;
  /** Retries of this message so far for transient errors (rate limits excluded). */
  transientRetries: number;
  /** The least gap between two sends to one person (OUTBOUND_RECIPIENT_GAP_MS). */
  recipientGapMs: number;
  /** Whether the message belongs to a campaign. */
  inCampaign: boolean;
}

export function onSendError(facts: SendErrorFacts): SendErrorAction {
  switch (facts.kind) {
    case 'rate_limited_number': {
      const ms = facts.backoffMs ?? 1_000;
      return { action: 'back_off_number', release: 'refused', backoffMs: ms, delayMs: ms, jitterMs: 200 };
    }
    case 'rate_limited_recipient': {
      const ms = Math.max(facts.backoffMs ?? 6_000, facts.recipientGapMs);
      return { action: 'delay_recipient', release: 'refused', recipientPauseMs: ms, delayMs: ms, jitterMs: 200 };
    }
    case 'transient':
    case 'network': {
      const retries = facts.transientRetries + 1;
      const release = facts.kind === 'network' ? 'unknown' : 'refused';
      if (retries > MAX_TRANSIENT_RETRIES) return { action: 'fail', release, titleSuffix: ` (gave up after ${MAX_TRANSIENT_RETRIES} retries)` };
      let ms = Math.min(MAX_BACKOFF_MS, (facts.backoffMs ?? 1_000) * 2 ** (retries - 1));
      // No answer: Meta may have taken it. Wait long enough for its statuses to say so.
      if (facts.kind === 'network') ms = Math.max(ms, NETWORK_RETRY_MIN_MS);
      return { action: 'retry', release, delayMs: ms, jitterMs: Math.floor(ms / 10) };
    }
    case 'token':
      return { action: 'pause_number', release: 'refused' };
    case 'policy_limited':
      // Spam or marketing limits: more sends make it worse. Fail, tell the tenant, and stop the
      // campaign when Meta says the number is spamming.
      return { action: 'fail', release: 'refused', alert: true, pauseCampaign: facts.code === SPAM_CODE && facts.inCampaign };
    case 'window_closed':
    case 'terminal':
    default:
      return { action: 'fail', release: 'refused' };
  }
}
