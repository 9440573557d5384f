/**
 * Tracks the simulator's outstanding work (scheduled status callbacks, template reviews, webhook
 * deliveries), so a test can await `idle()` instead of sleeping, and reset/close can cancel timers.
 */
export class WorkTracker {
  private pending = 0;
  private waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  get size(): number {
    return this.pending;
  }

  schedule(fn: () => void, ms: number): void {
    if (this.closed) return;
    this.pending += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        fn();
      } finally {
        this.finish();
      }
    }, Math.max(0, ms));
    this.timers.add(timer);
  }

  async run<T>(promise: Promise<T>): Promise<T> {
    this.pending += 1;
    try {
      return await promise;
    } finally {
      this.finish();
    }
  }

  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops every scheduled timer; work already running finishes on its own. */
  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.pending -= this.timers.size;
    this.timers.clear();
    this.notify();
  }

  /** After close, nothing new is scheduled (a slow request finishing late must not start callbacks). */
  close(): void {
    this.closed = true;
    this.cancelTimers();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private finish(): void {
    this.pending -= 1;
    this.notify();
  }

  private notify(): void {
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
