import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { envelope, type WebhookChange } from './payloads.js';
import type { SimState } from './state.js';
import type { DeliveryAttempt, DeliveryRecord } from './types.js';
import { delay, now, sign } from './util.js';
import type { WorkTracker } from './work.js';

/** Fields Meta only sends for WABAs that have our app in subscribed_apps. account_update goes to the app regardless. */
const NEEDS_WABA_SUBSCRIPTION = new Set(['messages', 'message_template_status_update', 'phone_number_quality_update']);

const MAX_KEPT_DELIVERIES = 200_000;

/**
 * Delivers webhooks as Meta does: JSON POSTs signed with the app secret, at least once, retried with
 * exponential backoff while the receiver answers non-2xx or too slowly.
 */
export class WebhookDispatcher {
  readonly events = new EventEmitter();
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 128 });
  private batches = new Map<string, { changes: WebhookChange[]; waiters: ((d: DeliveryRecord) => void)[] }>();

  constructor(
    private readonly getState: () => SimState,
    private readonly work: WorkTracker,
  ) {}

  /** Sends one change (batched with others when scenario.webhook.batchMs > 0); resolves once delivered, failed or skipped. */
  emit(change: WebhookChange, options: { duplicate?: boolean } = {}): Promise<DeliveryRecord> {
    const state = this.getState();
    if (this.work.isClosed) return Promise.resolve(this.record(state, [change], null, 'simulator_closed'));
    const skipped = this.skipReason(state, change);
    if (skipped) return Promise.resolve(this.record(state, [change], null, skipped));
    const url = state.wabas.get(change.wabaId)?.overrideCallbackUri ?? state.app.webhookUrl!;
    const batchMs = state.scenario.webhook.batchMs;
    if (batchMs <= 0 || options.duplicate) return this.work.run(this.deliver(state, [change], url, options.duplicate));
    return new Promise((resolve) => {
      let batch = this.batches.get(url);
      if (!batch) {
        batch = { changes: [], waiters: [] };
        this.batches.set(url, batch);
        const pending = batch;
        this.work.schedule(() => {
          this.batches.delete(url);
          void this.work.run(this.deliver(state, pending.changes, url)).then((d) => pending.waiters.forEach((w) => w(d)));
        }, batchMs);
      }
      batch.changes.push(change);
      batch.waiters.push(resolve);
    });
  }

  close(): void {
    this.batches.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private skipReason(state: SimState, change: WebhookChange): DeliveryRecord['skipped'] | undefined {
    if (!state.app.fields.includes(change.field)) return 'field_not_subscribed';
    const waba = state.wabas.get(change.wabaId);
    if (NEEDS_WABA_SUBSCRIPTION.has(change.field) && !waba?.subscribed) return 'waba_not_subscribed';
    if (!(waba?.overrideCallbackUri ?? state.app.webhookUrl)) return 'no_webhook_url';
    return undefined;
  }

  private record(state: SimState, changes: WebhookChange[], url: string | null, skipped?: DeliveryRecord['skipped']): DeliveryRecord {
    // The signature is over these exact bytes; every retry re-sends them unchanged, as Meta does.
    // A skipped delivery is never sent, so it is not signed (benchmarks skip hundreds a second).
    const body = JSON.stringify(envelope(changes));
    state.seq.delivery += 1;
    state.deliveryCounts.total += 1;
    if (skipped) state.deliveryCounts.skipped += 1;
    const record: DeliveryRecord = {
      id: state.seq.delivery,
      url,
      body,
      signature: skipped ? '' : sign(body, state.app.appSecret),
      fields: [...new Set(changes.map((c) => c.field))],
      wabaIds: [...new Set(changes.map((c) => c.wabaId))],
      attempts: [],
      finalStatus: 0,
      acknowledged: false,
      done: skipped !== undefined,
      ...(skipped ? { skipped } : {}),
    };
    state.deliveries.push(record);
    if (state.deliveries.length > MAX_KEPT_DELIVERIES) state.deliveries.splice(0, MAX_KEPT_DELIVERIES / 10);
    if (skipped) this.events.emit('delivery', record);
    return record;
  }

  private async deliver(state: SimState, changes: WebhookChange[], url: string, duplicate = false): Promise<DeliveryRecord> {
    const record = this.record(state, changes, url);
    if (duplicate) record.duplicate = true;
    const { maxAttempts, backoffMs, timeoutMs } = state.scenario.webhook;
    for (let attempt = 1; attempt <= maxAttempts && !this.work.isClosed; attempt += 1) {
      const result = await this.post(url, record.body, record.signature, timeoutMs);
      record.attempts.push(result);
      state.deliveryCounts.attempts += 1;
      record.finalStatus = result.status ?? 0;
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        record.acknowledged = true;
        break;
      }
      if (attempt < maxAttempts && !this.work.isClosed) await delay(backoffMs * 2 ** (attempt - 1));
    }
    record.done = true;
    if (record.acknowledged) state.deliveryCounts.acknowledged += 1;
    else state.deliveryCounts.failed += 1;
    this.events.emit('delivery', record);
    return record;
  }

  private post(url: string, body: string, signature: string, timeoutMs: number): Promise<DeliveryAttempt> {
    const started = now();
    const attempt = (fields: Partial<DeliveryAttempt>): DeliveryAttempt => ({
      at: new Date(started).toISOString(),
      ts: started,
      durationMs: Math.round((now() - started) * 10) / 10,
      ...fields,
    });
    return new Promise((resolve) => {
      let settled = false;
      const finish = (a: DeliveryAttempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        finish(attempt({ error: `invalid webhook URL ${url}` }));
        return;
      }
      const lib = target.protocol === 'https:' ? https : http;
      const req = lib.request(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-hub-signature-256': signature,
            'user-agent': 'facebookexternalua',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => finish(attempt({ status: res.statusCode ?? 0 })));
          res.on('error', (error) => finish(attempt({ status: res.statusCode ?? 0, error: error.message })));
        },
      );
      const timer = setTimeout(() => {
        finish(attempt({ error: `timeout after ${timeoutMs} ms` }));
        req.destroy();
      }, timeoutMs);
      req.on('error', (error) => finish(attempt({ error: error.message })));
      req.end(body);
    });
  }
}
