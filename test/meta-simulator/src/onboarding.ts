import type { SimulatorCore } from './core.js';
import { GraphError, graphErrors } from './errors.js';
import { paged, pickFields, requestedFields } from './fields.js';
import type { GraphAnswer, GraphCall } from './graph.js';
import { numberByDigits, numbersOf } from './state.js';
import type { BusinessRecord, CanSendMessage, HealthEntityType, PhoneNumberRecord, SmsRecord, TokenRecord, WabaRecord } from './types.js';
import { randomDigits } from './util.js';

// The Graph API calls of onboarding a number: the businesses' WABAs, adding a number to a WABA,
// verifying it by SMS or voice code, registering and deregistering it, and the nodes' state
// (fields, health_status). Codes and wording: README, "Onboarding calls and their errors".

const ok = (body: unknown): GraphAnswer => ({ status: 200, body });

// ---- how nodes read ---------------------------------------------------------------------------

const PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'code_verification_status',
  'quality_rating',
  'platform_type',
  'throughput',
  'status',
  'name_status',
  'messaging_limit_tier',
  'health_status',
  'is_on_biz_app',
  'account_mode',
  'is_official_business_account',
  'throughput_mps',
] as const;
/** Without `fields` the simulator answers every field but health_status (Meta answers fewer: see Differences from Meta). */
const PHONE_NUMBER_DEFAULTS = PHONE_NUMBER_FIELDS.filter((f) => !['health_status', 'is_on_biz_app', 'account_mode', 'is_official_business_account'].includes(f));

const WABA_FIELDS = ['id', 'name', 'currency', 'timezone_id', 'message_template_namespace', 'account_review_status', 'owner_business_info', 'health_status'] as const;
const WABA_DEFAULTS = ['id', 'name', 'timezone_id', 'message_template_namespace'] as const;
const BUSINESS_FIELDS = ['id', 'name', 'verification_status'] as const;

/** Meta's status of a number: CONNECTED once registered on Cloud API, PENDING before (or what Meta imposed). */
export function numberStatus(n: PhoneNumberRecord): string {
  return n.statusOverride ?? (n.registered ? 'CONNECTED' : 'PENDING');
}

export function throughputLevel(n: PhoneNumberRecord): string {
  if (!n.registered) return 'NOT_APPLICABLE';
  return n.tier === 1000 ? 'HIGH' : n.tier === 80 ? 'STANDARD' : 'LOW';
}

function phoneNumberField(core: SimulatorCore, n: PhoneNumberRecord, field: string): unknown {
  switch (field) {
    case 'id':
      return n.id;
    case 'display_phone_number':
      return formatDisplayNumber(n.displayPhoneNumber);
    case 'verified_name':
      return n.verifiedName;
    case 'code_verification_status':
      return n.codeVerificationStatus;
    case 'quality_rating':
      return n.quality;
    case 'platform_type':
      return n.registered ? 'CLOUD_API' : 'NOT_APPLICABLE';
    case 'throughput':
      return { level: throughputLevel(n) };
    case 'status':
      return numberStatus(n);
    case 'name_status':
      return n.nameStatus;
    case 'messaging_limit_tier':
      return n.messagingLimitTier;
    case 'health_status':
      return healthStatus(core, core.state.wabas.get(n.wabaId)!, n);
    case 'is_on_biz_app':
      // The demo's 20/s number is the one shared with the WhatsApp Business app ("coexistence").
      return n.tier === 20;
    case 'account_mode':
      return 'LIVE';
    case 'is_official_business_account':
      return false;
    case 'throughput_mps':
      return n.tier;
    default:
      return undefined;
  }
}

/** A phone number as GET /{phone-number-id} and GET /{waba-id}/phone_numbers answer it, honouring `fields`. */
export function phoneNumberJson(core: SimulatorCore, n: PhoneNumberRecord, fields: string[] | null = null): Record<string, unknown> {
  return pickFields('WhatsAppBusinessPhoneNumber', fields, PHONE_NUMBER_DEFAULTS, (f) => phoneNumberField(core, n, f), PHONE_NUMBER_FIELDS);
}

/** Meta formats display numbers for people ("+1 555-078-3881"); webhook metadata carries bare digits. */
export function formatDisplayNumber(digits: string): string {
  const us = /^1(\d{3})(\d{3})(\d{4})$/.exec(digits);
  if (us) return `+1 ${us[1]}-${us[2]}-${us[3]}`;
  const br = /^55(\d{2})(\d{4,5})(\d{4})$/.exec(digits);
  if (br) return `+55 ${br[1]} ${br[2]}-${br[3]}`;
  return `+${digits}`;
}

export function wabaJson(core: SimulatorCore, waba: WabaRecord, fields: string[] | null): Record<string, unknown> {
  const resolve = (field: string): unknown => {
    switch (field) {
      case 'id':
        return waba.id;
      case 'name':
        return waba.name;
      case 'currency':
        return 'USD';
      case 'timezone_id':
        return '1';
      case 'message_template_namespace':
        return `ns_${waba.id}`;
      case 'account_review_status':
        return 'APPROVED';
      case 'owner_business_info': {
        const owner = core.state.businesses.get(waba.ownerBusinessId);
        return { id: waba.ownerBusinessId, name: owner?.name ?? waba.name };
      }
      case 'health_status':
        return healthStatus(core, waba, null);
      default:
        return undefined;
    }
  };
  return pickFields('WhatsAppBusinessAccount', fields, WABA_DEFAULTS, resolve, WABA_FIELDS);
}

// ---- health_status ------------------------------------------------------------------------------

const WORST: CanSendMessage[] = ['AVAILABLE', 'LIMITED', 'BLOCKED'];
const worst = (a: CanSendMessage, b: CanSendMessage): CanSendMessage => (WORST.indexOf(a) >= WORST.indexOf(b) ? a : b);

interface HealthError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

/**
 * Meta's own diagnosis of whether a node can message: one entity per node a send goes through
 * (PHONE_NUMBER when asked of a number, then WABA, BUSINESS, APP), each AVAILABLE, LIMITED or
 * BLOCKED with Meta's errors, and the worst of them overall. The simulator derives the number's
 * entity from its state and adds the issues set through the control API (`POST /_sim/health`).
 */
export function healthStatus(core: SimulatorCore, waba: WabaRecord, number: PhoneNumberRecord | null) {
  const entity = (type: HealthEntityType, id: string, own: { can: CanSendMessage; error: HealthError }[] = []) => {
    const injected = core.state.healthIssues
      .filter((i) => i.entityType === type && i.id === id)
      .map((i) => ({ can: i.canSendMessage as CanSendMessage, error: { error_code: i.errorCode, error_description: i.errorDescription, possible_solution: i.possibleSolution } }));
    const all = [...own, ...injected];
    const can = all.reduce<CanSendMessage>((acc, p) => worst(acc, p.can), 'AVAILABLE');
    return { entity_type: type, id, can_send_message: can, ...(all.length > 0 ? { errors: all.map((p) => p.error) } : {}) };
  };
  const entities = [];
  if (number) {
    const own: { can: CanSendMessage; error: HealthError }[] = [];
    if (number.codeVerificationStatus !== 'VERIFIED') {
      own.push({
        can: 'BLOCKED',
        error: {
          error_code: 133006,
          error_description: 'The phone number has not been verified.',
          possible_solution: 'Request a verification code (POST /{phone-number-id}/request_code), submit it (POST /{phone-number-id}/verify_code), then register the number.',
        },
      });
    }
    if (!number.registered) {
      own.push({
        can: 'BLOCKED',
        error: {
          error_code: 133010,
          error_description: 'The phone number is not registered on Cloud API.',
          possible_solution: 'Register the phone number: POST /{phone-number-id}/register with messaging_product "whatsapp" and its two-step verification PIN.',
        },
      });
    }
    entities.push(entity('PHONE_NUMBER', number.id, own));
  }
  entities.push(entity('WABA', waba.id), entity('BUSINESS', waba.ownerBusinessId), entity('APP', core.state.app.appId));
  return { can_send_message: entities.reduce<CanSendMessage>((acc, e) => worst(acc, e.can_send_message), 'AVAILABLE'), entities };
}

// ---- the app's webhook ------------------------------------------------------------------------

/**
 * /{app-id}/subscriptions, with the app token: the app-level webhook (callback URL and fields) that
 * POST /{waba-id}/subscribed_apps needs. GET reads it; POST sets it once Meta's GET handshake at the
 * URL succeeds (2200 otherwise); DELETE removes it.
 */
export async function appSubscriptions(core: SimulatorCore, call: GraphCall, verify: (url: string, token: string) => Promise<void>): Promise<GraphAnswer> {
  if (!core.isAppToken(call.token)) {
    if (!call.token || call.token.includes('|') || !core.state.tokens.has(call.token)) throw graphErrors.invalidToken();
    throw new GraphError(400, 15, '(#15) This method must be called with an app access_token.');
  }
  const app = core.state.app;
  if (call.method === 'GET') {
    if (!app.webhookUrl) return ok({ data: [] });
    return ok({
      data: [{ object: 'whatsapp_business_account', callback_url: app.webhookUrl, active: true, fields: app.fields.map((name) => ({ name, version: 'v21.0' })) }],
    });
  }
  const object = str(call.params.object);
  if (object !== 'whatsapp_business_account') throw graphErrors.invalidParameter('object must be whatsapp_business_account (the only object the simulator plays)');
  if (call.method === 'DELETE') {
    app.webhookUrl = null;
    return ok({ success: true });
  }
  if (call.method !== 'POST') throw graphErrors.unknownPath(`/${call.segments.join('/')}`);
  const callbackUrl = str(call.params.callback_url);
  if (!callbackUrl || !/^https?:\/\//.test(callbackUrl)) throw graphErrors.invalidParameter('callback_url must be an http(s) URL');
  const fieldsParam = call.params.fields;
  const fields = Array.isArray(fieldsParam) ? fieldsParam.map(String) : (str(fieldsParam) ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw graphErrors.invalidParameter('fields is required (for example messages)');
  const verifyToken = str(call.params.verify_token) ?? '';
  await verify(callbackUrl, verifyToken);
  app.webhookUrl = callbackUrl;
  app.verifyToken = verifyToken;
  app.fields = fields;
  return ok({ success: true });
}

// ---- businesses -----------------------------------------------------------------------------------

/** GET /{business-id} and its WABA edges. Only a token of that business sees it: anyone else gets Meta's "does not exist ... missing permissions". */
export function businessRoute(core: SimulatorCore, call: GraphCall, business: BusinessRecord, edge: string | undefined): GraphAnswer {
  const token = core.authenticate(call.token);
  if (token.businessId !== business.id) throw graphErrors.unknownObject(business.id, call.method);
  if (call.method !== 'GET') throw graphErrors.unknownObject(business.id, call.method);
  const fields = requestedFields(call.query);
  if (edge === undefined) {
    return ok(
      pickFields('Business', fields, ['id', 'name'], (f) => (f === 'id' ? business.id : f === 'name' ? business.name : f === 'verification_status' ? 'verified' : undefined), BUSINESS_FIELDS),
    );
  }
  const wabas = [...core.state.wabas.values()];
  let list: WabaRecord[];
  if (edge === 'owned_whatsapp_business_accounts') list = wabas.filter((w) => w.ownerBusinessId === business.id);
  else if (edge === 'client_whatsapp_business_accounts') list = wabas.filter((w) => w.ownerBusinessId !== business.id && w.partnerBusinessIds.includes(business.id));
  else throw graphErrors.unknownPath(`/${call.segments.join('/')}`);
  return ok(paged(list.map((w) => wabaJson(core, w, fields)), call.query, call.selfUrl));
}

/** GET /{waba-id}/phone_numbers: one page of the WABA's numbers. */
export function listNumbers(core: SimulatorCore, call: GraphCall, waba: WabaRecord): GraphAnswer {
  const fields = requestedFields(call.query);
  return ok(paged(numbersOf(core.state, waba.id).map((n) => phoneNumberJson(core, n, fields)), call.query, call.selfUrl));
}

// ---- adding a number ----------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/**
 * POST /{waba-id}/phone_numbers { cc, phone_number, verified_name }: the number joins the WABA
 * unverified and unregistered, its display name pending review. A phone number lives on one WABA.
 */
export function addNumber(core: SimulatorCore, call: GraphCall, waba: WabaRecord): GraphAnswer {
  const cc = str(call.params.cc);
  const national = str(call.params.phone_number);
  const verifiedName = str(call.params.verified_name);
  if (!cc || !/^\d{1,3}$/.test(cc)) throw graphErrors.invalidParameter('cc must be the country calling code, 1-3 digits (for example 55)');
  if (!national || !/^\d{4,14}$/.test(national)) throw graphErrors.invalidParameter('phone_number must be the phone number in digits, without the country code or +');
  const digits = `${cc}${national}`;
  if (digits.length < 8 || digits.length > 15) throw graphErrors.invalidParameter(`+${digits} is not a valid phone number (8 to 15 digits with the country code)`);
  if (!verifiedName) throw graphErrors.invalidParameter('verified_name is required: the business name shown in WhatsApp');
  if (verifiedName.length > 100) throw graphErrors.invalidParameter('verified_name must be at most 100 characters');
  const taken = numberByDigits(core.state, digits);
  if (taken?.wabaId === waba.id) throw graphErrors.cannotAddNumber(`+${digits} is already in this WhatsApp Business Account (phone number ID ${taken.id}).`);
  if (taken) {
    throw graphErrors.cannotAddNumber(`+${digits} is already registered to another WhatsApp Business Account. Delete it there (or migrate it) before adding it to this one.`);
  }
  const number = core.createNumber({
    wabaId: waba.id,
    displayPhoneNumber: digits,
    verifiedName,
    quality: 'UNKNOWN',
    registered: false,
    codeVerificationStatus: 'NOT_VERIFIED',
    nameStatus: 'PENDING_REVIEW',
    messagingLimitTier: 'TIER_250',
  });
  const state = core.state;
  core.work.schedule(() => {
    if (state === core.state && number.nameStatus === 'PENDING_REVIEW') number.nameStatus = 'APPROVED';
  }, state.scenario.nameReviewDelayMs);
  return ok({ id: number.id });
}

// ---- verification by code -------------------------------------------------------------------------

const LOCALE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

/** What the business owner's phone shows; WhatsApp writes the code as 123-456. */
function smsText(code: string, language: string, method: 'SMS' | 'VOICE'): string {
  const shown = `${code.slice(0, 3)}-${code.slice(3)}`;
  const pt = language.startsWith('pt');
  if (method === 'VOICE') return pt ? `Chamada de voz: seu código do WhatsApp Business é ${shown.split('').join(' ')}` : `Voice call: your WhatsApp Business code is ${shown.split('').join(' ')}`;
  return pt ? `Seu código do WhatsApp Business: ${shown}. Não compartilhe este código.` : `Your WhatsApp Business code: ${shown}. Don't share this code with others.`;
}

function prune(times: number[], windowMs: number, t: number): void {
  while (times.length > 0 && times[0] <= t - windowMs) times.shift();
}

/**
 * POST /{phone-number-id}/request_code { code_method: SMS | VOICE, language }: "sends" a 6-digit
 * code, readable at GET /_sim/sms?phone=<digits>. A new code replaces the previous one.
 */
export function requestCode(core: SimulatorCore, call: GraphCall, number: PhoneNumberRecord): GraphAnswer {
  const method = str(call.params.code_method)?.toUpperCase();
  const language = str(call.params.language);
  if (method !== 'SMS' && method !== 'VOICE') throw graphErrors.invalidParameter('code_method must be SMS or VOICE');
  if (!language || !LOCALE.test(language)) throw graphErrors.invalidParameter('language must be a locale such as en_US or pt_BR');
  if (number.codeVerificationStatus === 'VERIFIED') {
    throw graphErrors.requestCode('The phone number is already verified: register it (POST /{phone-number-id}/register).');
  }
  const s = core.state.scenario;
  const t = Date.now();
  prune(number.codeRequests, s.codeRequestWindowMs, t);
  if (number.codeRequests.length >= s.maxCodeRequests) {
    const waitMin = Math.ceil((number.codeRequests[0] + s.codeRequestWindowMs - t) / 60_000);
    throw graphErrors.requestCode(`Too many codes requested for this phone number: wait ${waitMin} minute(s) before requesting another.`, 2388091, {
      userTitle: 'Try again later',
      userMsg: `You have requested a code too many times. Try again in ${waitMin} minute(s).`,
    });
  }
  number.codeRequests.push(t);
  const code = randomDigits(6);
  number.verification = { code, method, language, sentAt: t, expiresAt: t + s.codeTtlMs, wrongAttempts: 0 };
  const sms: SmsRecord = { phone: number.displayPhoneNumber, phoneNumberId: number.id, code, method, language, text: smsText(code, language, method), sentAt: new Date(t).toISOString() };
  core.state.sms.push(sms);
  if (core.state.sms.length > 10_000) core.state.sms.splice(0, 1_000);
  core.log(`${method === 'SMS' ? 'SMS' : 'voice call'} to +${sms.phone}: ${sms.text}`);
  return ok({ success: true });
}

/** POST /{phone-number-id}/verify_code { code }: the code request_code sent marks the number VERIFIED. */
export function verifyCode(core: SimulatorCore, call: GraphCall, number: PhoneNumberRecord): GraphAnswer {
  const code = str(call.params.code);
  if (!code || !/^\d{6}$/.test(code)) throw graphErrors.invalidParameter('code must be the 6 digits received by SMS or voice call');
  if (number.codeVerificationStatus === 'VERIFIED') throw graphErrors.verifyCode('The phone number is already verified.');
  const pending = number.verification;
  if (!pending) {
    throw graphErrors.verifyCode('No code is pending for this phone number: request one (POST /{phone-number-id}/request_code).', {
      userTitle: 'Request a new code',
      userMsg: 'There is no valid code for this number. Request a new code.',
    });
  }
  if (pending.expiresAt <= Date.now()) {
    number.verification = null;
    throw graphErrors.verifyCode('The code has expired: request a new one (POST /{phone-number-id}/request_code).', { userTitle: 'Code expired', userMsg: 'This code has expired. Request a new code.' });
  }
  if (pending.code !== code) {
    pending.wrongAttempts += 1;
    if (pending.wrongAttempts >= core.state.scenario.maxVerifyAttempts) {
      number.verification = null;
      throw graphErrors.verifyCode('Too many incorrect codes: this code no longer works; request a new one (POST /{phone-number-id}/request_code).', {
        userTitle: 'Too many attempts',
        userMsg: 'You entered an incorrect code too many times. Request a new code.',
      });
    }
    throw graphErrors.verifyCode("The code couldn't be verified: it does not match the code sent to this phone number.", {
      userTitle: 'Incorrect code',
      userMsg: `The code you entered is incorrect. ${core.state.scenario.maxVerifyAttempts - pending.wrongAttempts} attempt(s) left.`,
    });
  }
  number.codeVerificationStatus = 'VERIFIED';
  number.verification = null;
  return ok({ success: true });
}

// ---- register / deregister ----------------------------------------------------------------------

/** Meta counts register and deregister calls together: 10 per number in a moving 72 h window, then 133016. */
function countRegisterAttempt(core: SimulatorCore, number: PhoneNumberRecord): void {
  const s = core.state.scenario;
  const t = Date.now();
  prune(number.registerAttempts, s.registerWindowMs, t);
  if (number.registerAttempts.length >= s.maxRegisterAttempts) throw graphErrors.registerRateLimit();
  number.registerAttempts.push(t);
}

/**
 * POST /{phone-number-id}/register { messaging_product, pin }: puts a verified number on Cloud API.
 * The first register sets the two-step verification PIN; later ones must repeat it (133005).
 */
export function register(core: SimulatorCore, call: GraphCall, number: PhoneNumberRecord): GraphAnswer {
  if (call.params.messaging_product !== 'whatsapp') throw graphErrors.invalidParameter('messaging_product must be "whatsapp"');
  const pin = str(call.params.pin);
  if (!pin || !/^\d{6}$/.test(pin)) throw graphErrors.invalidParameter('pin must be a string of 6 digits');
  countRegisterAttempt(core, number);
  if (number.codeVerificationStatus !== 'VERIFIED') throw graphErrors.needsVerification();
  if (number.pin !== null && number.pin !== pin) throw graphErrors.pinMismatch();
  number.pin = pin;
  number.registered = true;
  return ok({ success: true });
}

/** POST /{phone-number-id}/deregister: off Cloud API (sends answer 133010); the PIN stays. */
export function deregister(core: SimulatorCore, number: PhoneNumberRecord): GraphAnswer {
  countRegisterAttempt(core, number);
  number.registered = false;
  return ok({ success: true });
}

/** The token a route acts with, checked against the number's WABA. */
export function authorizeNumber(core: SimulatorCore, call: GraphCall, number: PhoneNumberRecord): TokenRecord {
  const token = core.authenticate(call.token);
  core.requireAccess(token, number.wabaId, `phone number ${number.id}`);
  return token;
}
