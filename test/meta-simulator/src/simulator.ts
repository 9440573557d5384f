import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlError, HtmlPage, routeControl } from './control.js';
import { SimulatorCore, type DeepPartial, type InboundInput, type InboundResult, type NewToken, type NumberPatch, type WabaPatch } from './core.js';
import { DEMO } from './demo.js';
import { GraphError, graphErrors } from './errors.js';
import { routeGraph, type GraphCall } from './graph.js';
import { signupPage, submitSignup } from './signup.js';
import { DEFAULT_SCENARIO, type NewNumber, type NewWaba, type SimState } from './state.js';
import { TrafficRun, type TrafficOptions, type TrafficSummary } from './traffic.js';
import type {
  AppConfig,
  BusinessRecord,
  CodeRecord,
  DeliveryRecord,
  FaultRecord,
  FaultSpec,
  HealthIssue,
  OutboundMessageRecord,
  PhoneNumberRecord,
  RequestLogEntry,
  Scenario,
  SimStats,
  SmsRecord,
  StatusDelays,
  TemplateStatus,
  TokenRecord,
  WabaRecord,
} from './types.js';
import { BodyParseError, delay, now, parseParams, readBody, sendHtml, sendJson } from './util.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  appId?: string;
  appSecret?: string;
  systemToken?: string;
  /** The business portfolio of the app and its system user (default DEMO.businessId); it owns the WABAs created without an owner. */
  businessId?: string;
  businessName?: string;
  verifyToken?: string;
  /** The app-level webhook; without it, subscribed_apps fails with (#100) and nothing is delivered. */
  webhookUrl?: string | null;
  statusDelaysMs?: Partial<StatusDelays>;
  failureRatio?: number;
  duplicateRatio?: number;
  reorderRatio?: number;
  /** Pair rate window per (number, recipient), default 6000; 0 disables it (benchmarks). */
  pairRateWindowMs?: number;
  templateReviewDelayMs?: number;
  /** Webhook delivery: timeout, attempts, first backoff, batching. */
  webhook?: Partial<Scenario['webhook']>;
  /** Anything else of the scenario (customer window, window error mode, ...). */
  scenario?: DeepPartial<Scenario>;
  /** Seed the documented DEMO app, WABAs, numbers and templates (default true). */
  seedDemo?: boolean;
  quiet?: boolean;
}

export interface RequestFilter {
  /** Only requests with seq greater than this. */
  since?: number;
  /** Only requests addressed to this phone number or WABA id. */
  target?: string;
  limit?: number;
}

/** A running simulator: the Graph API at `url`, its control API at `controlUrl`, and typed helpers for in-process use. */
export class MetaSimulator {
  readonly core: SimulatorCore;
  private server!: http.Server;
  private runs = new Map<number, TrafficRun>();
  private trafficSeq = 0;
  url = '';
  controlUrl = '';
  port = 0;

  constructor(
    readonly options: SimulatorOptions,
  ) {
    const scenario = structuredClone(DEFAULT_SCENARIO);
    Object.assign(scenario.statusDelaysMs, options.statusDelaysMs ?? {});
    Object.assign(scenario.webhook, options.webhook ?? {});
    for (const key of ['failureRatio', 'duplicateRatio', 'reorderRatio', 'pairRateWindowMs', 'templateReviewDelayMs'] as const) {
      if (options[key] !== undefined) scenario[key] = options[key]!;
    }
    this.core = new SimulatorCore({
      businessId: options.businessId ?? DEMO.businessId,
      businessName: options.businessName ?? DEMO.businessName,
      appId: options.appId ?? DEMO.appId,
      appSecret: options.appSecret ?? DEMO.appSecret,
      systemToken: options.systemToken ?? DEMO.systemToken,
      verifyToken: options.verifyToken ?? DEMO.verifyToken,
      webhookUrl: options.webhookUrl ?? null,
      scenario,
      seedDemo: options.seedDemo ?? true,
      quiet: options.quiet ?? false,
    });
    if (options.scenario) this.core.setScenario(options.scenario);
    // Scenario overrides survive reset(): they become part of the start configuration.
    this.core.config.scenario = structuredClone(this.core.state.scenario);
  }

  async listen(): Promise<void> {
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.core.log(`internal error: ${(error as Error).stack ?? String(error)}`);
        sendJson(res, 500, graphErrors.transient(1).toBody());
      });
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    this.url = `http://${shownHost}:${this.port}`;
    this.controlUrl = `${this.url}/_sim`;
  }

  // ---- in-process helpers (the control API calls these too) -------------------------------

  /** The live state: WABAs, numbers, tokens, templates, scenario, faults, logs. */
  get state(): SimState {
    return this.core.state;
  }

  get app(): AppConfig {
    return this.core.state.app;
  }

  configureApp(input: { webhookUrl?: string | null; appSecret?: string; verifyToken?: string; fields?: string[] }): AppConfig {
    return this.core.configureApp(input);
  }

  /** A new WABA; by default not yet subscribed to our app, and granted to the system token. */
  createWaba(input: NewWaba = {}): WabaRecord {
    return this.core.createWaba(input);
  }

  createNumber(input: NewNumber): PhoneNumberRecord {
    return this.core.createNumber(input);
  }

  createToken(input: NewToken = {}): TokenRecord {
    return this.core.createToken(input);
  }

  expireToken(token: string): TokenRecord {
    return this.core.expireToken(token);
  }

  /** Expires every business token (from Embedded Signup) acting on the WABA. */
  expireBusinessTokens(wabaId: string): TokenRecord[] {
    return this.core.expireBusinessTokens(wabaId);
  }

  /** The scopes a token holds on one WABA; without whatsapp_business_management the WABA leaves the token (debug_token, and 200 on every call). */
  setTokenScopes(token: string, wabaId: string, scopes: string[]): TokenRecord {
    return this.core.setTokenScopes(token, wabaId, scopes);
  }

  /** A business portfolio (for a WABA owned by someone else, say). */
  createBusiness(input: { id?: string; name?: string } = {}): BusinessRecord {
    return this.core.createBusiness(input);
  }

  /** Changes a WABA as Meta or its owner would: unsubscribe our app, share it with a partner business, rename it. */
  updateWaba(wabaId: string, patch: WabaPatch): WabaRecord {
    return this.core.updateWaba(wabaId, patch);
  }

  /** Changes a number as Meta or its owner would: deregister it, verify it, set its quality, name status, limit tier or status. */
  updateNumber(phoneNumberId: string, patch: NumberPatch): PhoneNumberRecord {
    return this.core.updateNumber(phoneNumberId, patch);
  }

  /** Puts a phone number on a WABA of another business, which our system user cannot see (adding it elsewhere then fails). */
  placeNumberElsewhere(input: { displayPhoneNumber: string; verifiedName?: string }): { business: BusinessRecord; waba: WabaRecord; number: PhoneNumberRecord } {
    return this.core.placeNumberElsewhere(input);
  }

  /** Exhausts (or resets) a number's register/deregister or request_code allowance, so its next call is refused (133016, 136024). */
  setLimit(phoneNumberId: string, limit: 'register' | 'request_code', exhausted: boolean): PhoneNumberRecord {
    return this.core.setLimit(phoneNumberId, limit, exhausted);
  }

  /** The verification codes "sent" (oldest first), to one phone (digits, any formatting) or all. */
  sms(phone?: string): SmsRecord[] {
    return this.core.smsTo(phone);
  }

  /** A problem Meta's health_status reports on an entity (payment method, business verification, ...). */
  addHealthIssue(issue: HealthIssue): HealthIssue {
    return this.core.addHealthIssue(issue);
  }

  clearHealthIssues(id?: string): void {
    this.core.clearHealthIssues(id);
  }

  /** A one-time Embedded Signup code; `scopes` (default both WhatsApp scopes) are what its token will hold on the WABA. */
  createCode(input: { wabaId: string; phoneNumberId?: string | null; scopes?: string[] }): CodeRecord {
    return this.core.createCode(input);
  }

  setScenario(patch: DeepPartial<Scenario>): Scenario {
    return this.core.setScenario(patch);
  }

  /** Injects a fault on a phone number or WABA id ('*' for every Graph request), for the next N requests or a ratio. */
  setFault(target: string, spec: FaultSpec): FaultRecord {
    return this.core.addFault(target, spec);
  }

  clearFaults(target?: string): void {
    this.core.clearFaults(target);
  }

  /** Moves a template to a status (PAUSED, DISABLED, REJECTED, ...) and delivers the status-update webhook. */
  setTemplateStatus(input: { wabaId: string; name: string; language?: string; status: TemplateStatus; reason?: string }): Promise<DeliveryRecord> {
    const template = this.core.findTemplate(input.wabaId, input.name, input.language);
    if (!template) return Promise.reject(new Error(`no template ${input.name} on WABA ${input.wabaId}`));
    return this.core.setTemplateStatus(template, input.status, input.reason ?? 'NONE');
  }

  /** A customer writes to one of our numbers; resolves once the webhook was delivered (or given up). */
  sendInbound(input: InboundInput): Promise<InboundResult> {
    return this.core.sendInbound(input);
  }

  /** Opens the 24 h window of (number, customer) without a webhook, e.g. before a benchmark of free-form sends. */
  openWindow(phoneNumberId: string, customer: string): void {
    this.core.openWindow(phoneNumberId, customer);
  }

  startTraffic(options: TrafficOptions): TrafficRun {
    this.trafficSeq += 1;
    const run = new TrafficRun(this.trafficSeq, this.core, options);
    this.runs.set(run.id, run);
    return run;
  }

  traffic(): TrafficRun[] {
    return [...this.runs.values()];
  }

  /** Stops one traffic run, or all of them; resolves with their summaries once their webhooks settled. */
  async stopTraffic(id?: number): Promise<TrafficSummary[]> {
    const runs = id === undefined ? [...this.runs.values()] : [this.runs.get(id)].filter((r): r is TrafficRun => r !== undefined);
    return Promise.all(runs.map((r) => r.stop()));
  }

  /** Every Graph API request received (not control calls), oldest first. */
  requests(filter: RequestFilter = {}): RequestLogEntry[] {
    let list = this.core.state.requests;
    if (filter.since !== undefined) list = list.filter((r) => r.seq > filter.since!);
    if (filter.target !== undefined) list = list.filter((r) => r.target === filter.target);
    return filter.limit !== undefined ? list.slice(-filter.limit) : [...list];
  }

  /** Every webhook POST (or skipped delivery), oldest first. */
  deliveries(filter: { since?: number; limit?: number } = {}): DeliveryRecord[] {
    let list = this.core.state.deliveries;
    if (filter.since !== undefined) list = list.filter((d) => d.id > filter.since!);
    return filter.limit !== undefined ? list.slice(-filter.limit) : [...list];
  }

  /** Outbound messages accepted, with the statuses the simulator reported for each. */
  messages(filter: { phoneNumberId?: string; to?: string } = {}): OutboundMessageRecord[] {
    return [...this.core.state.messages.values()].filter(
      (m) => (filter.phoneNumberId === undefined || m.phoneNumberId === filter.phoneNumberId) && (filter.to === undefined || m.to === filter.to),
    );
  }

  stats(): SimStats {
    return this.core.stats();
  }

  /** Resolves when no status callback, template review or webhook delivery is outstanding. */
  async idle(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`simulator still busy after ${timeoutMs} ms (${this.core.work.size} pending)`)), timeoutMs);
    });
    try {
      await Promise.race([this.core.work.idle(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  on(event: 'request', listener: (entry: RequestLogEntry) => void): this;
  on(event: 'delivery', listener: (delivery: DeliveryRecord) => void): this;
  /** A Graph request arrived (before faults and before it takes effect); `entry` is not answered yet. */
  on(event: 'arrival', listener: (entry: RequestLogEntry) => void): this;
  on(event: string, listener: (arg: never) => void): this {
    this.core.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: 'request' | 'delivery' | 'arrival', listener: (arg: never) => void): this {
    this.core.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Back to the start state: demo data re-seeded, logs emptied, traffic stopped, scheduled callbacks dropped. */
  reset(): void {
    for (const run of this.runs.values()) void run.stop();
    this.runs.clear();
    this.core.reset();
  }

  /** A JSON-friendly copy of the state (maps as arrays), as GET /_sim/state answers. */
  snapshot() {
    const s = this.core.state;
    return {
      app: s.app,
      businessId: s.businessId,
      scenario: s.scenario,
      businesses: [...s.businesses.values()],
      wabas: [...s.wabas.values()],
      numbers: [...s.numbers.values()],
      tokens: [...s.tokens.values()],
      templates: [...s.templates.values()],
      faults: s.faults,
      codes: [...s.codes.values()],
      sms: s.sms,
      healthIssues: s.healthIssues,
    };
  }

  async close(): Promise<void> {
    for (const run of this.runs.values()) void run.stop();
    this.core.work.close();
    this.core.dispatcher.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://simulator');
    const query = Object.fromEntries(url.searchParams);
    const raw = await readBody(req);

    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
      try {
        const body = parseParams(raw, req.headers['content-type']);
        const answer = await routeControl(this, method, url.pathname, query, body);
        if (answer instanceof HtmlPage) sendHtml(res, 200, answer.html);
        else sendJson(res, 200, answer);
      } catch (error) {
        const status = error instanceof ControlError ? error.status : 400;
        sendJson(res, status, { error: (error as Error).message });
      }
      return;
    }

    // Graph API: an optional version prefix (/v21.0/...) is accepted and ignored.
    const path = url.pathname.replace(/^\/v\d+(\.\d+)?(?=\/|$)/, '');
    const segments = path.split('/').filter(Boolean);
    if (method === 'GET' && segments.length === 0) {
      sendJson(res, 200, { name: 'wabahub Meta Cloud API simulator', graph: this.url, control: this.controlUrl, docs: 'test/meta-simulator/README.md' });
      return;
    }

    const authHeader = req.headers.authorization;
    const token = authHeader?.startsWith('Bearer ') ? authHeader.slice(7).trim() : (query.access_token ?? null);
    const entry: RequestLogEntry = {
      seq: ++this.core.state.seq.request,
      time: new Date(started).toISOString(),
      ts: 0,
      method,
      path: url.pathname,
      query: redactQuery(query),
      body: null,
      auth: this.authKind(token),
      target: segments[0] && /^\d+$/.test(segments[0]) ? segments[0] : null,
      status: 0,
      response: null,
      durationMs: 0,
    };
    const finish = (status: number, response: unknown) => {
      entry.status = status;
      entry.response = response;
      if (entry.ts === 0) entry.ts = now();
      entry.durationMs = Math.round((now() - started) * 10) / 10;
      this.core.pushRequest(entry);
    };

    if (segments[0] === 'dialog' && segments[1] === 'embedded-signup') {
      const params = method === 'POST' ? safeParams(raw, req.headers['content-type']) : {};
      entry.body = params;
      if (method === 'GET') {
        const page = signupPage(this.core, query);
        sendHtml(res, page.status, page.html);
        finish(page.status, null);
        return;
      }
      const result = submitSignup(this.core, { ...query, ...params });
      if (result.kind === 'redirect' || result.kind === 'cancelled') {
        res.writeHead(303, { location: result.location });
        res.end();
        finish(303, result.kind === 'redirect' ? result.result : { event: 'CANCEL', current_step: result.currentStep });
      } else {
        sendHtml(res, result.status, result.html);
        finish(result.status, result.result ?? null);
      }
      return;
    }

    let params;
    try {
      params = parseParams(raw, req.headers['content-type']);
    } catch (error) {
      entry.body = raw.toString('utf8').slice(0, 10_000);
      const body = graphErrors.invalidParameter(error instanceof BodyParseError ? error.message : 'unreadable body').toBody();
      sendJson(res, 400, body);
      finish(400, body);
      return;
    }
    entry.body = params;
    const { access_token: _ignored, ...queryParams } = query;
    const call: GraphCall = { method, segments, query, params: { ...queryParams, ...params }, token, log: entry, selfUrl: `${this.url}${url.pathname}` };
    const isSend = segments[1] === 'messages' && method === 'POST' && entry.target !== null && this.core.state.numbers.has(entry.target);

    this.core.events.emit('arrival', entry);
    const fault = this.core.takeFault(entry.target);
    if (fault) {
      entry.fault = fault.kind;
      if (fault.kind === 'drop') {
        // Meta's edge sometimes just closes the connection: the caller cannot know whether the message went out.
        entry.outcome = 'dropped';
        req.socket.destroy();
        finish(0, null);
        return;
      }
      if (fault.kind === 'slow') {
        await delay(fault.delayMs ?? 1_000);
        if (this.core.work.isClosed) {
          req.socket.destroy();
          return;
        }
      } else {
        const error = this.core.faultError(fault);
        this.answerError(res, error, entry, isSend, finish);
        return;
      }
    }

    try {
      const answer = await routeGraph(this.core, call);
      sendJson(res, answer.status, answer.body);
      finish(answer.status, answer.body);
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      this.answerError(res, error, entry, isSend, finish);
    }
  }

  private answerError(res: ServerResponse, error: GraphError, entry: RequestLogEntry, isSend: boolean, finish: (s: number, b: unknown) => void): void {
    const body = error.toBody();
    if (isSend) {
      entry.outcome = 'rejected';
      entry.errorCode = error.code;
      this.core.countRejection(entry.target!, error.code);
    }
    sendJson(res, error.httpStatus, body);
    finish(error.httpStatus, body);
  }

  private authKind(token: string | null): RequestLogEntry['auth'] {
    if (!token) return 'none';
    if (this.core.isAppToken(token)) return 'app';
    const record = this.core.state.tokens.get(token);
    return record ? record.kind : 'invalid';
  }
}

/** The log keeps no secrets in clear: client_secret and access tokens are masked. */
function redactQuery(query: Record<string, string>): Record<string, string> {
  const out = { ...query };
  for (const key of ['client_secret', 'access_token', 'input_token', 'code']) if (out[key]) out[key] = `${out[key].slice(0, 4)}…`;
  return out;
}

function safeParams(raw: Buffer, contentType: string | undefined) {
  try {
    return parseParams(raw, contentType);
  } catch {
    return {};
  }
}

/** Starts a simulator on `port` (0: a free one) and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<MetaSimulator> {
  const sim = new MetaSimulator(options);
  await sim.listen();
  return sim;
}

export type Simulator = MetaSimulator;
