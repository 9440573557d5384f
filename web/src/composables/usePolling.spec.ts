import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { usePolling } from './usePolling';
import { GraphQLRequestError } from '../api/client';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('usePolling', () => {
  it('runs at once and then every interval, one run at a time', async () => {
    let calls = 0;
    const poll = usePolling(async () => ++calls, 2000);
    await poll.start();
    expect(poll.data.value).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(4000);
    expect(calls).toBe(4);
    poll.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(4);
  });

  it('keeps polling through a transient error and clears it on the next success', async () => {
    let fail = true;
    const poll = usePolling(async () => { if (fail) throw new Error('down'); return 'ok'; }, 2000);
    await poll.start();
    expect(poll.error.value).toBeInstanceOf(Error);
    fail = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(poll.data.value).toBe('ok');
    expect(poll.error.value).toBeNull();
    poll.stop();
  });

  it('marks the panel unavailable and stops when the server does not know the field', async () => {
    let calls = 0;
    const poll = usePolling(async () => {
      calls++;
      throw new GraphQLRequestError([{ message: 'Cannot query field "queueHealth" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }], 400);
    }, 2000);
    await poll.start();
    expect(poll.unavailable.value).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
  });

  it('stops with the scope that owns it (a page left)', async () => {
    let calls = 0;
    const scope = effectScope();
    const poll = scope.run(() => usePolling(async () => ++calls, 1000))!;
    await poll.start();
    scope.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
  });
});
