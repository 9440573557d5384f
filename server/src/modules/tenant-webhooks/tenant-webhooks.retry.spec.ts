import { describe, expect, it } from 'vitest';
import type { PostResult } from './tenant-webhooks.http.js';
import { backoffMs, retryAfterMs, retrySchedule, verdictOf } from './tenant-webhooks.retry.js';

// The retry policy of tenant webhook deliveries: what is retried, how long it waits, when it stops.

const schedule = retrySchedule(10_000, 24 * 3600 * 1000);
const created = new Date('2026-01-01T00:00:00Z');
const now = new Date('2026-01-01T00:01:00Z');
const answer = (statusCode: number, retryAfter: string | null = null): PostResult => ({ kind: 'response', statusCode, retryAfter, excerpt: '', latencyMs: 5 });

describe('verdictOf', () => {
  it('counts any 2xx as delivered', () => {
    for (const code of [200, 201, 202, 204]) expect(verdictOf(answer(code), 1, created, now, schedule).outcome).toBe('succeeded');
  });

  it('retries timeouts, network errors, 5xx, 408 and 429', () => {
    const retried: PostResult[] = [
      { kind: 'timeout', error: 'no answer within 10000 ms', latencyMs: 10_000 }, { kind: 'network', error: 'ECONNREFUSED', latencyMs: 1 },
      answer(500), answer(502), answer(503), answer(504), answer(408), answer(429),
    ];
    for (const result of retried) expect(verdictOf(result, 1, created, now, schedule).outcome).toBe('retry');
  });

  it('gives up at once on other 4xx, redirects and a refused URL', () => {
    for (const result of [answer(400), answer(401), answer(403), answer(404), answer(410), answer(422), answer(301), { kind: 'refused', error: 'refused: 127.0.0.1', latencyMs: 0 } as PostResult]) {
      expect(verdictOf(result, 1, created, now, schedule).outcome).toBe('failed');
    }
  });

  it('waits as long as Retry-After says, in seconds or as a date', () => {
    expect(verdictOf(answer(429, '120'), 1, created, now, schedule)).toEqual({ outcome: 'retry', delayMs: 120_000 });
    expect(verdictOf(answer(503, new Date(now.getTime() + 30_000).toUTCString()), 1, created, now, schedule)).toEqual({ outcome: 'retry', delayMs: 30_000 });
  });

  it('stops retrying 24 h after the delivery was made', () => {
    const late = new Date(created.getTime() + 24 * 3600 * 1000 - 1_000);
    const verdict = verdictOf(answer(500), 30, created, late, schedule);
    expect(verdict.outcome).toBe('failed');
    expect(verdict.outcome === 'failed' && verdict.reason).toContain('giving up');
  });
});

describe('backoffMs', () => {
  it('doubles each attempt, half fixed and half random, and never exceeds an hour', () => {
    expect(backoffMs(1, schedule, () => 0)).toBe(5_000);
    expect(backoffMs(1, schedule, () => 1)).toBe(10_000);
    expect(backoffMs(2, schedule, () => 1)).toBe(20_000);
    expect(backoffMs(5, schedule, () => 0.5)).toBe(120_000);
    expect(backoffMs(40, schedule, () => 1)).toBe(3_600_000);
  });

  it('retries for about 24 h in a few dozen attempts', () => {
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 24 * 3600 * 1000) elapsed += backoffMs(++attempts, schedule, () => 0.5);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(50);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates and ignores what it cannot read', () => {
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
    expect(retryAfterMs(new Date(now.getTime() - 5_000).toUTCString(), now)).toBe(0);
  });
});
