/** A counting semaphore: at most `capacity` permits out at once; waiters are served in order. */
export class Semaphore {
  private available: number;
  private readonly waiting: { n: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Takes `n` permits (at most `capacity`), waiting until they are free. */
  async acquire(n = 1): Promise<void> {
    const wanted = Math.min(n, this.capacity);
    if (this.waiting.length === 0 && this.available >= wanted) {
      this.available -= wanted;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push({ n: wanted, resolve }));
  }

  release(n = 1): void {
    this.available = Math.min(this.capacity, this.available + n);
    while (this.waiting.length > 0 && this.available >= this.waiting[0].n) {
      const next = this.waiting.shift()!;
      this.available -= next.n;
      next.resolve();
    }
  }
}
