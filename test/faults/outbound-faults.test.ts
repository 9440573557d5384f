import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startSimulator, DEMO, type Simulator } from '@wabahub/meta-simulator';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, type RoleProcess } from '../setup/processes.js';
import { busiestWindow, spawnWorkerProcess, TEST_TEMPLATES } from '../setup/outbound.js';
import { startPrivateRedis, type PrivateRedis } from '../setup/redis-control.js';
import { eventually } from '../setup/webhooks.js';
import { RECOGNISED, reconcileUnknownMessages } from '../../server/src/modules/outbound/outbound.reconcile.js';
import { makeInstance, makeTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';

// The scenario: campaigns of thousands of messages on several numbers, sent by worker processes
// that are SIGKILLed again and again mid-send. Meta (the simulator, pair rate off) must receive
// every message at most once, counted by the message id each send carries in
// biz_opaque_callback_data; and once the system settles, every message must be sent (or further),
// failed, or counted as unknown: a send cut off mid-call, never retried. Statuses flow back by
// webhook, so an unknown send Meta did take is recognised by its status and moves on.
const MESSAGES = Number(process.env.FAULT_MESSAGES ?? 3000);
const NUMBERS = 4;
const TIER = 80;
const PREFIX = `test-faults-out-${randomBytes(4).toString('hex')}`;
let sim: Simulator;
let server: RunningServer;
let env: ReturnType<typeof testEnv>;
let redis: PrivateRedis;
const workers: RoleProcess[] = [];

beforeAll(async () => {
  // A Redis of this file's own: the second test restarts it empty.
  redis = await startPrivateRedis();
  sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0, statusDelaysMs: { read: null } });
  env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken, REDIS_URL: redis.url, WABAHUB_QUEUE_PREFIX: PREFIX });
  server = await startServer(env, { host: '127.0.0.1' });
  sim.configureApp({ webhookUrl: `${server.url}/webhooks/whatsapp` });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await sim?.close();
  await redis?.stop();
});

const childEnv = () => roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '1000', SWEEP_AFTER_MS: '3000' });

describe('outbound pipeline under faults', () => {
  it('sends every message at most once while workers are SIGKILLed mid-send, and accounts for each', { timeout: 170_000 }, async () => {
    const services = server.core.services;
    const { tenant } = await makeTenant(services);
    const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
    const template = TEST_TEMPLATES[0];
    sim.core.addTemplate({ wabaId: waba.id, name: template.name, language: template.language, category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: template.body }] });
    const numbers = [];
    for (let i = 0; i < NUMBERS; i++) {
      const simNumber = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier: TIER });
      numbers.push({ simNumber, ...(await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: TIER })) });
    }
    await services.messageTemplates.sync(OPERATOR, numbers[0].phoneNumber.id);

    // Meta takes 60 ms to answer each send, as it does over the internet: a kill lands mid-call often.
    sim.setFault('*', { kind: 'slow', delayMs: 60, ratio: 1 });
    workers.push(...(await Promise.all([spawnWorkerProcess(childEnv()), spawnWorkerProcess(childEnv()), spawnWorkerProcess(childEnv())])));
    const started = Date.now();
    const campaigns = await Promise.all(numbers.map((n) => services.campaigns.create(OPERATOR, {
      instanceId: n.instance.id, template: { name: template.name, language: template.language },
      recipients: Array.from({ length: MESSAGES / NUMBERS }, (_, i) => ({ to: uniqueE164(), variables: [`Cliente ${i}`] })),
    })));
    const campaignIds = campaigns.map((c) => c.id);
    const sql = server.core.database.sql;
    const unfinished = async () => (await sql`select count(*)::int as n from messages where campaign_id in ${sql(campaignIds)} and status in ('queued', 'sending')`)[0].n as number;

    // Every 700 ms a random worker is SIGKILLed and a replacement started, 10 times (or until
    // nothing is left to send), so kills land in the middle of sends.
    let kills = 0;
    const starting: Promise<void>[] = [];
    for (;;) {
      await new Promise((r) => setTimeout(r, 700));
      if (workers.length > 0) {
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
        await victim.kill('SIGKILL');
        kills++;
        starting.push(spawnWorkerProcess(childEnv()).then((w) => { workers.push(w); }));
      }
      if (kills >= 10 || (await unfinished()) === 0) break;
    }
    await Promise.all(starting);
    const killsDone = Date.now();

    // Settle: BullMQ gives the dead workers' jobs to live ones; sends cut off mid-call wait out the
    // lease, then become unknown (or are recognised by their status).
    const deadline = Date.now() + 100_000;
    while ((await unfinished()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    // Late statuses: every status callback the simulator still owes is delivered (so stored), and
    // every stored event processed. Then the reconciliation the workers' sweepers run each second,
    // here until it finds nothing more, so every unknown send that Meta reported is recognised (and
    // its wamid checked below) before counting; a test cannot hear the workers' own sweeps.
    await sim.idle(60_000);
    await eventually(async () => (await sql`select count(*)::int as n from webhook_events where received_at >= to_timestamp(${started / 1000}) and state not in ('processed', 'rejected')`)[0].n === 0, 'every status webhook processed', 60_000, 200);
    while ((await reconcileUnknownMessages(server.core.database.db)) > 0);

    const counts = Object.fromEntries((await sql`select status, count(*)::int as n from messages where campaign_id in ${sql(campaignIds)} group by status`).map((r) => [r.status, r.n]));
    const rows = await sql`select id, status, wamid from messages where campaign_id in ${sql(campaignIds)}`;
    const accepted = sim.requests().filter((r) => r.outcome === 'accepted');
    const perMessage = new Map<string, string[]>();
    for (const r of accepted) {
      const id = (r.body as { biz_opaque_callback_data?: string }).biz_opaque_callback_data!;
      perMessage.set(id, [...(perMessage.get(id) ?? []), r.messageId!]);
    }
    const twice = [...perMessage.values()].filter((w) => w.length > 1).length;
    const sentLike = rows.filter((r) => ['sent', 'delivered', 'read'].includes(r.status));
    const wrongWamid = sentLike.filter((r) => perMessage.get(r.id)?.[0] !== r.wamid).length;
    const unknown = rows.filter((r) => r.status === 'unknown');
    const unknownAtMeta = unknown.filter((r) => perMessage.has(r.id)).length;
    const [{ reconciled }] = await sql`select count(*)::int as reconciled from message_attempts a join messages m on m.id = a.message_id where m.campaign_id in ${sql(campaignIds)} and a.outcome = 'sent' and a.error_message = ${RECOGNISED}`;
    const windows = numbers.map((n) => busiestWindow(sim.requests({ target: n.simNumber.id })));
    const rejected130429 = numbers.reduce((sum, n) => sum + (sim.stats().numbers[n.simNumber.id].rejected['130429'] ?? 0), 0);
    console.log([
      `outbound fault test: ${MESSAGES} messages on ${NUMBERS} tier-${TIER} numbers, ${kills} worker SIGKILLs in ${((killsDone - started) / 1000).toFixed(1)} s, settled after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  final statuses: ${JSON.stringify(counts)}`,
      `  Meta accepted ${accepted.length} sends for ${perMessage.size} distinct messages; sent twice: ${twice}; sent/delivered/read with a wamid Meta did not give: ${wrongWamid}`,
      `  unknown outcome: ${unknown.length} (of which Meta had ${unknownAtMeta}, no status seen yet; ${unknown.length - unknownAtMeta} never reached Meta); recognised by their status after an interrupted call: ${reconciled}`,
      `  busiest one-second window per number: ${windows.join(', ')} (tier ${TIER}); 130429 refusals: ${rejected130429}`,
    ].join('\n'));

    expect(kills).toBeGreaterThanOrEqual(6);
    expect(twice).toBe(0);
    expect(counts.queued ?? 0).toBe(0);
    expect(counts.sending ?? 0).toBe(0);
    expect(rows).toHaveLength(MESSAGES);
    expect((counts.sent ?? 0) + (counts.delivered ?? 0) + (counts.read ?? 0) + (counts.failed ?? 0) + (counts.unknown ?? 0)).toBe(MESSAGES);
    expect(wrongWamid).toBe(0);
    // Every message that went out is accounted for: sent-like in wabahub, or counted unknown.
    expect(perMessage.size).toBeLessThanOrEqual(sentLike.length + unknownAtMeta);
    for (const w of windows) expect(w).toBeLessThanOrEqual(TIER);
  });

  it('loses no send when Redis restarts empty mid-campaign: the sweeper re-enqueues what the lost jobs held, each sent once', { timeout: 120_000 }, async () => {
    // A tier-20 campaign (15 s of sends) and replies on another number; once part of the campaign
    // is out, every worker is SIGKILLed (a send may be cut off mid-call), replies are queued with
    // no worker to take them, and Redis restarts EMPTY: every job, delayed batch and limiter key
    // is gone. New workers with a quick sweeper must finish everything from Postgres alone.
    const services = server.core.services;
    const { tenant } = await makeTenant(services);
    const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
    const template = TEST_TEMPLATES[0];
    sim.core.addTemplate({ wabaId: waba.id, name: template.name, language: template.language, category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: template.body }] });
    const made = await Promise.all(([20, 80] as const).map(async (tier) => {
      const simNumber = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier });
      return { simNumber, ...(await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: tier })) };
    }));
    await services.messageTemplates.sync(OPERATOR, made[0].phoneNumber.id);
    sim.setFault('*', { kind: 'slow', delayMs: 30, ratio: 1 });
    const sweepEnv = () => roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '500', SWEEP_AFTER_MS: '2000', OUTBOUND_SWEEP_AFTER_MS: '2000' });
    workers.push(...(await Promise.all([spawnWorkerProcess(sweepEnv()), spawnWorkerProcess(sweepEnv())])));

    const campaign = await services.campaigns.create(OPERATOR, {
      instanceId: made[0].instance.id, template: { name: template.name, language: template.language },
      recipients: Array.from({ length: 300 }, (_, i) => ({ to: uniqueE164(), variables: [`Cliente ${i}`] })),
    });
    const sql = server.core.database.sql;
    const countBy = async () => Object.fromEntries((await sql`select status, count(*)::int as n from messages where tenant_id = ${tenant.id} group by status`).map((r) => [r.status, r.n])) as Record<string, number>;
    await eventually(async () => ((await countBy()).sent ?? 0) + ((await countBy()).delivered ?? 0) >= 60, 'part of the campaign sent', 20_000);
    await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
    const replies = [];
    for (let i = 0; i < 5; i++) {
      replies.push(await services.outbound.sendMessage(OPERATOR, { instanceId: made[1].instance.id, to: uniqueE164(), template: { name: template.name, language: template.language, variables: ['Ana'] } }));
    }
    const before = await countBy();
    await redis.restartEmpty();
    const restarted = Date.now();
    workers.push(...(await Promise.all([spawnWorkerProcess(sweepEnv()), spawnWorkerProcess(sweepEnv())])));

    const unfinished = async () => { const c = await countBy(); return (c.queued ?? 0) + (c.sending ?? 0); };
    await eventually(async () => (await unfinished()) === 0, 'every message sent, failed or unknown after the restart', 90_000, 500);
    const after = await countBy();
    const rows = await sql`select id, status, wamid from messages where tenant_id = ${tenant.id}`;
    const accepted = sim.requests().filter((r) => r.outcome === 'accepted' && [made[0].simNumber.id, made[1].simNumber.id].includes(r.target!));
    const perMessage = new Map<string, number>();
    for (const r of accepted) {
      const id = (r.body as { biz_opaque_callback_data?: string }).biz_opaque_callback_data!;
      perMessage.set(id, (perMessage.get(id) ?? 0) + 1);
    }
    const twice = [...perMessage.values()].filter((n) => n > 1).length;
    const windows = made.map((n) => busiestWindow(sim.requests({ target: n.simNumber.id })));
    console.log([
      `Redis restart test: 300 campaign messages (tier 20) + 5 replies; before the restart ${JSON.stringify(before)}; finished ${((Date.now() - restarted) / 1000).toFixed(1)} s after it`,
      `  final statuses: ${JSON.stringify(after)}; Meta accepted ${accepted.length} sends for ${perMessage.size} messages; sent twice: ${twice}; busiest windows ${windows.join(', ')} (tiers 20, 80)`,
    ].join('\n'));
    sim.clearFaults();

    expect(rows).toHaveLength(305);
    expect(twice).toBe(0);
    expect((after.queued ?? 0) + (after.sending ?? 0)).toBe(0);
    // Only a send cut off mid-call by the SIGKILL may end unknown; everything else went out.
    expect((after.sent ?? 0) + (after.delivered ?? 0) + (after.read ?? 0) + (after.unknown ?? 0)).toBe(305);
    expect(after.unknown ?? 0).toBeLessThanOrEqual(20);
    for (const r of replies) expect(perMessage.get(r.id)).toBe(1);
    expect(windows[0]).toBeLessThanOrEqual(20);
    expect((await services.campaigns.progress(campaign)).queued).toBe(0);
  });
});
