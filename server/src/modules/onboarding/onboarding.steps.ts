import { randomInt } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { JobDeps } from '../../queue/job-types.js';
import type { PhoneNumberInfo } from '../../meta/graph-client.js';
import { isMetaApiError } from '../../meta/meta-errors.js';
import { decryptSecret, encryptSecret, generateApiKey } from '../../lib/secrets.js';
import { isUniqueViolation } from '../../lib/errors.js';
import { OPERATOR } from '../auth/auth.viewer.js';
import { tenants } from '../tenants/tenants.table.js';
import { apiKeys } from '../auth/api-keys.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { instances } from '../instances/instances.table.js';
import { messages } from '../messages/messages.table.js';
import { META_STATE_FIELDS, isRegistered, metaStateColumns, tierOf } from '../phone-numbers/phone-numbers.meta-state.js';
import { TenantService } from '../tenants/tenants.service.js';
import { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import { InstanceService } from '../instances/instances.service.js';
import { RuleTemplateService } from '../rule-templates/rule-templates.service.js';
import { MessageTemplateService } from '../message-templates/message-templates.service.js';
import { TemplateApplicationService } from '../rule-templates/rule-templates.apply.js';
import { StepFailure } from './onboarding.errors.js';
import { onboardingRuns, type OnboardingFacts, type OnboardingKind, type OnboardingRunRow } from './onboarding.table.js';

// The steps of each kind of run, in order, and what each does. Every step is idempotent: it reads
// Meta (or Postgres) first and does nothing when its work is already done, so a step cut off by
// a killed worker is simply run again. State-changing Meta calls (add number, request code,
// register, subscribe) are each preceded by the read that tells whether they are needed.

export const STEPS: Record<OnboardingKind, readonly string[]> = {
  quick_setup: ['find_number', 'add_number', 'request_code', 'verify_code', 'register', 'subscribe_app', 'read_number', 'create_tenant', 'apply_template', 'verify_first_message'],
  embedded_signup: ['exchange_code', 'check_token', 'read_numbers', 'subscribe_app', 'register', 'read_number', 'create_tenant', 'apply_template', 'verify_first_message'],
};

/** What each step is, for people (GraphQL descriptions, the README). */
export const STEP_DESCRIPTIONS: Record<string, string> = {
  find_number: "look for the number among the WABAs the app's system user can see (the business's owned and client WABAs)",
  add_number: "add the number to the operator's WABA (POST /{waba-id}/phone_numbers)",
  request_code: 'ask Meta to text the client a 6-digit code (POST /{phone-number-id}/request_code)',
  verify_code: 'wait for the code the client received, and verify it (POST /{phone-number-id}/verify_code)',
  register: 'register the number on Cloud API with a two-step PIN wabahub generates and keeps encrypted (POST /{phone-number-id}/register)',
  subscribe_app: "subscribe the app to the WABA so its webhooks reach wabahub (POST /{waba-id}/subscribed_apps)",
  read_number: "read the number's name, status, quality, messaging limit and throughput tier",
  create_tenant: 'create the tenant, its API key, the number (with its business token, encrypted, after Embedded Signup) and its instance',
  apply_template: 'apply the chosen configuration template to the instance',
  verify_first_message: "wait for the first customer message to reach the instance (in development the simulator sends one)",
  exchange_code: "exchange Embedded Signup's one-time code for the client's business token (GET /oauth/access_token)",
  check_token: 'check the token: valid, with whatsapp_business_management and whatsapp_business_messaging granted on the WABA (GET /debug_token)',
  read_numbers: "read the WABA's numbers and find the one the client chose (GET /{waba-id}/phone_numbers)",
};

export interface StepContext {
  deps: JobDeps;
  run: OnboardingRunRow;
  facts: OnboardingFacts;
  /** The step was `running` when picked up: its previous attempt was cut off mid-way. */
  interrupted: boolean;
}

export interface StepOutcome {
  state: 'succeeded' | 'skipped' | 'waiting';
  /** The Meta request that decided the step (no secret in it). */
  request?: Record<string, unknown>;
  answer?: unknown;
  facts?: Partial<OnboardingFacts>;
  /** A waiting step may put the whole run in this state (the SMS code). */
  runState?: 'waiting_for_code';
}

type StepFn = (ctx: StepContext) => Promise<StepOutcome>;

const digitsOf = (s: string) => s.replace(/\D/g, '');

/** The token the run acts with: the client's business token after Embedded Signup, else the app's system token. */
export function runToken(ctx: StepContext): string {
  const { run, deps } = ctx;
  return run.businessToken ? decryptSecret(run.businessToken, deps.env.SECRETS_KEY) : deps.env.META_SYSTEM_TOKEN;
}

function requireFact<K extends keyof OnboardingFacts>(ctx: StepContext, key: K): NonNullable<OnboardingFacts[K]> {
  const value = ctx.facts[key];
  if (value === undefined || value === null) throw new StepFailure(`an earlier step did not record ${key}`, 'retry the run; if it fails again, start a new one');
  return value as NonNullable<OnboardingFacts[K]>;
}

/** The language Meta texts the code in, from the number's country. */
function codeLanguage(country: string | null | undefined): string {
  if (country === 'BR' || country === 'PT') return 'pt_BR';
  if (['ES', 'MX', 'AR', 'CO', 'CL', 'PE', 'UY', 'PY', 'BO', 'EC', 'VE'].includes(country ?? '')) return 'es_ES';
  return 'en_US';
}

function timezoneOf(country: string | null | undefined): string {
  return ({ BR: 'America/Sao_Paulo', PT: 'Europe/Lisbon', MX: 'America/Mexico_City', AR: 'America/Argentina/Buenos_Aires', ES: 'Europe/Madrid' } as Record<string, string>)[country ?? ''] ?? 'UTC';
}

/** The domain services a step needs, built from the job's infrastructure (a job gets no service). */
export function stepServices(deps: JobDeps) {
  const tenantService = new TenantService(deps.db);
  const numbers = new PhoneNumberService(deps.db, deps.env.SECRETS_KEY, tenantService, deps.graph);
  const instanceService = new InstanceService(deps.db, numbers);
  const ruleTemplates = new RuleTemplateService(deps.db);
  const messageTemplates = new MessageTemplateService(deps.db, deps.graph, numbers, deps.env.META_SYSTEM_TOKEN);
  return { numbers, instances: instanceService, ruleTemplates, templateApplications: new TemplateApplicationService(deps.db, ruleTemplates, instanceService, numbers, messageTemplates) };
}

async function numbersOfWaba(ctx: StepContext, wabaId: string): Promise<PhoneNumberInfo[]> {
  return ctx.deps.graph.listPhoneNumbers(wabaId, runToken(ctx), ['id', 'display_phone_number', 'verified_name', 'code_verification_status']);
}

const findNumber: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  const businessId = deps.env.META_BUSINESS_ID;
  if (!businessId) throw new StepFailure('quick setup needs the business portfolio of the system user', 'set META_BUSINESS_ID (and META_OPERATOR_WABA_ID) and restart, then retry; or onboard the client with Embedded Signup');
  const wanted = digitsOf(run.input.phone!.e164);
  const owned = await deps.graph.listOwnedWabas(businessId, runToken(ctx));
  const client = await deps.graph.listClientWabas(businessId, runToken(ctx));
  const seen = [...new Map([...owned, ...client].map((w) => [w.id, w])).values()];
  const looked: string[] = [];
  for (const waba of seen) {
    let numbers: PhoneNumberInfo[];
    try {
      numbers = await numbersOfWaba(ctx, waba.id);
    } catch (error) {
      // A WABA the business owns but the system user was not given: not ours to look in.
      if (isMetaApiError(error) && (error.code === 200 || error.code === 10)) continue;
      throw error;
    }
    looked.push(waba.id);
    const match = numbers.find((n) => digitsOf(n.display_phone_number) === wanted);
    if (match) {
      return {
        state: 'succeeded', request: { method: 'GET', path: `${businessId}/owned_whatsapp_business_accounts, /client_whatsapp_business_accounts, /{waba-id}/phone_numbers` },
        answer: { wabasSearched: looked, match: { wabaId: waba.id, phoneNumberId: match.id, code_verification_status: match.code_verification_status } },
        facts: { found: true, wabaId: waba.id, phoneNumberId: match.id },
      };
    }
  }
  return {
    state: 'succeeded', request: { method: 'GET', path: `${businessId}/owned_whatsapp_business_accounts, /client_whatsapp_business_accounts, /{waba-id}/phone_numbers` },
    answer: { wabasSearched: looked, match: null }, facts: { found: false },
  };
};

const addNumber: StepFn = async (ctx) => {
  const { deps, run, facts } = ctx;
  if (facts.found) return { state: 'skipped', answer: { reason: `the number is already on WABA ${facts.wabaId}` } };
  const wabaId = deps.env.META_OPERATOR_WABA_ID;
  if (!wabaId) throw new StepFailure("the number is on no WABA wabahub can see, and no operator WABA is set to add it to", 'set META_OPERATOR_WABA_ID and restart, then retry; or onboard the client with Embedded Signup');
  const phone = run.input.phone!;
  // Re-read first: a previous attempt may have added it before being cut off.
  const already = (await numbersOfWaba(ctx, wabaId)).find((n) => digitsOf(n.display_phone_number) === digitsOf(phone.e164));
  if (already) return { state: 'succeeded', request: { method: 'GET', path: `${wabaId}/phone_numbers` }, answer: { id: already.id, note: 'already added' }, facts: { wabaId, phoneNumberId: already.id } };
  const body = { cc: phone.cc, phone_number: phone.national, verified_name: run.input.businessName };
  const answer = await deps.graph.addPhoneNumber(wabaId, { cc: phone.cc, phoneNumber: phone.national, verifiedName: run.input.businessName }, runToken(ctx));
  return { state: 'succeeded', request: { method: 'POST', path: `${wabaId}/phone_numbers`, body }, answer, facts: { wabaId, phoneNumberId: answer.id } };
};

const requestCode: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  const id = requireFact(ctx, 'phoneNumberId');
  const info = await deps.graph.getPhoneNumber(id, runToken(ctx), ['code_verification_status']);
  if (info.code_verification_status === 'VERIFIED') return { state: 'skipped', request: { method: 'GET', path: id }, answer: info };
  // Cut off mid-call: Meta may have texted the code. Asking again would send a second SMS (and
  // spend the hourly allowance); the client can ask for another with retryOnboarding.
  if (ctx.interrupted || ctx.facts.codeRequested) return { state: 'succeeded', answer: { note: 'the code was requested by an attempt that was cut off; retry to request another if none arrived' }, facts: { codeRequested: true } };
  const body = { code_method: 'SMS', language: codeLanguage(run.input.phone?.country) };
  const answer = await deps.graph.requestVerificationCode(id, { method: 'SMS', language: body.language }, runToken(ctx));
  return { state: 'succeeded', request: { method: 'POST', path: `${id}/request_code`, body }, answer, facts: { codeRequested: true } };
};

const verifyCode: StepFn = async (ctx) => {
  const id = requireFact(ctx, 'phoneNumberId');
  const info = await ctx.deps.graph.getPhoneNumber(id, runToken(ctx), ['code_verification_status']);
  if (info.code_verification_status === 'VERIFIED') return { state: 'succeeded', request: { method: 'GET', path: id }, answer: info };
  // submitVerificationCode calls verify_code with what the client typed, then resumes the run.
  return { state: 'waiting', runState: 'waiting_for_code', request: { method: 'GET', path: id }, answer: info };
};

/** The run's two-step PIN: generated once and stored encrypted before Meta sees it, so a retry repeats it. */
async function runPin(ctx: StepContext): Promise<string> {
  const { deps, run } = ctx;
  if (run.pin) return decryptSecret(run.pin, deps.env.SECRETS_KEY);
  const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const [stored] = await deps.db.update(onboardingRuns).set({ pin: encryptSecret(pin, deps.env.SECRETS_KEY) })
    .where(and(eq(onboardingRuns.id, run.id), sql`${onboardingRuns.pin} is null`)).returning({ pin: onboardingRuns.pin });
  if (stored?.pin) return pin;
  const [current] = await deps.db.select({ pin: onboardingRuns.pin }).from(onboardingRuns).where(eq(onboardingRuns.id, run.id));
  return decryptSecret(current.pin!, deps.env.SECRETS_KEY);
}

const register: StepFn = async (ctx) => {
  const { deps } = ctx;
  const id = requireFact(ctx, 'phoneNumberId');
  const info = await deps.graph.getPhoneNumber(id, runToken(ctx), ['status', 'platform_type', 'throughput', 'code_verification_status', 'is_on_biz_app']);
  if (info.is_on_biz_app) return { state: 'skipped', request: { method: 'GET', path: id }, answer: info, facts: { onBizApp: true } };
  if (isRegistered(info)) return { state: 'skipped', request: { method: 'GET', path: id }, answer: info };
  const pin = await runPin(ctx);
  const answer = await deps.graph.registerNumber(id, pin, runToken(ctx));
  return { state: 'succeeded', request: { method: 'POST', path: `${id}/register`, body: { messaging_product: 'whatsapp', pin: '******' } }, answer };
};

const subscribeApp: StepFn = async (ctx) => {
  const { deps } = ctx;
  const wabaId = requireFact(ctx, 'wabaId');
  const apps = await deps.graph.listSubscribedApps(wabaId, runToken(ctx));
  if (apps.some((a) => a.whatsapp_business_api_data?.id === deps.env.META_APP_ID)) return { state: 'skipped', request: { method: 'GET', path: `${wabaId}/subscribed_apps` }, answer: apps };
  const answer = await deps.graph.subscribeApp(wabaId, {}, runToken(ctx));
  return { state: 'succeeded', request: { method: 'POST', path: `${wabaId}/subscribed_apps` }, answer };
};

const readNumber: StepFn = async (ctx) => {
  const id = requireFact(ctx, 'phoneNumberId');
  const info = await ctx.deps.graph.getPhoneNumber(id, runToken(ctx), META_STATE_FIELDS);
  return {
    state: 'succeeded', request: { method: 'GET', path: id, query: { fields: META_STATE_FIELDS.join(',') } }, answer: info,
    facts: {
      displayPhoneNumber: info.display_phone_number, verifiedName: info.verified_name, qualityRating: info.quality_rating, nameStatus: info.name_status,
      metaStatus: info.status, messagingLimitTier: info.messaging_limit_tier, throughputTier: tierOf(info),
    },
  };
};

/**
 * Tenant, API key, number and instance in one transaction, with the run's pointers to them: all
 * or nothing, so a worker killed here leaves no half-made client behind and the retry makes one.
 */
const createTenant: StepFn = async (ctx) => {
  const { deps, run, facts } = ctx;
  if (run.tenantId && run.phoneNumberRowId && run.instanceId) return { state: 'skipped', answer: { tenantId: run.tenantId } };
  const phoneNumberId = requireFact(ctx, 'phoneNumberId');
  const wabaId = requireFact(ctx, 'wabaId');
  const key = generateApiKey();
  const name = run.input.businessName;
  const display = `+${digitsOf(facts.displayPhoneNumber ?? run.input.phone?.e164 ?? '')}`;
  try {
    const made = await deps.db.transaction(async (tx) => {
      const [tenant] = await tx.insert(tenants).values({ name }).returning();
      const [apiKey] = await tx.insert(apiKeys).values({ tenantId: tenant.id, name: 'Onboarding', prefix: key.prefix, keyHash: key.hash, scope: 'full' }).returning();
      const state = metaStateColumns({
        id: phoneNumberId, display_phone_number: display, verified_name: facts.verifiedName ?? name, quality_rating: facts.qualityRating ?? 'UNKNOWN',
        status: facts.metaStatus, name_status: facts.nameStatus, messaging_limit_tier: facts.messagingLimitTier,
        ...(facts.throughputTier ? { throughput_mps: facts.throughputTier } : {}),
      }, { status: 'pending' });
      const [number] = await tx.insert(phoneNumbers).values({
        ...state, tenantId: tenant.id, phoneNumberId, wabaId, displayPhoneNumber: display, verifiedName: facts.verifiedName ?? name,
        accessToken: run.businessToken, twoStepPin: run.pin,
      }).returning();
      const [instance] = await tx.insert(instances).values({ tenantId: tenant.id, phoneNumberId: number.id, name: facts.verifiedName ?? name, timezone: timezoneOf(run.input.phone?.country) }).returning();
      await tx.update(onboardingRuns).set({
        tenantId: tenant.id, apiKeyId: apiKey.id, phoneNumberRowId: number.id, instanceId: instance.id, apiKeySecret: encryptSecret(key.key, deps.env.SECRETS_KEY),
      }).where(eq(onboardingRuns.id, run.id));
      return { tenantId: tenant.id, apiKeyId: apiKey.id, phoneNumberRowId: number.id, instanceId: instance.id };
    });
    return { state: 'succeeded', answer: made };
  } catch (error) {
    if (isUniqueViolation(error)) {
      const [other] = await deps.db.select({ tenantId: phoneNumbers.tenantId }).from(phoneNumbers).where(eq(phoneNumbers.phoneNumberId, phoneNumberId));
      throw new StepFailure(`phone number ${phoneNumberId} is already in wabahub (tenant ${other?.tenantId ?? 'unknown'})`, 'remove the number from that tenant (removePhoneNumber), or onboard another number, then retry');
    }
    throw error;
  }
};

const applyTemplate: StepFn = async (ctx) => {
  const { run, deps } = ctx;
  if (!run.input.ruleTemplateId) return { state: 'skipped', answer: { reason: 'no configuration template chosen' } };
  const services = stepServices(deps);
  const instance = await services.instances.findOrFail(OPERATOR, run.instanceId!);
  const applied = await services.templateApplications.applied(OPERATOR, instance);
  if (applied && applied.template.id === run.input.ruleTemplateId) return { state: 'skipped', answer: { template: applied.template.name, version: applied.version } };
  const rules = await services.templateApplications.apply(OPERATOR, { instanceId: instance.id, ruleTemplateId: run.input.ruleTemplateId, variables: run.input.templateVariables });
  return { state: 'succeeded', answer: { rules: rules.map((r) => r.name) } };
};

const verifyFirstMessage: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  const [first] = await deps.db.select({ id: messages.id, at: messages.createdAt }).from(messages)
    .where(and(eq(messages.phoneNumberId, run.phoneNumberRowId!), eq(messages.direction, 'inbound'))).limit(1);
  if (first) return { state: 'succeeded', answer: { messageId: first.id } };
  // An attempt cut off mid-way may not have asked yet: asking again (development only) costs at
  // most one more simulated customer message, where not asking could leave the run waiting forever.
  if (deps.env.NODE_ENV !== 'production') await askSimulatorForMessage(deps, ctx.facts.phoneNumberId!);
  // The inbound hook (onboarding.hooks.ts) finishes the step when the first message is stored.
  return { state: 'waiting', answer: { note: 'waiting for the first customer message to reach the instance' } };
};

/**
 * Development only: the simulator (at META_GRAPH_URL's origin) plays a customer writing to the
 * new number. Best effort: against Meta there is no such endpoint, and the step just waits.
 */
async function askSimulatorForMessage(deps: JobDeps, phoneNumberId: string): Promise<void> {
  try {
    const control = new URL('/_sim/inbound', deps.env.META_GRAPH_URL);
    await fetch(control, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(2_000),
      body: JSON.stringify({ phoneNumberId, name: 'Primeiro Cliente', text: 'Olá! Vocês estão atendendo?' }),
    });
  } catch (error) {
    deps.log.debug({ err: error }, 'onboarding: no simulator to send a first message; waiting for a real one');
  }
}

const exchangeCode: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  if (run.businessToken && !run.signupCode) return { state: 'skipped', answer: { note: 'the code was exchanged already' } };
  if (!run.signupCode) throw new StepFailure('no Embedded Signup code to exchange', 'ask the client to click Connect WhatsApp again, then retry with the new code');
  const code = decryptSecret(run.signupCode, deps.env.SECRETS_KEY);
  const answer = await deps.graph.exchangeCode(code);
  await deps.db.update(onboardingRuns).set({ businessToken: encryptSecret(answer.access_token, deps.env.SECRETS_KEY), signupCode: null }).where(eq(onboardingRuns.id, run.id));
  return { state: 'succeeded', request: { method: 'GET', path: 'oauth/access_token', query: { client_id: deps.env.META_APP_ID, client_secret: '***', code: '***' } }, answer: { token_type: answer.token_type ?? 'bearer', access_token: '***' } };
};

const REQUIRED_SCOPES = ['whatsapp_business_management', 'whatsapp_business_messaging'] as const;

const checkToken: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  const wabaId = run.input.wabaId!;
  const data = await deps.graph.debugToken(runToken(ctx));
  const request = { method: 'GET', path: 'debug_token', query: { input_token: '***' } };
  if (!data.is_valid) throw new StepFailure(`the business token is not valid${data.error ? `: ${data.error.message}` : ''}`, 'ask the client to click Connect WhatsApp again, then retry with the new code', data.error?.code ?? 190);
  for (const scope of REQUIRED_SCOPES) {
    const grant = data.granular_scopes?.find((g) => g.scope === scope);
    // No target_ids: the scope is granted on every asset the token reaches.
    if (!grant || (grant.target_ids && !grant.target_ids.includes(wabaId))) {
      throw new StepFailure(`the token has no ${scope} on WABA ${wabaId} (granular_scopes)`, `ask the client to click Connect WhatsApp again, keep WhatsApp Business Account ${wabaId} selected and grant both permissions, then retry with the new code`, 200);
    }
  }
  return { state: 'succeeded', request, answer: { is_valid: data.is_valid, type: data.type, granular_scopes: data.granular_scopes }, facts: { wabaId } };
};

const readNumbers: StepFn = async (ctx) => {
  const { deps, run } = ctx;
  const wabaId = run.input.wabaId!;
  const numbers = await deps.graph.listPhoneNumbers(wabaId, runToken(ctx), ['id', 'display_phone_number', 'verified_name', 'code_verification_status', 'quality_rating']);
  const chosen = numbers.find((n) => n.id === run.input.phoneNumberId);
  if (!chosen) throw new StepFailure(`WABA ${wabaId} has no phone number ${run.input.phoneNumberId} (it has ${numbers.length})`, 'ask the client to run Connect WhatsApp again and choose the number to connect, then retry with the new code', 100);
  return { state: 'succeeded', request: { method: 'GET', path: `${wabaId}/phone_numbers` }, answer: numbers, facts: { wabaId, phoneNumberId: chosen.id, displayPhoneNumber: chosen.display_phone_number, verifiedName: chosen.verified_name } };
};

export const STEP_FUNCTIONS: Record<string, StepFn> = {
  find_number: findNumber, add_number: addNumber, request_code: requestCode, verify_code: verifyCode, register, subscribe_app: subscribeApp,
  read_number: readNumber, create_tenant: createTenant, apply_template: applyTemplate, verify_first_message: verifyFirstMessage,
  exchange_code: exchangeCode, check_token: checkToken, read_numbers: readNumbers,
};
