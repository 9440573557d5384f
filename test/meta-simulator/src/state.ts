import { DEMO } from './demo.js';
import type {
  AppConfig,
  BusinessRecord,
  HealthIssue,
  CodeRecord,
  DeliveryRecord,
  FaultRecord,
  OutboundMessageRecord,
  PhoneNumberRecord,
  RequestLogEntry,
  Scenario,
  TemplateCategory,
  TemplateComponent,
  TemplateRecord,
  SmsRecord,
  ThroughputTier,
  TokenRecord,
  WabaRecord,
} from './types.js';
import { randomDigits } from './util.js';

/** Everything the simulator knows, in memory. `reset()` rebuilds it from the start options. */
export interface SimState {
  app: AppConfig;
  /** The business portfolio the app (and its system user) belongs to. */
  businessId: string;
  scenario: Scenario;
  businesses: Map<string, BusinessRecord>;
  wabas: Map<string, WabaRecord>;
  numbers: Map<string, PhoneNumberRecord>;
  tokens: Map<string, TokenRecord>;
  codes: Map<string, CodeRecord>;
  templates: Map<string, TemplateRecord>;
  faults: FaultRecord[];
  /** Verification codes "sent" by request_code, oldest first. */
  sms: SmsRecord[];
  /** Problems health_status reports, set through the control API. */
  healthIssues: HealthIssue[];
  /** `${phoneNumberId}:${customer}` → epoch ms of the customer's last inbound message. */
  windows: Map<string, number>;
  /** `${phoneNumberId}:${recipient}` → epoch ms of our last accepted message to them (pair rate). */
  lastSendToRecipient: Map<string, number>;
  /** Per number: accepted timestamps of the last second, oldest first (the throughput limiter). */
  recentAccepts: Map<string, number[]>;
  counters: Map<string, { accepted: number; busiestWindow: number; inbound: number; rejected: Record<string, number> }>;
  messages: Map<string, OutboundMessageRecord>;
  requests: RequestLogEntry[];
  deliveries: DeliveryRecord[];
  /** Running totals over every delivery (kept or pruned), so stats() costs nothing however many there were. */
  deliveryCounts: { total: number; acknowledged: number; failed: number; skipped: number; attempts: number };
  seq: { request: number; delivery: number; fault: number };
}

export const DEFAULT_SCENARIO: Scenario = {
  statusDelaysMs: { sent: 20, delivered: 60, read: 150 },
  failureRatio: 0,
  duplicateRatio: 0,
  reorderRatio: 0,
  pairRateWindowMs: 6_000,
  customerWindowMs: 24 * 60 * 60 * 1000,
  windowErrorMode: 'sync',
  templateReviewDelayMs: 300,
  nameReviewDelayMs: 300,
  maxCodeRequests: 3,
  codeRequestWindowMs: 60 * 60 * 1000,
  codeTtlMs: 10 * 60 * 1000,
  maxVerifyAttempts: 5,
  maxRegisterAttempts: 10,
  registerWindowMs: 72 * 60 * 60 * 1000,
  templateReview: 'auto',
  webhook: { timeoutMs: 3_000, maxAttempts: 6, backoffMs: 100, batchMs: 0 },
};

export function createState(app: AppConfig, scenario: Scenario, systemToken: string, seedDemo: boolean, business: BusinessRecord): SimState {
  const state: SimState = {
    app,
    businessId: business.id,
    scenario,
    businesses: new Map([[business.id, { ...business }]]),
    wabas: new Map(),
    numbers: new Map(),
    tokens: new Map(),
    codes: new Map(),
    templates: new Map(),
    faults: [],
    sms: [],
    healthIssues: [],
    windows: new Map(),
    lastSendToRecipient: new Map(),
    recentAccepts: new Map(),
    counters: new Map(),
    messages: new Map(),
    requests: [],
    deliveries: [],
    deliveryCounts: { total: 0, acknowledged: 0, failed: 0, skipped: 0, attempts: 0 },
    seq: { request: 0, delivery: 0, fault: 0 },
  };
  state.tokens.set(systemToken, {
    token: systemToken,
    kind: 'system',
    wabaIds: [],
    noMessaging: [],
    businessId: business.id,
    userId: '100000000000001',
    createdAt: Date.now(),
    expiresAt: null,
  });
  if (seedDemo) seedDemoData(state, systemToken);
  return state;
}

function seedDemoData(state: SimState, systemToken: string): void {
  let firstTemplate = true;
  for (const waba of DEMO.wabas) {
    // The app's business owns the demo WABAs: they are its owned_whatsapp_business_accounts.
    addWaba(state, { id: waba.id, name: waba.name, ownerBusinessId: state.businessId, subscribed: true, grantTo: [systemToken] });
    for (const n of waba.numbers) {
      addNumber(state, { ...n, wabaId: waba.id, registered: true, pin: DEMO.pin });
    }
    for (const t of DEMO.templates) {
      const id = firstTemplate ? DEMO.firstTemplateId : undefined;
      firstTemplate = false;
      addTemplate(state, {
        id,
        wabaId: waba.id,
        name: t.name,
        language: t.language,
        category: t.category,
        status: 'APPROVED',
        components: [{ type: 'BODY', text: t.body }],
      });
    }
  }
}

export interface NewWaba {
  id?: string;
  name?: string;
  /** Default: the app's own business (an owned WABA). */
  ownerBusinessId?: string;
  /** Businesses the WABA is shared with, for which it is a client WABA. */
  partnerBusinessIds?: string[];
  /** Whether our app is already in subscribed_apps (default false: onboarding subscribes it). */
  subscribed?: boolean;
  /** Tokens given access to the new WABA (the control API defaults to the system token). */
  grantTo?: string[];
}

export function addWaba(state: SimState, input: NewWaba): WabaRecord {
  const waba: WabaRecord = {
    id: input.id ?? randomDigits(15),
    name: input.name ?? 'Test WABA',
    ownerBusinessId: input.ownerBusinessId ?? state.businessId,
    partnerBusinessIds: [...(input.partnerBusinessIds ?? [])],
    subscribed: input.subscribed ?? false,
    overrideCallbackUri: null,
  };
  if (state.wabas.has(waba.id) || state.numbers.has(waba.id)) throw new Error(`id ${waba.id} is taken`);
  state.wabas.set(waba.id, waba);
  for (const businessId of [waba.ownerBusinessId, ...waba.partnerBusinessIds]) {
    if (!state.businesses.has(businessId)) state.businesses.set(businessId, { id: businessId, name: businessId === waba.ownerBusinessId ? waba.name : 'Partner business' });
  }
  for (const token of input.grantTo ?? []) {
    const record = state.tokens.get(token);
    if (record && !record.wabaIds.includes(waba.id)) record.wabaIds.push(waba.id);
  }
  return waba;
}

export interface NewNumber {
  wabaId: string;
  id?: string;
  displayPhoneNumber?: string;
  verifiedName?: string;
  tier?: ThroughputTier;
  quality?: PhoneNumberRecord['quality'];
  /** Default true; an unregistered number must POST /{id}/register before sending. */
  registered?: boolean;
  pin?: string | null;
  /** Default VERIFIED (numbers added by POST /{waba}/phone_numbers start NOT_VERIFIED). */
  codeVerificationStatus?: PhoneNumberRecord['codeVerificationStatus'];
  nameStatus?: PhoneNumberRecord['nameStatus'];
  messagingLimitTier?: PhoneNumberRecord['messagingLimitTier'];
}

export function addNumber(state: SimState, input: NewNumber): PhoneNumberRecord {
  if (!state.wabas.has(input.wabaId)) throw new Error(`unknown WABA ${input.wabaId}`);
  if (input.tier !== undefined && ![20, 80, 1000].includes(input.tier)) throw new Error('tier must be 20, 80 or 1000');
  const number: PhoneNumberRecord = {
    id: input.id ?? randomDigits(15),
    wabaId: input.wabaId,
    displayPhoneNumber: input.displayPhoneNumber?.replace(/\D/g, '') ?? `1555${randomDigits(7)}`,
    verifiedName: input.verifiedName ?? 'Test Number',
    quality: input.quality ?? 'GREEN',
    tier: input.tier ?? 80,
    registered: input.registered ?? true,
    pin: input.pin ?? null,
    codeVerificationStatus: input.codeVerificationStatus ?? 'VERIFIED',
    nameStatus: input.nameStatus ?? 'APPROVED',
    messagingLimitTier: input.messagingLimitTier ?? 'TIER_1K',
    statusOverride: null,
    verification: null,
    codeRequests: [],
    registerAttempts: [],
  };
  if (!/^\d{8,15}$/.test(number.displayPhoneNumber)) throw new Error('displayPhoneNumber must be 8-15 digits');
  if (state.wabas.has(number.id) || state.numbers.has(number.id)) throw new Error(`id ${number.id} is taken`);
  const taken = numberByDigits(state, number.displayPhoneNumber);
  if (taken) throw new Error(`+${number.displayPhoneNumber} is already number ${taken.id} of WABA ${taken.wabaId}`);
  state.numbers.set(number.id, number);
  return number;
}

export interface NewTemplate {
  id?: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateRecord['status'];
  components: TemplateComponent[];
}

export function addTemplate(state: SimState, input: NewTemplate): TemplateRecord {
  const template: TemplateRecord = {
    id: input.id ?? randomDigits(16),
    wabaId: input.wabaId,
    name: input.name,
    language: input.language,
    category: input.category,
    status: input.status,
    components: input.components,
    variableCount: countBodyVariables(input.components),
    reason: 'NONE',
  };
  state.templates.set(template.id, template);
  return template;
}

/** Templates number their variables {{1}}, {{2}}, ...: the count is the distinct placeholders of the BODY. */
export function countBodyVariables(components: TemplateComponent[]): number {
  const body = components.find((c) => String(c.type).toUpperCase() === 'BODY');
  const found = new Set((body?.text ?? '').match(/\{\{\s*\d+\s*\}\}/g)?.map((m) => m.replace(/\s/g, '')) ?? []);
  return found.size;
}

export function templatesOf(state: SimState, wabaId: string): TemplateRecord[] {
  return [...state.templates.values()].filter((t) => t.wabaId === wabaId);
}

export function numbersOf(state: SimState, wabaId: string): PhoneNumberRecord[] {
  return [...state.numbers.values()].filter((n) => n.wabaId === wabaId);
}

/** The number with these E.164 digits, on any WABA: a phone number lives on one WABA at a time. */
export function numberByDigits(state: SimState, digits: string): PhoneNumberRecord | undefined {
  for (const n of state.numbers.values()) if (n.displayPhoneNumber === digits) return n;
  return undefined;
}
