import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useOnboardingRun, type RunSource } from './useOnboardingRun';
import type { OnboardingRun } from './onboarding';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const RUN_ID = 'run-1';
function makeRun(state: string, settled: number, extra: Partial<OnboardingRun> = {}): OnboardingRun {
  const names = ['find_number', 'register', 'create_tenant', 'verify_first_message'];
  return {
    id: RUN_ID, kind: 'quick_setup', state, businessName: 'Padaria', phoneNumberE164: '+5511987654321', metaPhoneNumberId: null, wabaId: null, tenantId: null, currentStep: null,
    createdAt: '2026-01-01T00:00:00Z', finishedAt: null, tenant: null, phoneNumber: null, instance: null,
    steps: names.map((name, i) => ({ name, description: name, state: i < settled ? 'succeeded' : 'pending', attempts: 0, startedAt: null, finishedAt: null, error: null })),
    ...extra,
  };
}

/** A fake server: reads answer `current`, pushes are sent by the test, the secret is given once. */
function fakeSource(current: { run: OnboardingRun }) {
  const pushes: ((r: OnboardingRun) => void)[] = [];
  let secret: string | null = 'whk_secret';
  const calls = { read: 0, secret: 0, keys: [] as (string | undefined)[] };
  const source: RunSource = {
    read: async (_id, options) => { calls.read++; calls.keys.push(options.key); return current.run; },
    readSecret: async () => { calls.secret++; const s = secret; secret = null; return s; },
    subscribe: (_id, next) => { pushes.push(next); return () => pushes.splice(pushes.indexOf(next), 1); },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  return { source, pushes, calls };
}

describe('useOnboardingRun', () => {
  it('follows a run live: a push that came before the slower read is kept', async () => {
    const server = { run: makeRun('running', 1) };
    const { source, pushes } = fakeSource(server);
    const follow = useOnboardingRun({ mode: 'live' }, source);
    const reading = follow.follow(RUN_ID);
    pushes[0](makeRun('running', 2));
    await reading;
    expect(follow.run.value?.steps.filter((s) => s.state === 'succeeded')).toHaveLength(2);
    pushes[0](makeRun('running', 3));
    expect(follow.run.value?.steps.filter((s) => s.state === 'succeeded')).toHaveLength(3);
    follow.stop();
    expect(pushes).toHaveLength(0);
  });

  it('reads the run again every 3 s while live, so a push missed while the socket connected is caught up, and stops once it ends', async () => {
    const server = { run: makeRun('running', 1) };
    const { source, calls } = fakeSource(server);
    const follow = useOnboardingRun({ mode: 'live' }, source);
    await follow.follow(RUN_ID);
    server.run = makeRun('failed', 2); // published before the subscription was registered: never pushed
    await vi.advanceTimersByTimeAsync(2999);
    expect(follow.run.value?.state).toBe('running');
    await vi.advanceTimersByTimeAsync(1);
    expect(follow.run.value?.state).toBe('failed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.read).toBe(2);
    follow.stop();
  });

  it("ignores another run's update", async () => {
    const { source, pushes } = fakeSource({ run: makeRun('running', 1) });
    const follow = useOnboardingRun({ mode: 'live' }, source);
    await follow.follow(RUN_ID);
    pushes[0]({ ...makeRun('failed', 0), id: 'someone-else' });
    expect(follow.run.value?.state).toBe('running');
  });

  it("reads the tenant's API key secret once, when the run has made its tenant", async () => {
    const server = { run: makeRun('running', 1) };
    const { source, pushes, calls } = fakeSource(server);
    const follow = useOnboardingRun({ mode: 'live' }, source);
    await follow.follow(RUN_ID);
    expect(calls.secret).toBe(0);
    pushes[0](makeRun('running', 3, { tenantId: 't1' }));
    pushes[0](makeRun('succeeded', 4, { tenantId: 't1' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.secret).toBe(1);
    expect(follow.secret.value).toBe('whk_secret');
  });

  it("polls with the invite link's token until the run ends, and again after a mutation moves it", async () => {
    const server = { run: makeRun('running', 1) };
    const { source, calls } = fakeSource(server);
    const follow = useOnboardingRun({ mode: 'poll', key: 'whi_token', pollMs: 1000 }, source);
    await follow.follow(RUN_ID);
    expect(calls.keys).toEqual(['whi_token']);
    server.run = makeRun('failed', 2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(follow.run.value?.state).toBe('failed');
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.read).toBe(2); // finished: no more reads
    server.run = makeRun('running', 2);
    follow.replace(makeRun('running', 2)); // retryOnboarding's answer
    server.run = makeRun('succeeded', 4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(follow.run.value?.state).toBe('succeeded');
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.read).toBe(3);
  });
});
