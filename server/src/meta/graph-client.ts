import { Pool } from 'undici';
import { MetaApiError, MetaNetworkError } from './meta-errors.js';

// wabahub's client of Meta's Graph API (or of the simulator, which answers the same URLs). One pool
// of keep-alive connections per process, a deadline per request, and every failure turned into a
// MetaApiError that says what to do. The client never retries: the caller (send worker, onboarding
// step) owns the retry policy and reads `error.kind` / `error.backoffMs`.

export interface GraphClientOptions {
  /** Graph API base URL including the version, e.g. https://graph.facebook.com/v21.0 (META_GRAPH_URL). */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** The app's permanent system-user token: used for a number without its own business token. */
  systemToken: string;
  /** Deadline of each request, connection included (default 10 s). */
  timeoutMs?: number;
  /** Keep-alive connections to the Graph API (default 128; META_HTTP_CONNECTIONS). */
  connections?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Bearer token; none for endpoints authenticated by query parameters. */
  token?: string;
  timeoutMs?: number;
}

// ---- message bodies -------------------------------------------------------------------------

export interface MediaObject {
  id?: string;
  link?: string;
  caption?: string;
  filename?: string;
}

export interface TemplateParameter {
  type: 'text' | 'currency' | 'date_time' | 'image' | 'document' | 'video' | 'payload';
  text?: string;
  [key: string]: unknown;
}

export interface TemplateMessage {
  name: string;
  language: { code: string; policy?: 'deterministic' };
  components?: { type: 'header' | 'body' | 'button'; sub_type?: string; index?: string | number; parameters: TemplateParameter[] }[];
}

export interface ReplyButton {
  type: 'reply';
  reply: { id: string; title: string };
}

export interface InteractiveMessage {
  type: 'button' | 'list' | 'cta_url' | 'product' | 'product_list' | 'flow';
  header?: { type: 'text' | 'image' | 'video' | 'document'; text?: string; [key: string]: unknown };
  body: { text: string };
  footer?: { text: string };
  action: {
    /** Reply buttons: at most 3. */
    buttons?: ReplyButton[];
    /** List: the button's label and its sections (10 rows in all at most). */
    button?: string;
    sections?: { title?: string; rows: { id: string; title: string; description?: string }[] }[];
    name?: string;
    parameters?: Record<string, unknown>;
  };
}

export type MessageContent =
  | { type: 'text'; text: { body: string; preview_url?: boolean } }
  | { type: 'template'; template: TemplateMessage }
  | { type: 'interactive'; interactive: InteractiveMessage }
  | { type: 'image'; image: MediaObject }
  | { type: 'audio'; audio: MediaObject }
  | { type: 'video'; video: MediaObject }
  | { type: 'document'; document: MediaObject }
  | { type: 'sticker'; sticker: MediaObject }
  | { type: 'location'; location: { latitude: number; longitude: number; name?: string; address?: string } }
  | { type: 'reaction'; reaction: { message_id: string; emoji: string } };

/** What POST /{phone-number-id}/messages takes; `messaging_product` and `recipient_type` are filled in. */
export type SendMessageBody = MessageContent & {
  /** Recipient in E.164 digits, no "+". */
  to: string;
  /** Quote one of the conversation's messages. */
  context?: { message_id: string };
  biz_opaque_callback_data?: string;
};

export interface SendMessageResult {
  messaging_product: 'whatsapp';
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
}

// ---- onboarding and account shapes ------------------------------------------------------------

export interface ExchangedToken {
  access_token: string;
  token_type?: string;
  expires_in?: number;
}

export interface DebugTokenData {
  app_id?: string;
  type?: string;
  application?: string;
  is_valid: boolean;
  /** Epoch seconds; 0 means never. */
  expires_at?: number;
  scopes: string[];
  granular_scopes?: { scope: string; target_ids?: string[] }[];
  user_id?: string;
  error?: { code: number; subcode?: number; message: string };
}

export interface PhoneNumberInfo {
  id: string;
  /** Formatted for people by Meta ("+1 555-078-3881"); webhook metadata carries digits only. */
  display_phone_number: string;
  verified_name: string;
  quality_rating: 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN' | string;
  /** NOT_VERIFIED until verify_code succeeds (a number added by API), VERIFIED, or EXPIRED. */
  code_verification_status?: 'NOT_VERIFIED' | 'VERIFIED' | 'EXPIRED' | string;
  name_status?: 'APPROVED' | 'PENDING_REVIEW' | 'DECLINED' | 'EXPIRED' | 'NONE' | string;
  /** CLOUD_API once registered; NOT_APPLICABLE before. */
  platform_type?: string;
  /** CONNECTED once registered, PENDING before; or what Meta imposed (FLAGGED, RESTRICTED, BANNED, ...). */
  status?: string;
  throughput?: { level: 'STANDARD' | 'HIGH' | 'NOT_APPLICABLE' | string };
  /** Simulator only: the numeric messages-per-second tier. */
  throughput_mps?: number;
  messaging_limit_tier?: 'TIER_250' | 'TIER_1K' | 'TIER_10K' | 'TIER_100K' | 'TIER_UNLIMITED' | string;
  /** Only when asked for (fields). */
  health_status?: HealthStatus;
  /** Shared with the WhatsApp Business app ("coexistence"): not to be registered. Only when asked for. */
  is_on_biz_app?: boolean;
}

/** A field of a phone number, for `fields=`. */
export type PhoneNumberField = keyof PhoneNumberInfo;

export type CanSendMessage = 'AVAILABLE' | 'LIMITED' | 'BLOCKED';

/** One problem Meta's health_status reports, with the fix in Meta's words. */
export interface HealthStatusError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

export interface HealthStatusEntity {
  entity_type: 'PHONE_NUMBER' | 'WABA' | 'BUSINESS' | 'APP' | 'MESSAGE_TEMPLATE' | string;
  id: string;
  can_send_message: CanSendMessage | string;
  errors?: HealthStatusError[];
}

/** Meta's own diagnosis of a node: the worst of its entities, and each entity's status and errors. */
export interface HealthStatus {
  can_send_message: CanSendMessage | string;
  entities: HealthStatusEntity[];
}

/** A WhatsApp Business Account as the business edges list it. */
export interface WabaInfo {
  id: string;
  name: string;
  currency?: string;
  timezone_id?: string;
  message_template_namespace?: string;
}

export interface AddPhoneNumberInput {
  /** Country calling code, digits only ("55"). */
  cc: string;
  /** The national number, digits only, without the country code ("11987654321"). */
  phoneNumber: string;
  /** The business name WhatsApp shows; Meta reviews it (name_status). */
  verifiedName: string;
}

/** The app-level webhook (GET /{app-id}/subscriptions): without one for whatsapp_business_account listening to messages, subscribing a WABA fails with (#100). */
export interface AppSubscription {
  object: string;
  callback_url: string;
  active: boolean;
  fields: { name: string; version?: string }[];
}

export interface SubscribedApp {
  whatsapp_business_api_data: { id: string; link?: string; name?: string };
  override_callback_uri?: string;
}

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

export interface TemplateComponent {
  type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS' | string;
  format?: string;
  text?: string;
  buttons?: unknown[];
  example?: unknown;
}

export interface TemplateInfo {
  id: string;
  name: string;
  language: string;
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED' | string;
  category: TemplateCategory | string;
  components: TemplateComponent[];
}

export interface CreateTemplateInput {
  name: string;
  language: string;
  category: TemplateCategory;
  components: TemplateComponent[];
  allow_category_change?: boolean;
}

interface Page<T> {
  data: T[];
  paging?: { cursors?: { after?: string }; next?: string };
}

const MAX_PAGES = 50;

export class GraphClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly timeoutMs: number;
  /** How many requests can be on the wire at once; more wait in the pool for a connection. */
  readonly connections: number;

  constructor(private readonly options: GraphClientOptions) {
    const base = new URL(options.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.connections = options.connections ?? 128;
    this.pool = new Pool(base.origin, {
      connections: this.connections,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(this.timeoutMs, 10_000) },
    });
  }

  /** The token to act for a number: its own business token (Embedded Signup) when it has one, else the app's system token. */
  tokenFor(numberToken?: string | null): string {
    return numberToken || this.options.systemToken;
  }

  /** The app token (`app-id|app-secret`) that debug_token wants. */
  private get appToken(): string {
    return `${this.options.appId}|${this.options.appSecret}`;
  }

  // ---- messages -----------------------------------------------------------------------------

  sendMessage(phoneNumberId: string, body: SendMessageBody, token?: string): Promise<SendMessageResult> {
    return this.request('POST', `${phoneNumberId}/messages`, {
      body: { messaging_product: 'whatsapp', recipient_type: 'individual', ...body },
      token: this.tokenFor(token),
    });
  }

  /** Marks a received message read (the customer sees blue ticks). */
  markRead(phoneNumberId: string, messageId: string, token?: string): Promise<{ success: boolean }> {
    return this.request('POST', `${phoneNumberId}/messages`, {
      body: { messaging_product: 'whatsapp', status: 'read', message_id: messageId },
      token: this.tokenFor(token),
    });
  }

  // ---- onboarding (Embedded Signup) ---------------------------------------------------------

  /** Step 2: trades Embedded Signup's one-time code for the client's business token. */
  exchangeCode(code: string): Promise<ExchangedToken> {
    return this.request('GET', 'oauth/access_token', {
      query: { client_id: this.options.appId, client_secret: this.options.appSecret, code },
    });
  }

  /** Step 3: what a token is, whether it is valid, and which WABAs it may act on (granular_scopes). */
  async debugToken(inputToken: string): Promise<DebugTokenData> {
    const answer = await this.request<{ data: DebugTokenData }>('GET', 'debug_token', { query: { input_token: inputToken }, token: this.appToken });
    return answer.data;
  }

  /** Step 4: the WABA's numbers (every page), with the chosen fields or Meta's defaults. */
  listPhoneNumbers(wabaId: string, token?: string, fields?: readonly PhoneNumberField[]): Promise<PhoneNumberInfo[]> {
    return this.listAll(`${wabaId}/phone_numbers`, this.tokenFor(token), { fields: fields?.join(',') });
  }

  /** A number's state; ask for `health_status` in `fields` to get Meta's diagnosis too. */
  getPhoneNumber(phoneNumberId: string, token?: string, fields?: readonly PhoneNumberField[]): Promise<PhoneNumberInfo> {
    return this.request('GET', phoneNumberId, { token: this.tokenFor(token), query: { fields: fields?.join(',') } });
  }

  /** Meta's health_status of a phone number or WABA: can it send, and what each entity's problem is. */
  async getHealthStatus(nodeId: string, token?: string): Promise<HealthStatus> {
    const answer = await this.request<{ health_status: HealthStatus }>('GET', nodeId, { token: this.tokenFor(token), query: { fields: 'health_status' } });
    return answer.health_status;
  }

  /** Step 5: makes the WABA's webhooks reach our app (optionally at another callback URL, verified by Meta first). */
  subscribeApp(wabaId: string, opts: { overrideCallbackUri?: string; verifyToken?: string } = {}, token?: string): Promise<{ success: boolean }> {
    const body =
      opts.overrideCallbackUri !== undefined ? { override_callback_uri: opts.overrideCallbackUri, verify_token: opts.verifyToken ?? '' } : undefined;
    return this.request('POST', `${wabaId}/subscribed_apps`, { body, token: this.tokenFor(token) });
  }

  listSubscribedApps(wabaId: string, token?: string): Promise<SubscribedApp[]> {
    return this.listAll(`${wabaId}/subscribed_apps`, this.tokenFor(token));
  }

  /** The app's webhook subscriptions (app token): is a callback URL set for whatsapp_business_account, with `messages`? */
  async listAppSubscriptions(): Promise<AppSubscription[]> {
    const answer = await this.request<{ data: AppSubscription[] }>('GET', `${this.options.appId}/subscriptions`, { token: this.appToken });
    return answer.data ?? [];
  }

  /** Takes our app out of the WABA's subscribed_apps: its webhooks stop. */
  unsubscribeApp(wabaId: string, token?: string): Promise<{ success: boolean }> {
    return this.request('DELETE', `${wabaId}/subscribed_apps`, { token: this.tokenFor(token) });
  }

  /** Step 6: registers the number for Cloud API with its two-step verification PIN (6 digits). */
  registerNumber(phoneNumberId: string, pin: string, token?: string): Promise<{ success: boolean }> {
    return this.request('POST', `${phoneNumberId}/register`, { body: { messaging_product: 'whatsapp', pin }, token: this.tokenFor(token) });
  }

  /** Takes the number off Cloud API (its sends then fail with 133010). Counts toward Meta's register/deregister limit. */
  deregisterNumber(phoneNumberId: string, token?: string): Promise<{ success: boolean }> {
    return this.request('POST', `${phoneNumberId}/deregister`, { token: this.tokenFor(token) });
  }

  // ---- onboarding (a number the operator adds) -----------------------------------------------

  /** The WABAs a business portfolio owns (the system user's business, for the app's token). */
  listOwnedWabas(businessId: string, token?: string): Promise<WabaInfo[]> {
    return this.listAll(`${businessId}/owned_whatsapp_business_accounts`, this.tokenFor(token));
  }

  /** The WABAs other businesses shared with this one (their owners went through Embedded Signup). */
  listClientWabas(businessId: string, token?: string): Promise<WabaInfo[]> {
    return this.listAll(`${businessId}/client_whatsapp_business_accounts`, this.tokenFor(token));
  }

  /** Adds a phone number to a WABA: it starts NOT_VERIFIED and unregistered. Returns the new Phone Number ID. */
  addPhoneNumber(wabaId: string, input: AddPhoneNumberInput, token?: string): Promise<{ id: string }> {
    return this.request('POST', `${wabaId}/phone_numbers`, {
      body: { cc: input.cc, phone_number: input.phoneNumber, verified_name: input.verifiedName },
      token: this.tokenFor(token),
    });
  }

  /** Asks Meta to send the number's owner a 6-digit code by SMS (default) or voice call, in `language` (default en_US). */
  requestVerificationCode(phoneNumberId: string, opts: { method?: 'SMS' | 'VOICE'; language?: string } = {}, token?: string): Promise<{ success: boolean }> {
    return this.request('POST', `${phoneNumberId}/request_code`, {
      body: { code_method: opts.method ?? 'SMS', language: opts.language ?? 'en_US' },
      token: this.tokenFor(token),
    });
  }

  /** Submits the code the owner received: the number becomes VERIFIED, ready to register. */
  verifyCode(phoneNumberId: string, code: string, token?: string): Promise<{ success: boolean }> {
    return this.request('POST', `${phoneNumberId}/verify_code`, { body: { code }, token: this.tokenFor(token) });
  }

  // ---- templates ----------------------------------------------------------------------------

  listTemplates(wabaId: string, token?: string, filter: { name?: string; status?: string } = {}): Promise<TemplateInfo[]> {
    return this.listAll(`${wabaId}/message_templates`, this.tokenFor(token), filter);
  }

  /** Submits a template for review: it starts PENDING; the verdict arrives as a message_template_status_update webhook. */
  createTemplate(wabaId: string, input: CreateTemplateInput, token?: string): Promise<{ id: string; status: string; category: string }> {
    return this.request('POST', `${wabaId}/message_templates`, { body: input, token: this.tokenFor(token) });
  }

  /** Deletes every language of the template `name`. */
  deleteTemplate(wabaId: string, name: string, token?: string): Promise<{ success: boolean }> {
    return this.request('DELETE', `${wabaId}/message_templates`, { query: { name }, token: this.tokenFor(token) });
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** Follows Meta's cursor paging to the end (bounded, in case a server keeps answering `next`). */
  private async listAll<T>(path: string, token: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const items: T[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const answer = await this.request<Page<T>>('GET', path, { token, query: { ...query, limit: 100, after } });
      items.push(...(answer.data ?? []));
      after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
      if (!after) break;
    }
    return items;
  }

  /** One Graph API call; resolves with the parsed JSON, or throws MetaApiError / MetaNetworkError. */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) search.set(k, String(v));
    const fullPath = `${this.basePath}/${path}${search.size > 0 ? `?${search}` : ''}`;
    // Error messages name the method and path only: the query may hold the app secret or a code.
    const what = `${method} /${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const signal = AbortSignal.timeout(timeoutMs);
    let statusCode: number;
    let text: string;
    try {
      const response = await this.pool.request({ method, path: fullPath, headers, body: payload, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      statusCode = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw toNetworkError(error, signal, what, timeoutMs);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (statusCode >= 400 || parsed === undefined || (typeof parsed === 'object' && parsed !== null && 'error' in parsed)) {
      throw MetaApiError.fromResponse(statusCode >= 400 ? statusCode : 502, parsed);
    }
    return parsed as T;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function toNetworkError(error: unknown, signal: AbortSignal, what: string, timeoutMs: number): MetaNetworkError {
  const e = error as { code?: string; name?: string; message?: string } | undefined;
  if (signal.aborted || e?.name === 'TimeoutError' || (e?.code !== undefined && TIMEOUT_CODES.has(e.code))) {
    return new MetaNetworkError('timeout', `${what}: no answer from the Graph API within ${timeoutMs} ms`, error);
  }
  return new MetaNetworkError('connection', `${what}: connection to the Graph API failed (${e?.code ?? e?.name ?? 'error'}: ${e?.message ?? ''})`, error);
}
