import type { SimulatorCore } from './core.js';
import { GraphError, graphErrors } from './errors.js';
import { paged, requestedFields } from './fields.js';
import {
  addNumber,
  appSubscriptions,
  authorizeNumber,
  businessRoute,
  deregister,
  listNumbers,
  phoneNumberJson,
  register,
  requestCode,
  verifyCode,
  wabaJson,
} from './onboarding.js';
import { countBodyVariables, templatesOf } from './state.js';
import type { PhoneNumberRecord, RequestLogEntry, TemplateCategory, TemplateComponent, TemplateRecord, TokenRecord } from './types.js';
import { isObject, now, randomDigits, type JsonObject } from './util.js';

/** What a Graph route sees: the path without its version prefix, merged parameters, the bearer token. */
export interface GraphCall {
  method: string;
  segments: string[];
  query: Record<string, string>;
  params: JsonObject;
  token: string | null;
  log: RequestLogEntry;
  /** The request's URL without its query, on the simulator's own origin: the base of paging links. */
  selfUrl: string;
}

export interface GraphAnswer {
  status: number;
  body: unknown;
}

const ok = (body: unknown): GraphAnswer => ({ status: 200, body });

/** Routes a Graph API call by URL, as graph.facebook.com does. Throws GraphError for Meta's error answers. */
export async function routeGraph(core: SimulatorCore, call: GraphCall): Promise<GraphAnswer> {
  const [first, edge, ...rest] = call.segments;
  const m = call.method;
  if (first === 'oauth' && edge === 'access_token' && m === 'GET') return exchangeCode(core, call);
  if (first === 'debug_token' && edge === undefined && m === 'GET') return debugToken(core, call);
  if (rest.length === 0 && first === core.state.app.appId && edge === 'subscriptions') return appSubscriptions(core, call, verifyCallback);
  if (first === undefined || rest.length > 0 || !/^\d+$/.test(first)) throw graphErrors.unknownPath(`/${call.segments.join('/')}`);

  const number = core.state.numbers.get(first);
  const waba = core.state.wabas.get(first);
  const business = core.state.businesses.get(first);
  if (!number && !waba && !business) throw graphErrors.unknownObject(first, m);

  if (number) {
    if (edge === 'messages' && m === 'POST') return sendMessage(core, call, number);
    authorizeNumber(core, call, number);
    if (edge === undefined && m === 'GET') return ok(phoneNumberJson(core, number, requestedFields(call.query)));
    if (m === 'POST') {
      if (edge === 'register') return register(core, call, number);
      if (edge === 'deregister') return deregister(core, number);
      if (edge === 'request_code') return requestCode(core, call, number);
      if (edge === 'verify_code') return verifyCode(core, call, number);
    }
  }
  if (waba) {
    const token = core.authenticate(call.token);
    core.requireAccess(token, waba.id, `WhatsApp Business Account ${waba.id}`);
    if (edge === 'phone_numbers' && m === 'GET') return listNumbers(core, call, waba);
    if (edge === 'phone_numbers' && m === 'POST') return addNumber(core, call, waba);
    if (edge === 'subscribed_apps') return subscribedApps(core, call, waba.id);
    if (edge === 'message_templates') return messageTemplates(core, call, waba.id);
    if (edge === undefined && m === 'GET') return ok(wabaJson(core, waba, requestedFields(call.query)));
  }
  if (business) return businessRoute(core, call, business, edge);
  throw graphErrors.unknownObject(first, m);
}

// ---- onboarding -----------------------------------------------------------------------------

function exchangeCode(core: SimulatorCore, call: GraphCall): GraphAnswer {
  const { client_id, client_secret, code } = call.query;
  const app = core.state.app;
  if (client_id !== app.appId) throw new GraphError(400, 100, 'Error validating application. Invalid application ID.');
  if (client_secret !== app.appSecret) throw new GraphError(400, 100, 'Error validating client secret.');
  if (!code) throw new GraphError(400, 100, 'Missing authorization code');
  const record = core.state.codes.get(code);
  if (!record) throw new GraphError(400, 100, 'Invalid verification code format.', undefined, 36008);
  if (record.used) throw new GraphError(400, 100, 'This authorization code has been used.', undefined, 36009);
  if (record.expiresAt <= Date.now()) throw new GraphError(400, 100, 'This authorization code has expired.', undefined, 36007);
  record.used = true;
  const token = core.createToken({ kind: 'business', wabaIds: [record.wabaId] });
  // The client may have unticked a permission in Embedded Signup: the token lacks it on the WABA.
  core.setTokenScopes(token.token, record.wabaId, record.scopes);
  return ok({ access_token: token.token, token_type: 'bearer' });
}

function debugToken(core: SimulatorCore, call: GraphCall): GraphAnswer {
  // Meta wants an app token (`app-id|app-secret`) to inspect another token.
  if (!core.isAppToken(call.token)) {
    if (call.token?.includes('|') || !call.token) throw graphErrors.invalidToken();
    throw new GraphError(400, 100, '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app');
  }
  const input = call.query.input_token;
  if (!input) throw graphErrors.invalidParameter('input_token is required');
  const app = core.state.app;
  const record = core.state.tokens.get(input);
  if (!record) {
    return ok({ data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] } });
  }
  const expired = record.expiresAt !== null && record.expiresAt <= Date.now();
  const data: Record<string, unknown> = {
    app_id: app.appId,
    type: record.kind === 'system' ? 'SYSTEM_USER' : 'USER',
    application: 'wabahub (simulated)',
    data_access_expires_at: 0,
    expires_at: record.expiresAt === null ? 0 : Math.floor(record.expiresAt / 1000),
    is_valid: !expired,
    issued_at: Math.floor(record.createdAt / 1000),
    ...scopesOf(record),
    user_id: record.userId,
  };
  if (expired) data.error = { code: 190, subcode: 463, message: 'Session has expired.' };
  return ok({ data });
}

/**
 * A token's permissions as debug_token reports them: `scopes` names each permission granted, and
 * `granular_scopes` says on which objects (WABA ids; the business for business_management). A
 * permission granted on no object is left out of both, as the client unticked it.
 */
function scopesOf(record: TokenRecord) {
  const messaging = record.wabaIds.filter((id) => !record.noMessaging.includes(id));
  const granular = [
    { scope: 'whatsapp_business_management', target_ids: [...record.wabaIds] },
    { scope: 'whatsapp_business_messaging', target_ids: messaging },
    ...(record.kind === 'system' && record.businessId ? [{ scope: 'business_management', target_ids: [record.businessId] }] : []),
  ].filter((g) => g.target_ids.length > 0);
  return { scopes: [...granular.map((g) => g.scope), 'public_profile'], granular_scopes: granular };
}

export { phoneNumberJson, formatDisplayNumber } from './onboarding.js';

async function subscribedApps(core: SimulatorCore, call: GraphCall, wabaId: string): Promise<GraphAnswer> {
  const waba = core.state.wabas.get(wabaId)!;
  const app = core.state.app;
  const listing = () => ({
    data: waba.subscribed
      ? [
          {
            whatsapp_business_api_data: { id: app.appId, link: `https://www.facebook.com/games/?app_id=${app.appId}`, name: 'wabahub (simulated)' },
            ...(waba.overrideCallbackUri ? { override_callback_uri: waba.overrideCallbackUri } : {}),
          },
        ]
      : [],
  });
  if (call.method === 'GET') return ok(listing());
  if (call.method === 'DELETE') {
    waba.subscribed = false;
    waba.overrideCallbackUri = null;
    return ok({ success: true });
  }
  if (call.method !== 'POST') throw graphErrors.unknownPath(`/${call.segments.join('/')}`);
  // Meta refuses until the app-level webhook exists and listens to `messages`: the step where most onboardings break.
  if (!app.webhookUrl || !app.fields.includes('messages')) throw graphErrors.noAppWebhook();
  const override = call.params.override_callback_uri;
  if (override !== undefined) {
    if (typeof override !== 'string' || !/^https?:\/\//.test(override)) throw graphErrors.invalidParameter('override_callback_uri must be an http(s) URL');
    const verifyToken = typeof call.params.verify_token === 'string' ? call.params.verify_token : '';
    await verifyCallback(override, verifyToken);
    waba.overrideCallbackUri = override;
  }
  waba.subscribed = true;
  return ok({ success: true });
}

/** Meta checks a callback URL with the GET handshake before using it. */
export async function verifyCallback(url: string, verifyToken: string): Promise<void> {
  const challenge = randomDigits(10);
  const target = new URL(url);
  target.searchParams.set('hub.mode', 'subscribe');
  target.searchParams.set('hub.verify_token', verifyToken);
  target.searchParams.set('hub.challenge', challenge);
  let answer: Response;
  try {
    answer = await fetch(target, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw graphErrors.callbackVerification(`Could not reach ${url}: ${(error as Error).message}`);
  }
  const text = (await answer.text()).trim();
  if (answer.status !== 200 || text !== challenge) {
    throw graphErrors.callbackVerification(`The URL couldn't be validated. Response does not match challenge, expected value="${challenge}", received="${text.slice(0, 100)}" (HTTP ${answer.status})`);
  }
}

// ---- templates ------------------------------------------------------------------------------

function templateJson(t: TemplateRecord) {
  return { id: t.id, name: t.name, language: t.language, status: t.status, category: t.category, components: t.components };
}

const CATEGORIES: TemplateCategory[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];

function messageTemplates(core: SimulatorCore, call: GraphCall, wabaId: string): GraphAnswer {
  if (call.method === 'GET') {
    const { name, status } = call.query;
    const data = templatesOf(core.state, wabaId)
      .filter((t) => (name === undefined || t.name === name) && (status === undefined || t.status === status))
      .map(templateJson);
    return ok(paged(data, call.query, call.selfUrl));
  }
  if (call.method === 'DELETE') {
    const name = call.query.name ?? call.params.name;
    if (typeof name !== 'string' || name === '') throw graphErrors.invalidParameter('name is required');
    const doomed = templatesOf(core.state, wabaId).filter((t) => t.name === name && (call.query.hsm_id === undefined || t.id === call.query.hsm_id));
    if (doomed.length === 0) throw new GraphError(400, 100, '(#100) Invalid parameter', 'Message template not found', 2593002);
    for (const t of doomed) core.state.templates.delete(t.id);
    return ok({ success: true });
  }
  if (call.method !== 'POST') throw graphErrors.unknownPath(`/${call.segments.join('/')}`);
  const { name, language, category, components } = call.params;
  if (typeof name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(name)) throw graphErrors.invalidParameter('name must be 1-512 lowercase letters, digits or underscores');
  if (typeof language !== 'string' || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language)) throw graphErrors.invalidParameter('language must be a locale code such as pt_BR or en_US');
  if (typeof category !== 'string' || !CATEGORIES.includes(category as TemplateCategory)) throw graphErrors.invalidParameter('category must be MARKETING, UTILITY or AUTHENTICATION');
  if (!Array.isArray(components) || !components.every(isObject) || !components.some((c) => String(c.type).toUpperCase() === 'BODY')) {
    throw graphErrors.invalidParameter('components must be an array with a BODY component');
  }
  if (core.findTemplate(wabaId, name, language)) {
    throw new GraphError(400, 100, '(#100) Invalid parameter', `Content in this language already exists for template ${name}`, 2388024);
  }
  const template = core.addTemplate({ wabaId, name, language, category: category as TemplateCategory, status: 'PENDING', components: components as TemplateComponent[] });
  core.submitTemplate(template);
  return ok({ id: template.id, status: template.status, category: template.category });
}

// ---- messages -------------------------------------------------------------------------------

const MESSAGE_TYPES = ['text', 'template', 'interactive', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'reaction'];

function sendMessage(core: SimulatorCore, call: GraphCall, number: PhoneNumberRecord): GraphAnswer {
  const token: TokenRecord = core.authenticate(call.token);
  core.requireMessaging(token, number.wabaId, `phone number ${number.id}`);
  const p = call.params;
  if (p.messaging_product !== 'whatsapp') throw graphErrors.invalidParameter('The parameter messaging_product is required and must be "whatsapp".');

  // Mark as read: same endpoint, a different body.
  if (p.status !== undefined) {
    if (p.status !== 'read') throw graphErrors.invalidParameter('status must be "read"');
    if (typeof p.message_id !== 'string' || !p.message_id.startsWith('wamid.')) throw graphErrors.invalidParameter('message_id must be the wamid of a received message');
    call.log.outcome = 'read';
    return ok({ success: true });
  }

  if (!number.registered) throw graphErrors.notRegistered();
  const to = p.to;
  if (typeof to !== 'string' || !/^\d{8,15}$/.test(to)) throw graphErrors.invalidParameter('to must be the recipient phone number in E.164 digits (8-15 digits, no +)');
  const type = p.type ?? 'text';
  if (typeof type !== 'string' || !MESSAGE_TYPES.includes(type)) throw graphErrors.invalidParameter(`type must be one of ${MESSAGE_TYPES.join(', ')}`);
  const template = validateContent(core, number, type, p);

  const t = now();
  if (!core.throughputAllows(number, t)) throw graphErrors.throughput();
  if (!core.pairRateAllows(number, to, t)) throw graphErrors.pairRate();
  // Free-form messages need the customer's 24 h window; templates are how a business starts a conversation.
  let failWith: 'reengagement' | undefined;
  if (type !== 'template' && !core.windowOpen(number, to, t)) {
    if (core.state.scenario.windowErrorMode === 'sync') throw graphErrors.reengagement();
    failWith = 'reengagement';
  }
  const message = core.accept(number, to, { ...p, type }, template, t, failWith);
  call.log.ts = t;
  call.log.outcome = 'accepted';
  call.log.messageId = message.id;
  return ok({ messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: message.id }] });
}

/** Meta's checks on the content of each message type; returns the template used, if any. */
function validateContent(core: SimulatorCore, number: PhoneNumberRecord, type: string, p: JsonObject): TemplateRecord | null {
  const content = p[type];
  if (!isObject(content)) throw graphErrors.invalidParameter(`The parameter ${type} is required for type ${type}`);
  switch (type) {
    case 'text': {
      if (typeof content.body !== 'string' || content.body.length === 0) throw graphErrors.invalidParameter('text.body is required');
      if (content.body.length > 4096) throw graphErrors.invalidParameter('text.body must be at most 4096 characters');
      return null;
    }
    case 'template':
      return validateTemplate(core, number, content);
    case 'interactive': {
      const kind = content.type;
      if (!['button', 'list', 'cta_url', 'product', 'product_list', 'flow', 'location_request_message'].includes(String(kind))) {
        throw graphErrors.invalidParameter('interactive.type must be button, list, cta_url, ...');
      }
      if (!isObject(content.body) || typeof content.body.text !== 'string' || content.body.text === '') throw graphErrors.invalidParameter('interactive.body.text is required');
      if (content.body.text.length > 1024) throw graphErrors.invalidParameter('interactive.body.text must be at most 1024 characters');
      const action = content.action;
      if (!isObject(action)) throw graphErrors.invalidParameter('interactive.action is required');
      if (kind === 'button') {
        const buttons = action.buttons;
        if (!Array.isArray(buttons) || buttons.length === 0) throw graphErrors.invalidParameter('interactive.action.buttons is required');
        if (buttons.length > 3) throw graphErrors.invalidParameter('interactive.action.buttons: at most 3 reply buttons');
        for (const b of buttons) {
          const reply = isObject(b) && isObject(b.reply) ? b.reply : null;
          if (!reply || typeof reply.id !== 'string' || typeof reply.title !== 'string' || reply.title.length === 0 || reply.title.length > 20) {
            throw graphErrors.invalidParameter('each button needs reply.id and a reply.title of 1-20 characters');
          }
        }
      }
      if (kind === 'list') {
        const sections = action.sections;
        if (typeof action.button !== 'string' || !Array.isArray(sections) || sections.length === 0) throw graphErrors.invalidParameter('a list needs action.button and action.sections');
        const rows = sections.reduce((n: number, s) => n + (isObject(s) && Array.isArray(s.rows) ? s.rows.length : 0), 0);
        if (rows === 0 || rows > 10) throw graphErrors.invalidParameter('a list has 1-10 rows in all');
      }
      return null;
    }
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker':
      if (typeof content.link !== 'string' && typeof content.id !== 'string') throw graphErrors.invalidParameter(`${type}.link or ${type}.id is required`);
      return null;
    default:
      return null;
  }
}

function validateTemplate(core: SimulatorCore, number: PhoneNumberRecord, content: JsonObject): TemplateRecord {
  const name = content.name;
  const language = isObject(content.language) ? content.language.code : undefined;
  if (typeof name !== 'string' || typeof language !== 'string') throw graphErrors.invalidParameter('template.name and template.language.code are required');
  const template = core.findTemplate(number.wabaId, name, language);
  if (!template) {
    const other = core.findTemplate(number.wabaId, name);
    throw graphErrors.templateMissing(
      other ? `template name (${name}) does not exist in ${language}; it exists in ${other.language}` : `template name (${name}) does not exist in ${language}`,
    );
  }
  if (template.status !== 'APPROVED') throw graphErrors.templateMissing(`template ${name} (${language}) is ${template.status}, not APPROVED`);
  const components = Array.isArray(content.components) ? content.components : [];
  const body = components.find((c) => isObject(c) && String(c.type).toLowerCase() === 'body');
  const given = isObject(body) && Array.isArray(body.parameters) ? body.parameters.length : 0;
  const expected = countBodyVariables(template.components);
  if (given !== expected) throw graphErrors.templateParams(`body: number of localizable_params (${given}) does not match the expected number of params (${expected})`);
  return template;
}
