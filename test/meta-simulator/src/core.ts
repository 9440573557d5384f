import { EventEmitter } from 'node:events';
import { inboundMessage, randomCustomer, type Customer, type InboundContent } from './customers.js';
import { GraphError, graphErrors, transientFor } from './errors.js';
import { inboundChange, partnerAddedChange, qualityUpdateChange, statusChange, templateStatusChange } from './payloads.js';
import { addNumber, addTemplate, addWaba, createState, templatesOf, type NewNumber, type NewWaba, type SimState } from './state.js';
import type {
  BusinessRecord,
  CodeRecord,
  CodeVerificationStatus,
  HealthEntityType,
  HealthIssue,
  MessagingLimitTier,
  NameStatus,
  QualityRating,
  SmsRecord,
  ThroughputTier,
  DeliveryRecord,
  FaultRecord,
  FaultSpec,
  InboundKind,
  MessageStatus,
  OutboundMessageRecord,
  PhoneNumberRecord,
  Scenario,
  SimStats,
  TemplateRecord,
  TemplateStatus,
  TokenRecord,
  WabaRecord,
} from './types.js';
import { chance, newWamid, now, randomDigits, randomHex } from './util.js';
import { WebhookDispatcher } from './webhooks.js';
import { WorkTracker } from './work.js';

const MAX_KEPT_REQUESTS = 200_000;
const MAX_KEPT_MESSAGES = 200_000;
const CODE_TTL_MS = 10 * 60 * 1000;
const CONVERSATION_MS = 24 * 60 * 60 * 1000;

export interface CoreConfig {
  /** The business portfolio the app and its system user belong to. */
  businessId: string;
  businessName: string;
  appId: string;
  appSecret: string;
  systemToken: string;
  verifyToken: string;
  webhookUrl: string | null;
  scenario: Scenario;
  seedDemo: boolean;
  quiet: boolean;
}

export interface InboundInput extends Partial<InboundContent> {
  phoneNumberId: string;
  /** Customer's number (E.164 digits); a random simulated customer when absent. */
  from?: string;
  /** Customer's WhatsApp profile name. */
  name?: string;
  /** Language of the generated texts; by default Portuguese for a Brazilian number (+55), else English. */
  language?: 'pt' | 'en';
  kind?: InboundKind;
}

export interface InboundResult {
  messageId: string;
  from: string;
  name: string;
  delivery: DeliveryRecord;
}

export interface NewToken {
  kind?: 'system' | 'business';
  /** WABAs the token may act on. */
  wabaIds?: string[];
  /** Expires this many ms from now; absent: never. */
  expiresInMs?: number;
  /** Choose the token string (default: a random EAA... string). */
  token?: string;
  /** Of wabaIds, those on which whatsapp_business_messaging is not granted. */
  noMessaging?: string[];
  /** The business the token's user belongs to (default: the app's business for a system token, else the first WABA's owner). */
  businessId?: string | null;
}

/**
 * The simulator's behaviour, independent of HTTP: the Graph and control routes, and the in-process
 * helpers of `Simulator`, all call into this.
 */
export class SimulatorCore {
  state: SimState;
  readonly work = new WorkTracker();
  readonly dispatcher: WebhookDispatcher;
  readonly events = new EventEmitter();
  private conversations = new Map<string, { id: string; expiresAt: number }>();
  /** `${phoneNumberId}:${customer}` → our last message to them, the context a button reply quotes. */
  private lastOutbound = new Map<string, string>();

  constructor(readonly config: CoreConfig) {
    this.state = this.freshState();
    this.dispatcher = new WebhookDispatcher(() => this.state, this.work);
    this.dispatcher.events.on('delivery', (d: DeliveryRecord) => {
      if (d.done && !d.acknowledged && !d.skipped) this.reportUndelivered(d);
      this.events.emit('delivery', d);
    });
    this.events.setMaxListeners(0);
  }

  private freshState(): SimState {
    const c = this.config;
    return createState(
      {
        appId: c.appId,
        appSecret: c.appSecret,
        verifyToken: c.verifyToken,
        webhookUrl: c.webhookUrl,
        fields: ['messages', 'message_template_status_update', 'account_update', 'phone_number_quality_update'],
      },
      structuredClone(c.scenario),
      c.systemToken,
      c.seedDemo,
      { id: c.businessId, name: c.businessName },
    );
  }

  /** Back to the start options: cancels scheduled callbacks and forgets every log. */
  reset(): void {
    this.work.cancelTimers();
    this.conversations.clear();
    this.lastOutbound.clear();
    this.state = this.freshState();
  }

  private undelivered = 0;

  /** Says so when our receiver is down (first time, then every 100th), so a demo does not fail silently. */
  private reportUndelivered(d: DeliveryRecord): void {
    this.undelivered += 1;
    if (this.undelivered === 1 || this.undelivered % 100 === 0) {
      const last = d.attempts.at(-1);
      this.log(`webhook not acknowledged by ${d.url} after ${d.attempts.length} attempts (${last?.error ?? `HTTP ${last?.status}`}); ${this.undelivered} so far`);
    }
  }

  log(message: string): void {
    if (!this.config.quiet) console.log(`[meta-simulator] ${message}`);
  }

  // ---- accounts -------------------------------------------------------------------------------

  createWaba(input: NewWaba = {}): WabaRecord {
    return addWaba(this.state, { ...input, grantTo: input.grantTo ?? [this.config.systemToken] });
  }

  createNumber(input: NewNumber): PhoneNumberRecord {
    return addNumber(this.state, input);
  }

  createToken(input: NewToken = {}): TokenRecord {
    const token = input.token ?? `EAA${randomHex(24)}`;
    const kind = input.kind ?? 'business';
    const wabaIds = [...(input.wabaIds ?? [])];
    const businessId =
      input.businessId !== undefined ? input.businessId : kind === 'system' ? this.state.businessId : (this.state.wabas.get(wabaIds[0] ?? '')?.ownerBusinessId ?? null);
    const record: TokenRecord = {
      token,
      kind,
      wabaIds,
      noMessaging: (input.noMessaging ?? []).filter((id) => wabaIds.includes(id)),
      businessId,
      userId: randomDigits(15),
      createdAt: Date.now(),
      expiresAt: input.expiresInMs === undefined ? null : Date.now() + input.expiresInMs,
    };
    this.state.tokens.set(token, record);
    return record;
  }

  /**
   * Sets the scopes a token holds on one WABA, as a client unticking boxes in Embedded Signup would:
   * without whatsapp_business_management the WABA leaves the token altogether.
   */
  setTokenScopes(token: string, wabaId: string, scopes: string[]): TokenRecord {
    const record = this.state.tokens.get(token);
    if (!record) throw new Error('unknown token');
    const unknown = scopes.filter((s) => !WHATSAPP_SCOPES.includes(s));
    if (unknown.length > 0) throw new Error(`unknown scope ${unknown.join(', ')} (known: ${WHATSAPP_SCOPES.join(', ')})`);
    record.wabaIds = record.wabaIds.filter((id) => id !== wabaId);
    record.noMessaging = record.noMessaging.filter((id) => id !== wabaId);
    if (scopes.includes('whatsapp_business_management')) {
      record.wabaIds.push(wabaId);
      if (!scopes.includes('whatsapp_business_messaging')) record.noMessaging.push(wabaId);
    }
    return record;
  }

  expireToken(token: string): TokenRecord {
    const record = this.state.tokens.get(token);
    if (!record) throw new Error('unknown token');
    record.expiresAt = Date.now() - 1;
    return record;
  }

  /** Expires every business token (Embedded Signup's) that acts on the WABA: the client's token a test never saw. */
  expireBusinessTokens(wabaId: string): TokenRecord[] {
    const expired = [...this.state.tokens.values()].filter((t) => t.kind === 'business' && t.wabaIds.includes(wabaId));
    for (const t of expired) t.expiresAt = Date.now() - 1;
    return expired;
  }

  /** A one-time authorization code, as Embedded Signup hands to the page; exchanging it yields a business token for that WABA. */
  createCode(input: { wabaId: string; phoneNumberId?: string | null; scopes?: string[] }): CodeRecord {
    if (!this.state.wabas.has(input.wabaId)) throw new Error(`unknown WABA ${input.wabaId}`);
    const scopes = input.scopes ?? [...WHATSAPP_SCOPES];
    const unknown = scopes.filter((s) => !WHATSAPP_SCOPES.includes(s));
    if (unknown.length > 0) throw new Error(`unknown scope ${unknown.join(', ')} (known: ${WHATSAPP_SCOPES.join(', ')})`);
    const record: CodeRecord = {
      code: `AQ${randomHex(32)}`,
      wabaId: input.wabaId,
      phoneNumberId: input.phoneNumberId ?? null,
      scopes,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    };
    this.state.codes.set(record.code, record);
    return record;
  }

  createBusiness(input: { id?: string; name?: string } = {}): BusinessRecord {
    const business: BusinessRecord = { id: input.id ?? randomDigits(15), name: input.name ?? 'Test Business' };
    if (this.state.businesses.has(business.id)) throw new Error(`business ${business.id} exists`);
    this.state.businesses.set(business.id, business);
    return business;
  }

  updateWaba(wabaId: string, patch: WabaPatch): WabaRecord {
    const waba = this.state.wabas.get(wabaId);
    if (!waba) throw new Error(`unknown WABA ${wabaId}`);
    if (patch.name !== undefined) waba.name = patch.name;
    if (patch.subscribed !== undefined) {
      waba.subscribed = patch.subscribed;
      if (!patch.subscribed) waba.overrideCallbackUri = null;
    }
    if (patch.partnerBusinessIds !== undefined) {
      waba.partnerBusinessIds = [...patch.partnerBusinessIds];
      for (const id of waba.partnerBusinessIds) if (!this.state.businesses.has(id)) this.state.businesses.set(id, { id, name: 'Partner business' });
    }
    return waba;
  }

  /** Changes a number; a new quality rating or limit tier is announced with a phone_number_quality_update webhook (unless `notify` is false). */
  updateNumber(phoneNumberId: string, patch: NumberPatch): PhoneNumberRecord {
    const n = this.state.numbers.get(phoneNumberId);
    if (!n) throw new Error(`unknown phone number ${phoneNumberId}`);
    if (patch.quality !== undefined && !QUALITY.includes(patch.quality)) throw new Error(`quality must be one of ${QUALITY.join(', ')}`);
    if (patch.messagingLimitTier !== undefined && !TIERS.includes(patch.messagingLimitTier)) throw new Error(`messagingLimitTier must be one of ${TIERS.join(', ')}`);
    if (patch.tier !== undefined && ![20, 80, 1000].includes(patch.tier)) throw new Error('tier must be 20, 80 or 1000');
    if (patch.pin !== undefined && patch.pin !== null && !/^\d{6}$/.test(patch.pin)) throw new Error('pin must be 6 digits');
    const before = { quality: n.quality, limit: n.messagingLimitTier };
    if (patch.registered !== undefined) n.registered = patch.registered;
    if (patch.codeVerificationStatus !== undefined) n.codeVerificationStatus = patch.codeVerificationStatus;
    if (patch.quality !== undefined) n.quality = patch.quality;
    if (patch.nameStatus !== undefined) n.nameStatus = patch.nameStatus;
    if (patch.messagingLimitTier !== undefined) n.messagingLimitTier = patch.messagingLimitTier;
    if (patch.status !== undefined) n.statusOverride = patch.status;
    if (patch.pin !== undefined) n.pin = patch.pin;
    if (patch.verifiedName !== undefined) n.verifiedName = patch.verifiedName;
    if (patch.tier !== undefined) n.tier = patch.tier;
    if (patch.notify !== false) {
      const event =
        n.messagingLimitTier !== before.limit
          ? TIERS.indexOf(n.messagingLimitTier) > TIERS.indexOf(before.limit)
            ? 'UPGRADE'
            : 'DOWNGRADE'
          : n.quality !== before.quality && n.quality === 'RED'
            ? 'FLAGGED'
            : n.quality !== before.quality && before.quality === 'RED'
              ? 'UNFLAGGED'
              : null;
      if (event) void this.dispatcher.emit(qualityUpdateChange(n, event));
    }
    return n;
  }

  /** A phone number on a WABA of another business, which our system user cannot see: adding it to one of ours fails. */
  placeNumberElsewhere(input: { displayPhoneNumber: string; verifiedName?: string }): { business: BusinessRecord; waba: WabaRecord; number: PhoneNumberRecord } {
    const digits = input.displayPhoneNumber.replace(/\D/g, '');
    const business = this.createBusiness({ name: 'Another business' });
    const waba = addWaba(this.state, { name: `${business.name} WABA`, ownerBusinessId: business.id, subscribed: false, grantTo: [] });
    const number = addNumber(this.state, { wabaId: waba.id, displayPhoneNumber: digits, verifiedName: input.verifiedName ?? business.name, registered: true });
    return { business, waba, number };
  }

  /** Uses up (or restores) a number's allowance of register/deregister or request_code calls. */
  setLimit(phoneNumberId: string, limit: 'register' | 'request_code', exhausted: boolean): PhoneNumberRecord {
    const n = this.state.numbers.get(phoneNumberId);
    if (!n) throw new Error(`unknown phone number ${phoneNumberId}`);
    const s = this.state.scenario;
    const t = Date.now();
    if (limit === 'register') n.registerAttempts = exhausted ? Array.from({ length: s.maxRegisterAttempts }, () => t) : [];
    else if (limit === 'request_code') n.codeRequests = exhausted ? Array.from({ length: s.maxCodeRequests }, () => t) : [];
    else throw new Error('limit must be register or request_code');
    return n;
  }

  /** Codes sent by request_code, oldest first: to one phone (digits, any formatting) or to all. */
  smsTo(phone?: string): SmsRecord[] {
    const digits = phone?.replace(/\D/g, '');
    return digits ? this.state.sms.filter((m) => m.phone === digits) : [...this.state.sms];
  }

  addHealthIssue(input: Partial<HealthIssue> & Pick<HealthIssue, 'entityType'>): HealthIssue {
    const types: HealthEntityType[] = ['PHONE_NUMBER', 'WABA', 'BUSINESS', 'APP'];
    if (!types.includes(input.entityType)) throw new Error(`entityType must be one of ${types.join(', ')}`);
    const id = input.id ?? (input.entityType === 'APP' ? this.state.app.appId : input.entityType === 'BUSINESS' ? this.state.businessId : undefined);
    if (!id) throw new Error('id is required');
    const can = input.canSendMessage ?? 'LIMITED';
    if (can !== 'LIMITED' && can !== 'BLOCKED') throw new Error('canSendMessage must be LIMITED or BLOCKED');
    if (typeof input.errorCode !== 'number') throw new Error('errorCode (a number) is required');
    const issue: HealthIssue = {
      entityType: input.entityType,
      id,
      canSendMessage: can,
      errorCode: input.errorCode,
      errorDescription: input.errorDescription ?? 'Simulated problem',
      possibleSolution: input.possibleSolution ?? 'Simulated: clear it with DELETE /_sim/health.',
    };
    this.state.healthIssues.push(issue);
    return issue;
  }

  clearHealthIssues(id?: string): void {
    this.state.healthIssues = id === undefined ? [] : this.state.healthIssues.filter((i) => i.id !== id);
  }

  configureApp(input: { webhookUrl?: string | null; appSecret?: string; verifyToken?: string; fields?: string[] }): SimState['app'] {
    const app = this.state.app;
    if (input.webhookUrl !== undefined) app.webhookUrl = input.webhookUrl;
    if (input.appSecret !== undefined) app.appSecret = input.appSecret;
    if (input.verifyToken !== undefined) app.verifyToken = input.verifyToken;
    if (input.fields !== undefined) app.fields = [...input.fields];
    return app;
  }

  setScenario(patch: DeepPartial<Scenario>): Scenario {
    const s = this.state.scenario;
    const { statusDelaysMs, webhook, ...rest } = patch;
    Object.assign(s, rest);
    if (statusDelaysMs) Object.assign(s.statusDelaysMs, statusDelaysMs);
    if (webhook) Object.assign(s.webhook, webhook);
    return s;
  }

  // ---- auth -----------------------------------------------------------------------------------

  isAppToken(token: string | null): boolean {
    return token === `${this.state.app.appId}|${this.state.app.appSecret}`;
  }

  /** The caller's token, or Meta's 190 (missing, unknown or expired). */
  authenticate(token: string | null): TokenRecord {
    if (!token) throw graphErrors.missingToken();
    const record = this.state.tokens.get(token);
    if (!record) throw graphErrors.invalidToken();
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) throw graphErrors.expiredToken(record.expiresAt);
    return record;
  }

  requireAccess(token: TokenRecord, wabaId: string, what: string): void {
    if (!token.wabaIds.includes(wabaId)) {
      throw graphErrors.permission(`The access token has no access to ${what} (WhatsApp Business Account ${wabaId}).`);
    }
  }

  /** Sending needs whatsapp_business_messaging on the number's WABA, on top of access to it. */
  requireMessaging(token: TokenRecord, wabaId: string, what: string): void {
    this.requireAccess(token, wabaId, what);
    if (token.noMessaging.includes(wabaId)) {
      throw graphErrors.permission(`The access token lacks the whatsapp_business_messaging permission on WhatsApp Business Account ${wabaId} (${what}).`);
    }
  }

  // ---- faults ---------------------------------------------------------------------------------

  addFault(target: string, spec: FaultSpec): FaultRecord {
    if (!['http_5xx', 'slow', 'drop', 'token_expired', 'error'].includes(spec.kind)) throw new Error(`unknown fault kind ${spec.kind}`);
    if (spec.next === undefined && spec.ratio === undefined) throw new Error('a fault needs next (count) or ratio');
    this.state.seq.fault += 1;
    const fault: FaultRecord = { ...spec, id: this.state.seq.fault, target, hits: 0 };
    this.state.faults.push(fault);
    return fault;
  }

  clearFaults(target?: string): void {
    this.state.faults = target === undefined ? [] : this.state.faults.filter((f) => f.target !== target);
  }

  /** The fault that strikes this request, if any: "next N" faults count down, ratio faults roll a die. */
  takeFault(target: string | null): FaultRecord | undefined {
    for (const fault of this.state.faults) {
      if (fault.target !== '*' && fault.target !== target) continue;
      if (fault.next !== undefined) {
        if (fault.next <= 0) continue;
        fault.next -= 1;
        fault.hits += 1;
        if (fault.next === 0) this.state.faults = this.state.faults.filter((f) => f !== fault);
        return fault;
      }
      if (chance(fault.ratio ?? 0)) {
        fault.hits += 1;
        return fault;
      }
    }
    return undefined;
  }

  faultError(fault: FaultRecord): GraphError {
    if (fault.kind === 'http_5xx') return transientFor(fault.code);
    if (fault.kind === 'token_expired') return graphErrors.expiredToken(Date.now() - 1000);
    return new GraphError(fault.status ?? 400, fault.code ?? 100, fault.message ?? `(#${fault.code ?? 100}) Simulated error`, 'Injected by the simulator', fault.subcode);
  }

  // ---- sending --------------------------------------------------------------------------------

  counters(numberId: string) {
    let c = this.state.counters.get(numberId);
    if (!c) {
      c = { accepted: 0, busiestWindow: 0, inbound: 0, rejected: {} };
      this.state.counters.set(numberId, c);
    }
    return c;
  }

  countRejection(numberId: string, code: number): void {
    const c = this.counters(numberId);
    c.rejected[code] = (c.rejected[code] ?? 0) + 1;
  }

  /**
   * Meta's throughput limit: no more than `tier` accepted messages in any one second. We keep the
   * accepted timestamps of the last second and refuse when they already number `tier`.
   */
  throughputAllows(number: PhoneNumberRecord, t: number): boolean {
    const recent = this.recent(number.id);
    while (recent.length > 0 && recent[0] <= t - 1000) recent.shift();
    return recent.length < number.tier;
  }

  private recent(numberId: string): number[] {
    let recent = this.state.recentAccepts.get(numberId);
    if (!recent) {
      recent = [];
      this.state.recentAccepts.set(numberId, recent);
    }
    return recent;
  }

  pairRateAllows(number: PhoneNumberRecord, to: string, t: number): boolean {
    const windowMs = this.state.scenario.pairRateWindowMs;
    if (windowMs <= 0) return true;
    const last = this.state.lastSendToRecipient.get(`${number.id}:${to}`);
    return last === undefined || t - last >= windowMs;
  }

  windowOpen(number: PhoneNumberRecord, customer: string, t: number): boolean {
    const windowMs = this.state.scenario.customerWindowMs;
    if (windowMs <= 0) return true;
    const last = this.state.windows.get(`${number.id}:${customer}`);
    return last !== undefined && t - last < windowMs;
  }

  /** Opens (or refreshes) the 24 h customer service window, as an inbound message does. */
  openWindow(phoneNumberId: string, customer: string, at: number = now()): void {
    this.state.windows.set(`${phoneNumberId}:${customer}`, at);
  }

  /** Records an accepted message and schedules its status callbacks. */
  accept(
    number: PhoneNumberRecord,
    to: string,
    body: Record<string, unknown>,
    template: TemplateRecord | null,
    t: number,
    failWith?: 'reengagement',
  ): OutboundMessageRecord {
    const recent = this.recent(number.id);
    recent.push(t);
    const c = this.counters(number.id);
    c.accepted += 1;
    if (recent.length > c.busiestWindow) c.busiestWindow = recent.length;
    this.state.lastSendToRecipient.set(`${number.id}:${to}`, t);
    this.pruneRecipientMaps(t);

    const message: OutboundMessageRecord = {
      id: newWamid(to),
      phoneNumberId: number.id,
      wabaId: number.wabaId,
      to,
      type: String(body.type),
      templateName: template?.name ?? null,
      acceptedAt: t,
      body,
      statuses: [],
    };
    this.state.messages.set(message.id, message);
    this.lastOutbound.set(`${number.id}:${to}`, message.id);
    if (this.state.messages.size > MAX_KEPT_MESSAGES) {
      const oldest = this.state.messages.keys().next().value;
      if (oldest !== undefined) this.state.messages.delete(oldest);
    }
    this.scheduleStatuses(number, message, template, failWith);
    return message;
  }

  /**
   * Benchmarks send to a fresh recipient each time: drop pair-rate entries older than the window and
   * expired conversations once the maps grow large, so memory stays flat over long runs.
   */
  private pruneRecipientMaps(t: number): void {
    const PRUNE_AT = 100_000;
    const last = this.state.lastSendToRecipient;
    // When expiry alone frees too little (conversations last 24 h), the oldest go too, down to half:
    // otherwise every later send would walk the whole map. A customer written to again then gets
    // a new conversation id, and one evicted from the pair-rate map could be written to early.
    if (last.size > PRUNE_AT) {
      const windowMs = this.state.scenario.pairRateWindowMs;
      for (const [key, at] of last) if (t - at >= windowMs) last.delete(key);
      evictOldest(last, PRUNE_AT / 2);
    }
    if (this.conversations.size > PRUNE_AT) {
      for (const [key, c] of this.conversations) if (c.expiresAt <= t) this.conversations.delete(key);
      evictOldest(this.conversations, PRUNE_AT / 2);
    }
    evictOldest(this.lastOutbound, PRUNE_AT, PRUNE_AT / 2);
  }

  private conversationFor(number: PhoneNumberRecord, to: string, category: string, t: number) {
    const key = `${number.id}:${to}:${category}`;
    let conversation = this.conversations.get(key);
    if (!conversation || conversation.expiresAt <= t) {
      conversation = { id: randomHex(16), expiresAt: t + CONVERSATION_MS };
      this.conversations.set(key, conversation);
    }
    return { ...conversation, category };
  }

  private scheduleStatuses(number: PhoneNumberRecord, message: OutboundMessageRecord, template: TemplateRecord | null, failWith?: 'reengagement'): void {
    const s = this.state.scenario;
    const delays = s.statusDelaysMs;
    const category = template ? template.category.toLowerCase() : 'service';
    const conversation = this.conversationFor(number, message.to, category, message.acceptedAt);
    const emitStatus = (status: MessageStatus, at: number, error?: { code: number; title: string; details: string }) => {
      message.statuses.push({ status, at });
      const opaque = (message.body as { biz_opaque_callback_data?: unknown }).biz_opaque_callback_data;
      const change = statusChange({ number, messageId: message.id, status, recipient: message.to, at, conversation, error, bizOpaqueCallbackData: typeof opaque === 'string' ? opaque : undefined });
      void this.dispatcher.emit(change);
      // At-least-once delivery: the same callback now and then arrives twice.
      if (chance(s.duplicateRatio)) void this.dispatcher.emit(change, { duplicate: true });
    };
    const base = message.acceptedAt;
    if (failWith === 'reengagement') {
      const e = graphErrors.reengagement();
      this.work.schedule(() => emitStatus('failed', base + delays.sent, { code: e.code, title: 'Re-engagement message', details: e.details ?? '' }), delays.sent);
      return;
    }
    if (chance(s.failureRatio)) {
      this.work.schedule(
        () =>
          emitStatus('failed', base + delays.sent, {
            code: 131026,
            title: 'Message undeliverable',
            details: 'Message Undeliverable: the recipient is not on WhatsApp, or has not accepted the latest terms.',
          }),
        delays.sent,
      );
      return;
    }
    this.work.schedule(() => emitStatus('sent', base + delays.sent), delays.sent);
    let deliveredAfter = delays.delivered;
    let readAfter = delays.read;
    // Out of order: `read` reaches the webhook before `delivered`, each keeping its own timestamp.
    if (readAfter !== null && chance(s.reorderRatio)) [deliveredAfter, readAfter] = [readAfter, deliveredAfter];
    this.work.schedule(() => emitStatus('delivered', base + delays.delivered), deliveredAfter);
    if (readAfter !== null && delays.read !== null) {
      const readAt = base + delays.read;
      this.work.schedule(() => emitStatus('read', readAt), readAfter);
    }
  }

  // ---- inbound --------------------------------------------------------------------------------

  /** A simulated customer writes to one of our numbers: opens the window and delivers the signed webhook. */
  async sendInbound(input: InboundInput): Promise<InboundResult> {
    const number = this.state.numbers.get(input.phoneNumberId);
    if (!number) throw new Error(`unknown phone number ${input.phoneNumberId}`);
    const language = input.language ?? (input.from?.startsWith('55') ? 'pt' : 'en');
    const customer: Customer = input.from ? { waId: input.from, name: input.name ?? (language === 'pt' ? 'Cliente' : 'Customer'), language } : randomCustomer();
    const name = input.name ?? customer.name;
    if (!/^\d{8,15}$/.test(customer.waId)) throw new Error('from must be 8-15 digits');
    const t = now();
    const messageId = newWamid(customer.waId);
    const kind = input.kind ?? 'text';
    let contextMessageId = input.contextMessageId;
    if ((kind === 'button' || kind === 'list') && !contextMessageId) contextMessageId = this.lastOutboundTo(number.id, customer.waId) ?? newWamid(customer.waId);
    const message = inboundMessage(
      { ...input, kind, contextMessageId },
      customer.waId,
      messageId,
      String(Math.floor(Date.now() / 1000)),
      number.displayPhoneNumber,
      customer.language,
    );
    this.openWindow(number.id, customer.waId, t);
    this.counters(number.id).inbound += 1;
    const delivery = await this.dispatcher.emit(inboundChange(number, customer.waId, name, message));
    return { messageId, from: customer.waId, name, delivery };
  }

  private lastOutboundTo(numberId: string, to: string): string | undefined {
    return this.lastOutbound.get(`${numberId}:${to}`);
  }

  // ---- templates ------------------------------------------------------------------------------

  /** A new template waits PENDING for review, then becomes APPROVED or REJECTED and Meta says so by webhook. */
  submitTemplate(template: TemplateRecord): void {
    const s = this.state.scenario;
    const state = this.state;
    this.work.schedule(() => {
      if (state !== this.state || !state.templates.has(template.id) || template.status !== 'PENDING') return;
      const reject = s.templateReview === 'reject' || (s.templateReview === 'auto' && template.name.includes('reject'));
      this.setTemplateStatus(template, reject ? 'REJECTED' : 'APPROVED', reject ? 'INVALID_FORMAT' : 'NONE');
    }, s.templateReviewDelayMs);
  }

  setTemplateStatus(template: TemplateRecord, status: TemplateStatus, reason = 'NONE'): Promise<DeliveryRecord> {
    template.status = status;
    template.reason = reason;
    return this.dispatcher.emit(templateStatusChange(template));
  }

  findTemplate(wabaId: string, name: string, language?: string): TemplateRecord | undefined {
    return templatesOf(this.state, wabaId).find((t) => t.name === name && (language === undefined || t.language === language));
  }

  addTemplate = (input: Parameters<typeof addTemplate>[1]) => addTemplate(this.state, input);

  // ---- signup ---------------------------------------------------------------------------------

  /** What Embedded Signup does when the client presses Finish: a one-time code, and an account_update webhook. */
  completeSignup(wabaId: string, phoneNumberId: string | null): { code: CodeRecord; delivery: Promise<DeliveryRecord> } {
    const waba = this.state.wabas.get(wabaId);
    if (!waba) throw new Error(`unknown WABA ${wabaId}`);
    // The client shares its WABA with the partner (our app's business): a client WABA for it.
    if (waba.ownerBusinessId !== this.state.businessId && !waba.partnerBusinessIds.includes(this.state.businessId)) waba.partnerBusinessIds.push(this.state.businessId);
    const code = this.createCode({ wabaId, phoneNumberId });
    const delivery = this.dispatcher.emit(partnerAddedChange(waba, this.state.app.appId));
    return { code, delivery };
  }

  // ---- logs and stats -------------------------------------------------------------------------

  pushRequest(entry: SimState['requests'][number]): void {
    this.state.requests.push(entry);
    if (this.state.requests.length > MAX_KEPT_REQUESTS) this.state.requests.splice(0, MAX_KEPT_REQUESTS / 10);
    this.events.emit('request', entry);
  }

  stats(): SimStats {
    const numbers: SimStats['numbers'] = {};
    for (const n of this.state.numbers.values()) {
      const c = this.counters(n.id);
      numbers[n.id] = { phoneNumberId: n.id, tier: n.tier, accepted: c.accepted, rejected: { ...c.rejected }, busiestWindow: c.busiestWindow, inbound: c.inbound };
    }
    const { total, acknowledged, failed, skipped, attempts } = this.state.deliveryCounts;
    return { numbers, deliveries: { total, acknowledged, failed, pending: total - acknowledged - failed - skipped, skipped, attempts }, requests: this.state.requests.length };
  }
}

export interface WabaPatch {
  name?: string;
  /** false: our app leaves the WABA's subscribed_apps (its override callback too). */
  subscribed?: boolean;
  partnerBusinessIds?: string[];
}

export interface NumberPatch {
  /** false: deregistered (sends answer 133010). */
  registered?: boolean;
  codeVerificationStatus?: CodeVerificationStatus;
  quality?: QualityRating;
  nameStatus?: NameStatus;
  messagingLimitTier?: MessagingLimitTier;
  /** A status Meta imposed (BANNED, FLAGGED, RESTRICTED, ...); null: back to CONNECTED/PENDING. */
  status?: string | null;
  /** The two-step verification PIN (null: none set yet). */
  pin?: string | null;
  verifiedName?: string;
  tier?: ThroughputTier;
  /** Whether a quality or limit change is announced by webhook (default true). */
  notify?: boolean;
}

const WHATSAPP_SCOPES = ['whatsapp_business_management', 'whatsapp_business_messaging'];
const QUALITY: QualityRating[] = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'];
const TIERS: MessagingLimitTier[] = ['TIER_250', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** When `map` holds more than `above` entries, deletes the oldest (first inserted) down to `to`. */
function evictOldest(map: Map<string, unknown>, above: number, to = above): void {
  if (map.size <= above) return;
  for (const key of map.keys()) {
    map.delete(key);
    if (map.size <= to) break;
  }
}
