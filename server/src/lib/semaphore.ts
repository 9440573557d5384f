/** A counting semaphore: at most `capacity` permits out at once; waiters are served in order. */
export class Semaphore {
  private available: number;
  private readonly waiting: { n: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /**
   * Takes `n` permits, or the whole capacity when `n` is more, waiting until they are free.
   * Returns how many it took: release exactly that many.
   */
  async acquire(n = 1): Promise<number> {
    const wanted = Math.min(n, this.capacity);
    if (this.waiting.length === 0 && this.available >= wanted) {
      this.available -= wanted;
      return wanted;
    }
    await new Promise<void>((resolve) => this.waiting.push({ n: wanted, resolve }));
    return wanted;
  }

  release(n = 1): void {
    this.available += n;
    if (this.available > this.capacity) throw new Error(`semaphore released ${this.available - this.capacity} more permits than it handed out`);
    while (this.waiting.length > 0 && this.available >= this.waiting[0].n) {
      const next = this.waiting.shift()!;
      this.available -= next.n;
      next.resolve();
    }
  }
}
