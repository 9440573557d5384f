import type { SimulatorCore } from './core.js';
import { makeCustomers } from './customers.js';
import type { InboundKind } from './types.js';
import { pick } from './util.js';

export interface TrafficOptions {
  /** Numbers the customers write to (default: every registered number of a subscribed WABA). */
  phoneNumberIds?: string[];
  /** Inbound messages per second, across all the numbers. */
  ratePerSecond: number;
  /** Stop after this long (default: run until stopped). */
  durationMs?: number;
  /** Message kinds to mix, picked uniformly (default: mostly text, some button replies, locations, images). */
  kinds?: InboundKind[];
  /** Size of the customer pool (default 200). */
  customers?: number;
}

export interface TrafficSummary {
  id: number;
  sent: number;
  acknowledged: number;
  failed: number;
  running: boolean;
}

const DEFAULT_KINDS: InboundKind[] = ['text', 'text', 'text', 'text', 'button', 'location', 'image'];
const TICK_MS = 20;

/** Simulated customers writing at a steady rate: each message is a signed inbound webhook. */
export class TrafficRun {
  sent = 0;
  acknowledged = 0;
  failed = 0;
  running = true;
  readonly done: Promise<TrafficSummary>;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<unknown>>();
  private resolveDone!: (summary: TrafficSummary) => void;

  constructor(
    readonly id: number,
    private readonly core: SimulatorCore,
    readonly options: TrafficOptions,
  ) {
    if (!(options.ratePerSecond > 0)) throw new Error('ratePerSecond must be > 0');
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const state = core.state;
    const numbers =
      options.phoneNumberIds ?? [...state.numbers.values()].filter((n) => n.registered && state.wabas.get(n.wabaId)?.subscribed).map((n) => n.id);
    for (const id of numbers) if (!state.numbers.has(id)) throw new Error(`unknown phone number ${id}`);
    if (numbers.length === 0) throw new Error('no phone numbers to send traffic to');
    const customers = makeCustomers(options.customers ?? 200);
    const kinds = options.kinds?.length ? options.kinds : DEFAULT_KINDS;
    const started = Date.now();
    let last = started;
    let allowance = 0;
    // A token bucket refilled every tick: steady rate whatever the timer jitter.
    this.timer = setInterval(() => {
      const t = Date.now();
      allowance = Math.min(allowance + ((t - last) / 1000) * options.ratePerSecond, options.ratePerSecond);
      last = t;
      while (allowance >= 1 && this.running) {
        allowance -= 1;
        const customer = pick(customers);
        const p = core
          .sendInbound({ phoneNumberId: pick(numbers), from: customer.waId, name: customer.name, language: customer.language, kind: pick(kinds) })
          .then((r) => (r.delivery.acknowledged ? (this.acknowledged += 1) : (this.failed += 1)))
          .catch(() => (this.failed += 1));
        this.sent += 1;
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
      }
      if (options.durationMs !== undefined && t - started >= options.durationMs) this.stop();
    }, TICK_MS);
  }

  stop(): Promise<TrafficSummary> {
    if (this.running) {
      this.running = false;
      clearInterval(this.timer);
      void Promise.allSettled([...this.inFlight]).then(() => this.resolveDone(this.summary()));
    }
    return this.done;
  }

  summary(): TrafficSummary {
    return { id: this.id, sent: this.sent, acknowledged: this.acknowledged, failed: this.failed, running: this.running };
  }
}
