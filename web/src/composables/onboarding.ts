import type { OnboardingRunFieldsFragment, StarterTemplatesQuery } from '../api/generated';
import type { NodeOf } from '../api/types';

// What the onboarding pages show of a run: its steps as people read them, the step it stopped on
// with its fix, whether it waits for the SMS code, and how a run read later compares with the one
// on screen. Pure functions, shared by the "Add client" wizard, the invite page and the runs page.

export type OnboardingRun = OnboardingRunFieldsFragment;
export type OnboardingStep = OnboardingRun['steps'][number];
export type StepError = NonNullable<OnboardingStep['error']>;

export const RUN_STATES = ['running', 'waiting_for_code', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Each step's name in a person's words (the API's own description is shown beside it). */
export const STEP_LABELS: Record<string, string> = {
  find_number: 'Find the number at Meta',
  add_number: 'Add the number to your WhatsApp account',
  request_code: 'Text a code to the number',
  verify_code: 'Verify the code',
  register: 'Register the number',
  subscribe_app: 'Receive its messages',
  read_number: "Read the number's status",
  create_tenant: 'Create the client, its key and instance',
  apply_template: 'Apply the configuration',
  verify_first_message: 'First customer message',
  exchange_code: "Accept Meta's authorization",
  check_token: 'Check the permissions',
  read_numbers: 'Find the chosen number',
};

export function stepLabel(name: string): string {
  return STEP_LABELS[name] ?? name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** A run is over: nothing moves without retry. */
export function isFinished(state: string): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** The step a failed run stopped on, with Meta's code, message and the fix. */
export function failedStep<S extends { state: string }>(run: { state: string; steps: S[] }): S | null {
  if (run.state !== 'failed') return null;
  return run.steps.find((s) => s.state === 'failed') ?? null;
}

/** While the run waits for the SMS code: the last code Meta refused (the run keeps waiting). */
export function refusedCode(run: Pick<OnboardingRun, 'state' | 'steps'>): StepError | null {
  if (run.state !== 'waiting_for_code') return null;
  return run.steps.find((s) => s.name === 'verify_code')?.error ?? null;
}

/** "5 of 10": settled steps (succeeded or skipped) out of all. */
export function progressOf(run: { steps: { state: string }[] }): { done: number; total: number } {
  return { done: run.steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length, total: run.steps.length };
}

/** "1.2 s", "3 min 4 s": how long a step took, or has been running until `now`. */
export function stepDuration(step: Pick<OnboardingStep, 'startedAt' | 'finishedAt'>, now: number = Date.now()): string | null {
  if (!step.startedAt) return null;
  const ms = (step.finishedAt ? Date.parse(step.finishedAt) : now) - Date.parse(step.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The page subscribes first and then reads the run, so a pushed update can arrive before the read
 * answers: the read must not take the page back. A run that has settled more steps, or moved to
 * another state, is the newer one; a retried run (failed → running) is newer although it redoes steps.
 */
export function isNewer(current: { state: string; steps: { state: string }[] } | null, incoming: { state: string; steps: { state: string }[] }): boolean {
  if (!current) return true;
  const before = progressOf(current).done;
  const after = progressOf(incoming).done;
  const retried = current.state === 'failed' && incoming.state === 'running';
  if (after !== before) return after > before || retried;
  if (current.state === incoming.state) return true; // same progress: the later answer has the latest errors and times
  return !isFinished(current.state) || retried;
}

/** "+55 11 98765-4321" style, from E.164 digits we know nothing else about: just the plus and the digits. */
export function runNumber(run: Pick<OnboardingRun, 'phoneNumberE164' | 'phoneNumber'>): string {
  return run.phoneNumber?.displayPhoneNumber ?? run.phoneNumberE164 ?? '—';
}

// ---- the quick-setup form ------------------------------------------------------------------

/** Countries a number is typed in without "+", BR first (where most clients are). */
export const COUNTRIES: { code: string; name: string; callingCode: string }[] = [
  { code: 'BR', name: 'Brazil', callingCode: '55' },
  { code: 'PT', name: 'Portugal', callingCode: '351' },
  { code: 'US', name: 'United States', callingCode: '1' },
  { code: 'MX', name: 'Mexico', callingCode: '52' },
  { code: 'AR', name: 'Argentina', callingCode: '54' },
  { code: 'CO', name: 'Colombia', callingCode: '57' },
  { code: 'CL', name: 'Chile', callingCode: '56' },
  { code: 'PE', name: 'Peru', callingCode: '51' },
  { code: 'ES', name: 'Spain', callingCode: '34' },
  { code: 'GB', name: 'United Kingdom', callingCode: '44' },
  { code: 'DE', name: 'Germany', callingCode: '49' },
  { code: 'FR', name: 'France', callingCode: '33' },
  { code: 'IT', name: 'Italy', callingCode: '39' },
  { code: 'IN', name: 'India', callingCode: '91' },
];

/**
 * What a person typed, checked only as far as the browser can tell: at least 8 digits. The server
 * parses it for the country (libphonenumber) and names the field when it is not a number.
 */
export function phoneProblem(typed: string): string | undefined {
  const digits = typed.replace(/\D/g, '');
  if (!digits) return 'type the WhatsApp number, as you would dial it';
  if (digits.length < 8) return 'too short for a phone number';
  if (digits.length > 15) return 'too long for a phone number (15 digits at most)';
  return undefined;
}

export type StarterTemplate = NodeOf<StarterTemplatesQuery['ruleTemplates']>;
export type StarterVariable = StarterTemplate['variables'][number];

/** The variables the wizard fills itself: the business name comes from its own field. */
const FROM_THE_FORM = new Set(['business_name']);

/**
 * A configuration template's variables prefilled for a quick start: each one's default, else its
 * example (the client edits them later on the template's page). What has neither is listed in
 * `missing`, for the person to type.
 */
export function prefilledVariables(variables: readonly StarterVariable[]): { values: Record<string, unknown>; missing: string[] } {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const v of variables) {
    if (FROM_THE_FORM.has(v.name)) continue;
    const value = v.default ?? v.example;
    if (value !== null && value !== undefined && value !== '') values[v.name] = value;
    else if (v.required) missing.push(v.name);
  }
  return { values, missing };
}

/** A prefilled value in one line: "https://…", "Mon–Fri 9:00–18:00", "R$ 7.90". */
export function previewValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(previewValue).join(', ');
  const record = value as Record<string, unknown>;
  if (typeof record.amount === 'number' && typeof record.currency === 'string') return `${record.currency} ${record.amount.toFixed(2)}`;
  if (Array.isArray(record.days)) return weeklyHours(record.days as { day: number; open: string; close: string }[]);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** A weekly_hours value ({ days: [{ day: 0–6 from Sunday, open, close }] }): "Mon–Fri 09:00–18:00, Sat 09:00–13:00". */
export function weeklyHours(days: readonly { day: number; open: string; close: string }[]): string {
  if (!days.length) return 'closed every day';
  const byHours = new Map<string, number[]>();
  for (const d of [...days].sort((a, b) => ((a.day + 6) % 7) - ((b.day + 6) % 7))) {
    const key = `${d.open}–${d.close}`;
    byHours.set(key, [...(byHours.get(key) ?? []), d.day]);
  }
  // Runs of consecutive days (Monday first) read as "Mon–Fri".
  const spans = (list: number[]) => {
    const order = list.map((d) => (d + 6) % 7);
    const parts: string[] = [];
    for (let i = 0; i < order.length; i++) {
      let j = i;
      while (j + 1 < order.length && order[j + 1] === order[j] + 1) j++;
      const name = (n: number) => DAY_NAMES[(n + 1) % 7];
      parts.push(j - i >= 2 ? `${name(order[i])}–${name(order[j])}` : order.slice(i, j + 1).map(name).join(', '));
      i = j;
    }
    return parts.join(', ');
  };
  return [...byHours].map(([hours, list]) => `${spans(list)} ${hours}`).join('; ');
}

/** Templates in the language of the country first (pt-BR for Brazil and Portugal), then the rest. */
export function templatesFor(country: string, templates: readonly StarterTemplate[]): StarterTemplate[] {
  const locale = country === 'BR' || country === 'PT' ? 'pt-BR' : 'en';
  return [...templates].sort((a, b) => Number(b.locale === locale) - Number(a.locale === locale));
}
