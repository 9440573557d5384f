import { MetaApiError, isMetaApiError } from '../../meta/meta-errors.js';
import type { StepError } from './onboarding.table.js';

// What an onboarding step's failure means for the person onboarding, in one sentence: every
// terminal error a run ends with names its step, Meta's code and message, and the fix. Meta's
// codes are those of /work/shared/meta-cloud-api.md and the simulator's README (with sources).

/** A failure decided by wabahub itself (not Meta's answer): carries its own fix. */
export class StepFailure extends Error {
  constructor(message: string, readonly fix: string, readonly code = 0) {
    super(message);
    this.name = 'StepFailure';
  }
}

export interface ClassifiedFailure {
  retryable: boolean;
  /** First wait before the next attempt, when retryable. */
  backoffMs?: number;
  error: StepError;
}

const WEBHOOK_FIX = 'set the app webhook in the Meta app dashboard (WhatsApp → Configuration: callback URL <wabahub>/webhooks/whatsapp with the verify token, and subscribe the messages field), then retry';

/** The fix for a Meta error on a step; the generic one names the code. */
function fixFor(step: string, e: MetaApiError): string {
  const sub = e.subcode;
  switch (e.code) {
    case 190:
      return step === 'check_token' || step === 'exchange_code'
        ? 'the business token is invalid or expired: ask the client to run Connect WhatsApp again, then retry with the new code'
        : "the access token is invalid or expired: renew the system user's token (META_SYSTEM_TOKEN) or have the client run Connect WhatsApp again, then retry";
    case 200:
    case 10:
      return "the token has no access to this WhatsApp Business Account: give the app's system user access to it in Business Settings (or have the client share it through Embedded Signup), then retry";
    case 100:
      if (sub === 36009) return 'this Embedded Signup code was already used: ask the client to click Connect WhatsApp again, then retry with the new code';
      if (sub === 36007) return 'this Embedded Signup code expired (codes work for 10 minutes): ask the client to click Connect WhatsApp again, then retry with the new code';
      if (sub === 36008) return 'this is not a code Embedded Signup issued: ask the client to click Connect WhatsApp again, then retry with the new code';
      if (step === 'subscribe_app') return WEBHOOK_FIX;
      return `Meta refused a parameter (${e.details ?? e.message}): correct it and retry`;
    case 200000:
      return /another/i.test(`${e.details ?? ''} ${e.message}`)
        ? "the number belongs to another business's WhatsApp account: have its owner delete it there (WhatsApp Manager → Phone numbers) or connect it with Embedded Signup, then retry"
        : 'Meta cannot add this number to the WABA: check it in WhatsApp Manager → Phone numbers, then retry';
    case 136024:
      return sub === 2388091
        ? 'Meta limits how often a code can be sent: wait an hour, then retry'
        : 'Meta would not send a code to this number: check that it can receive SMS, then retry';
    case 136025:
      return 'the code is wrong or expired: type the 6 digits of the latest SMS, or retry to get a new code';
    case 133005:
      return "the number already has a two-step verification PIN: retry with that PIN (retryOnboarding's pin), or turn two-step verification off in WhatsApp Manager and retry";
    case 133006:
      return 'Meta needs the number verified again: retry, and type the code Meta sends by SMS';
    case 133008:
    case 133009:
      return 'too many PIN attempts: wait the time Meta asks (minutes to hours), then retry with the right PIN';
    case 133010:
      return 'the number is not registered on Cloud API: retry to register it';
    case 133015:
      return 'the number was deleted moments ago: wait 5 minutes, then retry';
    case 133016:
      return 'Meta allows about 10 register attempts per number in 72 hours and they are spent: wait, then retry';
    case 133000:
      return 'a previous deregistration of this number did not finish: deregister it in WhatsApp Manager, then retry';
    default:
      return `Meta answered (#${e.code}) ${e.message}: correct what it says, then retry`;
  }
}

export function classifyStepFailure(step: string, error: unknown): ClassifiedFailure {
  if (error instanceof StepFailure) return { retryable: false, error: { step, code: error.code, message: error.message, fix: error.fix } };
  if (isMetaApiError(error)) {
    // 133004 (server temporarily unavailable) is Meta's onboarding word for "try again".
    const retryable = error.retryable || error.code === 133004;
    const message = error.details && !error.message.includes(error.details) ? `${error.message}: ${error.details}` : error.message;
    return {
      retryable, backoffMs: retryable ? (error.backoffMs ?? 1_000) : undefined,
      error: { step, code: error.code, message, fix: retryable ? 'Meta is briefly unavailable: wabahub retries by itself' : fixFor(step, error) },
    };
  }
  const message = (error as Error)?.message ?? String(error);
  // Anything else (Postgres away, a bug): retried, and after the last attempt it stops the run.
  return { retryable: true, backoffMs: 1_000, error: { step, code: 0, message, fix: 'an internal error: wabahub retries; if it persists, check the worker logs and retry' } };
}
