import { randomInt } from 'node:crypto';
import type { RequestLogEntry, Simulator } from '@wabahub/meta-simulator';
import { gql, gqlOk } from './graphql-client.js';
import { eventually } from './webhooks.js';

// Helpers for onboarding tests: the GraphQL operations a wizard runs, and the simulator's log of
// the state-changing Meta calls (what must happen once, whatever fails or is killed).

export const RUN_FIELDS = `id kind state businessName phoneNumberE164 metaPhoneNumberId wabaId tenantId currentStep
  steps { name state attempts startedAt finishedAt request error { step code message fix } }`;
export const QUICK_SETUP = `mutation($input: QuickSetupInput!) { quickSetup(input: $input) { ${RUN_FIELDS} } }`;
export const EMBEDDED_SIGNUP = `mutation($input: StartEmbeddedSignupInput!) { startEmbeddedSignup(input: $input) { ${RUN_FIELDS} } }`;
export const SUBMIT_CODE = `mutation($runId: ID!, $code: String!) { submitVerificationCode(runId: $runId, code: $code) { ${RUN_FIELDS} } }`;
export const RETRY = `mutation($runId: ID!, $code: String, $pin: String) { retryOnboarding(runId: $runId, code: $code, pin: $pin) { ${RUN_FIELDS} } }`;
export const RUN = `query($id: ID!) { onboardingRun(id: $id) { ${RUN_FIELDS} } }`;

export interface RunView {
  id: string;
  state: string;
  tenantId: string | null;
  metaPhoneNumberId: string | null;
  wabaId: string | null;
  currentStep: string | null;
  steps: { name: string; state: string; attempts: number; error: { step: string; code: number; message: string; fix: string } | null }[];
}

/** A Brazilian mobile number nobody uses, as a person types it: "(11) 9xxxx-xxxx". */
export function typedBrazilianNumber(): { typed: string; digits: string } {
  const rest = String(randomInt(10_000_000, 99_999_999));
  return { typed: `(11) 9${rest.slice(0, 4)}-${rest.slice(4)}`, digits: `55119${rest}` };
}

export async function readRun(url: string, key: string, id: string): Promise<RunView> {
  return (await gqlOk<{ onboardingRun: RunView }>(url, key, RUN, { id })).onboardingRun;
}

/** Polls the run until `done` holds (a state, usually). */
export async function waitForRun(url: string, key: string, id: string, done: (run: RunView) => boolean, what: string, timeoutMs = 20_000): Promise<RunView> {
  let last: RunView | undefined;
  try {
    return await eventually(async () => {
      last = await readRun(url, key, id);
      return done(last) ? last : undefined;
    }, what, timeoutMs, 100);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the run was ${JSON.stringify(last)}`);
  }
}

export const stateIs = (...states: string[]) => (run: RunView) => states.includes(run.state);

export async function startQuickSetup(url: string, key: string, input: Record<string, unknown>): Promise<RunView> {
  return (await gqlOk<{ quickSetup: RunView }>(url, key, QUICK_SETUP, { input })).quickSetup;
}

/** The latest code the simulator "texted" to these digits. */
export function smsCode(sim: Simulator, digits: string): string {
  const sms = sim.sms(digits);
  if (sms.length === 0) throw new Error(`no SMS was sent to +${digits}`);
  return sms[sms.length - 1].code;
}

/** Meta's state-changing onboarding calls in the simulator's log, by kind, that Meta accepted (2xx) or not. */
export function stateChangingCalls(sim: Simulator, ids: { wabaId?: string | null; phoneNumberId?: string | null }, since = 0) {
  const entries = sim.requests({ since }).filter((e: RequestLogEntry) => e.method === 'POST');
  const of = (suffix: string, target?: string | null) => entries.filter((e) => target && e.target === target && e.path.endsWith(suffix));
  const count = (list: RequestLogEntry[]) => ({ all: list.length, ok: list.filter((e) => e.status >= 200 && e.status < 300).length });
  return {
    addNumber: count(of('/phone_numbers', ids.wabaId)),
    requestCode: count(of('/request_code', ids.phoneNumberId)),
    register: count(of('/register', ids.phoneNumberId)),
    subscribe: count(of('/subscribed_apps', ids.wabaId)),
    verifyCode: count(of('/verify_code', ids.phoneNumberId)),
  };
}

export { gql };
