import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from './coalesce';

describe('coalesce', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('runs the first ask at once and folds a burst into one more run after the interval', async () => {
    let runs = 0;
    const reload = coalesce(() => { runs++; }, 500);
    reload.request();
    expect(runs).toBe(1);
    for (let i = 0; i < 200; i++) reload.request();
    await vi.advanceTimersByTimeAsync(499);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(2);
  });

  it('never runs twice at once: an ask during a slow run waits for it', async () => {
    let active = 0;
    let most = 0;
    const reload = coalesce(async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 1000));
      active--;
    }, 100);
    reload.request();
    await vi.advanceTimersByTimeAsync(50);
    reload.request();
    await vi.advanceTimersByTimeAsync(3000);
    expect(most).toBe(1);
  });

  it('keeps going after a failed run, and stops once disposed', async () => {
    let runs = 0;
    const reload = coalesce(() => { runs++; throw new Error('offline'); }, 100);
    reload.request();
    await vi.advanceTimersByTimeAsync(100);
    reload.request();
    expect(runs).toBe(2);
    reload.dispose();
    await vi.advanceTimersByTimeAsync(100);
    reload.request();
    expect(runs).toBe(2);
  });
});
