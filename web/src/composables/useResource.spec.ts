import { describe, expect, it } from 'vitest';
import { useResource } from './useResource';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('useResource', () => {
  it('loads, keeping the old value on screen while it reloads', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let n = 0;
    const r = useResource(() => answers[n++].promise);
    const first = r.reload();
    expect(r.loading.value).toBe(true);
    answers[0].resolve('a');
    await first;
    expect([r.data.value, r.loading.value]).toEqual(['a', false]);
    const second = r.reload();
    expect(r.data.value).toBe('a');
    answers[1].resolve('b');
    await second;
    expect(r.data.value).toBe('b');
  });

  it('drops an older answer that arrives after a newer one', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let n = 0;
    const r = useResource(() => answers[n++].promise);
    const slow = r.reload();
    const fast = r.reload();
    answers[1].resolve('new');
    await fast;
    answers[0].resolve('old');
    await slow;
    expect(r.data.value).toBe('new');
  });

  it('keeps the error until a reload succeeds, and set() wins over a reload in flight', async () => {
    const answers = [deferred<string>(), deferred<string>()];
    let n = 0;
    const r = useResource(() => answers[n++].promise);
    const failing = r.reload();
    answers[0].reject(new Error('offline'));
    await failing;
    expect((r.error.value as Error).message).toBe('offline');
    const inFlight = r.reload();
    r.set('from mutation');
    answers[1].resolve('stale');
    await inFlight;
    expect(r.data.value).toBe('from mutation');
    expect(r.loading.value).toBe(false);
  });
});
