import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { SendLimiter } from '../../server/src/modules/outbound/outbound.limiter.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { TEST_REDIS_URL, testEnv } from '../setup/test-env.js';
import { roleEnv, type RoleProcess } from '../setup/processes.js';
import { eventually } from '../setup/webhooks.js';
import { uniqueE164 } from '../factories/index.js';
import { busiestWindow, makeSender, spawnWorkerProcess, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';

// setup(): real Redis for the limiter itself; then the whole pipeline with TWO worker processes
// (one in this process, one spawned as `tsx server/src/worker.ts`) sending through one simulator,
// whose request log judges every one-second window.

describe(SendLimiter.name, () => {
  let redis: Redis;
  let limiter: SendLimiter;
  const number = () => `n${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    limiter = new SendLimiter(redis, { prefix: `{test-limiter-${randomBytes(4).toString('hex')}}`, recipientGapMs: 600 });
    await limiter.markStarted(0);
  });
  afterAll(() => redis.disconnect());

  it('grants `tier` sends, then tells the next one to wait for a slot to turn over', async () => {
    const n = number();
    for (let i = 0; i < 5; i++) expect(await limiter.acquire(n, 5, `r${i}`, `t${i}`)).toEqual({ granted: true });
    const refused = await limiter.acquire(n, 5, 'r5', 't5');
    expect(refused).toMatchObject({ granted: false, reason: 'throughput' });
    expect((refused as { waitMs: number }).waitMs).toBeLessThanOrEqual(1_000);
  });

  it('holds a slot one second after an accepted send, and frees it at once after a refused one', async () => {
    const n = number();
    await limiter.acquire(n, 2, 'a', 'ta');
    await limiter.acquire(n, 2, 'b', 'tb');
    await limiter.release(n, 'a', 'ta', 'refused');
    expect(await limiter.acquire(n, 2, 'c', 'tc')).toEqual({ granted: true });
    await limiter.release(n, 'b', 'tb', 'accepted');
    const waiting = await limiter.acquire(n, 2, 'd', 'td');
    expect(waiting).toMatchObject({ granted: false, reason: 'throughput' });
    expect((waiting as { waitMs: number }).waitMs).toBeGreaterThan(900);
  });

  it('paces one recipient (held while in flight, then for the gap) without holding back the others', async () => {
    const n = number();
    expect(await limiter.acquire(n, 80, 'ana', 't1')).toEqual({ granted: true });
    expect(await limiter.acquire(n, 80, 'ana', 't2')).toMatchObject({ granted: false, reason: 'recipient' });
    expect(await limiter.acquire(n, 80, 'bia', 't3')).toEqual({ granted: true });
    await limiter.release(n, 'ana', 't1', 'accepted');
    const paced = await limiter.acquire(n, 80, 'ana', 't2');
    expect(paced).toMatchObject({ granted: false, reason: 'recipient' });
    expect((paced as { waitMs: number }).waitMs).toBeGreaterThan(500);
    await limiter.release(n, 'bia', 't3', 'accepted', 5_000); // Meta's 131056 for bia: a longer pause
    expect(((await limiter.acquire(n, 80, 'bia', 't4')) as { waitMs: number }).waitMs).toBeGreaterThan(4_000);
  });

  it('backs the whole number off after a 130429', async () => {
    const n = number();
    await limiter.backOffNumber(n, 800);
    const refused = await limiter.acquire(n, 80, 'x', 't1');
    expect(refused).toMatchObject({ granted: false, reason: 'number_backoff' });
    await limiter.clearBackoff(n);
    expect(await limiter.acquire(n, 80, 'x', 't1')).toEqual({ granted: true });
  });

  it('spreads a backlog of waiting sends over the coming seconds at the tier\'s rate', async () => {
    const n = number();
    for (let i = 0; i < 10; i++) await limiter.acquire(n, 10, `r${i}`, `t${i}`);
    const waits: number[] = [];
    for (let i = 10; i < 40; i++) waits.push(((await limiter.acquire(n, 10, `r${i}`, `t${i}`)) as { waitMs: number }).waitMs);
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThanOrEqual(2_500);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]);
  });

  it('keeps two holders of one message apart: one\'s refused release frees neither the other\'s slot nor its recipient', async () => {
    // Two jobs for the same message (a resume, a stalled job): each asks with its own token.
    const n = number();
    expect(await limiter.acquire(n, 1, 'ana', 'm1.a')).toEqual({ granted: true });
    await limiter.release(n, 'ana', 'm1.b', 'refused'); // the other job, which lost the claim
    expect(await limiter.acquire(n, 1, 'bia', 'm2.a')).toMatchObject({ granted: false, reason: 'throughput' });
    expect(await limiter.acquire(n, 2, 'ana', 'm3.a')).toMatchObject({ granted: false, reason: 'recipient' });
  });

  it('holds an unanswered send\'s slot for a whole lease: Meta may still take it after we gave up', async () => {
    const n = number();
    await limiter.acquire(n, 1, 'x', 'tx');
    await limiter.release(n, 'x', 'tx', 'unknown');
    const waiting = await limiter.acquire(n, 1, 'y', 'ty');
    expect(waiting).toMatchObject({ granted: false, reason: 'throughput' });
    // Told when the slot could free at the latest a window away; the slot itself stays held.
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await limiter.acquire(n, 1, 'y', 'ty')).toMatchObject({ granted: false, reason: 'throughput' });
  });

  it('holds every send for a lease when Redis has lost its state (the epoch key is gone)', async () => {
    const lost = new SendLimiter(redis, { prefix: `{test-limiter-${randomBytes(4).toString('hex')}}`, leaseMs: 1_500 });
    const held = await lost.acquire(number(), 80, 'x', 't1');
    expect(held).toMatchObject({ granted: false, reason: 'number_backoff' });
    expect((held as { waitMs: number }).waitMs).toBeGreaterThan(1_000);
    // A worker starting now does not lift it (its key would only fill a missing one).
    await lost.markStarted(0);
    expect(await lost.acquire(number(), 80, 'x', 't2')).toMatchObject({ granted: false, reason: 'number_backoff' });
    await new Promise((r) => setTimeout(r, 1_600));
    expect(await lost.acquire(number(), 80, 'x', 't3')).toEqual({ granted: true });
  });

  it('renews the leases of slots still held, and says which expired', async () => {
    // A lease long enough that a loaded machine (the whole suite on two cores) renews tb in time.
    const short = new SendLimiter(redis, { prefix: `{test-limiter-${randomBytes(4).toString('hex')}}`, leaseMs: 1_000 });
    await short.markStarted(0);
    const n = number();
    expect(await short.acquire(n, 2, 'a', 'ta')).toEqual({ granted: true });
    await new Promise((r) => setTimeout(r, 1_200)); // ta's lease ran out
    expect(await short.acquire(n, 2, 'b', 'tb')).toEqual({ granted: true });
    expect([...(await short.renew(n, ['ta', 'tb']))]).toEqual(['tb']);
  });

  it('renews a slot granted a moment before, even within the same millisecond', async () => {
    const limiter = new SendLimiter(redis, { prefix: `{test-limiter-${randomBytes(4).toString('hex')}}`, leaseMs: 10_000 });
    await limiter.markStarted(0);
    const n = number();
    const renewed = [];
    for (let i = 0; i < 20; i++) {
      expect(await limiter.acquire(n, 1000, `r${i}`, `t${i}`)).toEqual({ granted: true });
      renewed.push(...(await limiter.renew(n, [`t${i}`])));
    }
    expect(renewed).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
  });

  it('counts accepted sends per second for the dashboard', async () => {
    const n = number();
    for (let i = 0; i < 3; i++) {
      await limiter.acquire(n, 80, `r${i}`, `t${i}`);
      await limiter.release(n, `r${i}`, `t${i}`, i === 2 ? 'refused' : 'accepted');
    }
    await new Promise((r) => setTimeout(r, 1_050));
    const series = (await limiter.sentPerSecond([n], 3)).get(n)!;
    expect(series.reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('the limiter shared by two worker processes', () => {
  let h: OutboundHarness;
  let child: RoleProcess;
  beforeAll(async () => {
    h = await startOutboundHarness('outbound-limiter', { sim: { pairRateWindowMs: 0, statusDelaysMs: { read: null } } });
    child = await spawnWorkerProcess(roleEnv(testEnv(h.envOverrides), { WABAHUB_QUEUE_PREFIX: h.prefix, NODE_ENV: 'test' }));
  });
  afterAll(async () => {
    await child?.kill('SIGTERM');
    await h?.close();
  });

  it('never lets Meta see more than the tier in any one-second window, and uses it fully', { timeout: 90_000 }, async () => {
    // A tier-80 and a tier-20 number, each with a backlog of 10 seconds of sends.
    const fast = await makeSender(h, { tier: 80 });
    const slow = await makeSender(h, { tier: 20 });
    // Which process sent what: the in-process worker's Graph client counts its accepted sends (the
    // call itself is the real one, to the simulator); the rest came from the child process.
    let inProcess = 0;
    const graph = h.worker.core.graph;
    const realSend = graph.sendMessage.bind(graph);
    graph.sendMessage = async (...args: Parameters<typeof graph.sendMessage>) => {
      const answer = await realSend(...args);
      inProcess++;
      return answer;
    };
    const started = Date.now();
    const campaigns = await Promise.all([[fast, 800], [slow, 200]].map(([s, n]) => h.server.core.services.campaigns.create(OPERATOR, {
      instanceId: (s as typeof fast).instance.id, template: { name: 'hello_world', language: 'en_US' },
      recipients: Array.from({ length: n as number }, () => ({ to: uniqueE164() })),
    })));
    for (const c of campaigns) {
      await eventually(async () => (await h.server.core.services.campaigns.progress(c)).queued + (await h.server.core.services.campaigns.progress(c)).sending === 0, `campaign ${c.id} sent`, 60_000, 200);
    }
    const elapsed = (Date.now() - started) / 1000;
    const stats = h.sim.stats().numbers;
    for (const [s, n, tier] of [[fast, 800, 80], [slow, 200, 20]] as const) {
      const log = h.sim.requests({ target: s.simNumber.id });
      const accepted = log.filter((r) => r.outcome === 'accepted');
      const first = accepted[0].ts;
      const last = accepted[accepted.length - 1].ts;
      const rate = (accepted.length - 1) / ((last - first) / 1000);
      const perSecond: number[] = [];
      for (const r of accepted) perSecond[Math.floor((r.ts - first) / 1000)] = (perSecond[Math.floor((r.ts - first) / 1000)] ?? 0) + 1;
      console.log(`tier ${tier} per second: ${perSecond.join(' ')}`);
      console.log(`tier ${tier}: ${accepted.length} accepted, busiest 1 s window ${busiestWindow(log)} (simulator: ${stats[s.simNumber.id].busiestWindow}), 130429s ${stats[s.simNumber.id].rejected['130429'] ?? 0}, sustained ${rate.toFixed(1)}/s = ${((100 * rate) / tier).toFixed(1)}% of tier`);
      expect(accepted).toHaveLength(n);
      expect(busiestWindow(log)).toBeLessThanOrEqual(tier);
      expect(stats[s.simNumber.id].rejected['130429'] ?? 0).toBe(0);
      // Utilisation depends on the machine (2 cores shared with the other test files in CI: seen
      // 49% there, 75-98% alone); the bench measures it properly. This catches a limiter that
      // serialises or stalls the two workers.
      expect(rate).toBeGreaterThan(tier * 0.4);
    }
    graph.sendMessage = realSend;
    console.log(`two workers: ${inProcess} of 1000 sends made by the in-process worker, ${1000 - inProcess} by the child process; ${elapsed.toFixed(1)} s`);
    // Both processes took part (the limiter really was shared).
    expect(inProcess).toBeGreaterThan(50);
    expect(inProcess).toBeLessThan(950);
  });

  it('keeps each message sent at most once even with both workers racing for jobs', async () => {
    const ids = new Set(h.sim.requests().filter((r) => r.outcome === 'accepted').map((r) => (r.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data));
    expect(ids.size).toBe(h.sim.requests().filter((r) => r.outcome === 'accepted').length);
  });
});
