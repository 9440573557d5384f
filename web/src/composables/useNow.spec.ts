import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { useNow } from './useNow';

describe('useNow', () => {
  beforeEach(() => { vi.useFakeTimers(); vi.setSystemTime(new Date('2026-05-04T12:00:00Z')); });
  afterEach(() => { vi.useRealTimers(); });

  it('gives every user the same clock, ticking every 30 s, and stops once nobody uses it', () => {
    const a = effectScope();
    const b = effectScope();
    const first = a.run(() => useNow())!;
    const second = b.run(() => useNow())!;
    expect(first.value).toBe(Date.parse('2026-05-04T12:00:00Z'));
    vi.advanceTimersByTime(30_000);
    expect(first.value).toBe(Date.parse('2026-05-04T12:00:30Z'));
    expect(second.value).toBe(first.value);
    a.stop();
    vi.advanceTimersByTime(30_000);
    expect(second.value).toBe(Date.parse('2026-05-04T12:01:00Z'));
    b.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
