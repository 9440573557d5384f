import { DEMO } from './demo.js';
import type {
  AppConfig,
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
  ThroughputTier,
  TokenRecord,
  WabaRecord,
} from './types.js';
import { randomDigits } from './util.js';

/** Everything the simulator knows, in memory. `reset()` rebuilds it from the start options. */
export interface SimState {
  app: AppConfig;
  scenario: Scenario;
  wabas: Map<string, WabaRecord>;
  numbers: Map<string, PhoneNumberRecord>;
  tokens: Map<string, TokenRecord>;
  codes: Map<string, CodeRecord>;
  templates: Map<string, TemplateRecord>;
  faults: FaultRecord[];
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
  templateReview: 'auto',
  webhook: { timeoutMs: 3_000, maxAttempts: 6, backoffMs: 100, batchMs: 0 },
};

export function createState(app: AppConfig, scenario: Scenario, systemToken: string, seedDemo: boolean): SimState {
  const state: SimState = {
    app,
    scenario,
    wabas: new Map(),
    numbers: new Map(),
    tokens: new Map(),
    codes: new Map(),
    templates: new Map(),
    faults: [],
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
  state.tokens.set(systemToken, { token: systemToken, kind: 'system', wabaIds: [], userId: '100000000000001', createdAt: Date.now(), expiresAt: null });
  if (seedDemo) seedDemoData(state, systemToken);
  return state;
}

function seedDemoData(state: SimState, systemToken: string): void {
  let firstTemplate = true;
  for (const waba of DEMO.wabas) {
    addWaba(state, { id: waba.id, name: waba.name, ownerBusinessId: waba.ownerBusinessId, subscribed: true, grantTo: [systemToken] });
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
  ownerBusinessId?: string;
  /** Whether our app is already in subscribed_apps (default false: onboarding subscribes it). */
  subscribed?: boolean;
  /** Tokens given access to the new WABA (the control API defaults to the system token). */
  grantTo?: string[];
}

export function addWaba(state: SimState, input: NewWaba): WabaRecord {
  const waba: WabaRecord = {
    id: input.id ?? randomDigits(15),
    name: input.name ?? 'Test WABA',
    ownerBusinessId: input.ownerBusinessId ?? randomDigits(15),
    subscribed: input.subscribed ?? false,
    overrideCallbackUri: null,
  };
  state.wabas.set(waba.id, waba);
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
}

export function addNumber(state: SimState, input: NewNumber): PhoneNumberRecord {
  if (!state.wabas.has(input.wabaId)) throw new Error(`unknown WABA ${input.wabaId}`);
  if (input.tier !== undefined && ![20, 80, 1000].includes(input.tier)) throw new Error('tier must be 20, 80 or 1000');
  const number: PhoneNumberRecord = {
    id: input.id ?? randomDigits(15),
    wabaId: input.wabaId,
    displayPhoneNumber: input.displayPhoneNumber ?? `1555${randomDigits(7)}`,
    verifiedName: input.verifiedName ?? 'Test Number',
    quality: input.quality ?? 'GREEN',
    tier: input.tier ?? 80,
    registered: input.registered ?? true,
    pin: input.pin ?? null,
  };
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
