import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

describe(Semaphore.name, () => {
  it('hands out at most its capacity, and serves waiters in order as permits come back', async () => {
    const s = new Semaphore(3);
    await s.acquire(2);
    const order: string[] = [];
    const big = s.acquire(3).then(() => order.push('big'));
    const small = s.acquire(1).then(() => order.push('small'));
    await Promise.resolve();
    expect(order).toEqual([]); // 1 free, but the first waiter needs 3 and the second queues behind it
    s.release(2);
    await big;
    expect(order).toEqual(['big']);
    s.release(1);
    await small;
    expect(order).toEqual(['big', 'small']);
  });

  it('gives a request for more than its capacity the whole capacity, and says so', async () => {
    const s = new Semaphore(2);
    expect(await s.acquire(5)).toBe(2);
    let got = false;
    void s.acquire(1).then(() => { got = true; });
    await Promise.resolve();
    expect(got).toBe(false);
    s.release(2);
    await new Promise((r) => setImmediate(r));
    expect(got).toBe(true);
  });

  it('refuses a release of permits it never handed out', () => {
    const s = new Semaphore(2);
    expect(() => s.release(1)).toThrow(/more permits than it handed out/);
  });
});
