import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startSimulator, DEMO, type Simulator } from '@wabahub/meta-simulator';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/graphql/viewer.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, type RoleProcess } from '../setup/processes.js';
import { busiestWindow, spawnWorkerProcess, TEST_TEMPLATES } from '../setup/outbound.js';
import { RECOGNISED } from '../../server/src/modules/outbound/outbound.reconcile.js';
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
const workers: RoleProcess[] = [];

beforeAll(async () => {
  process.env.WABAHUB_QUEUE_PREFIX = PREFIX;
  sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0, statusDelaysMs: { read: null } });
  env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken });
  server = await startServer(env, { host: '127.0.0.1' });
  sim.configureApp({ webhookUrl: `${server.url}/webhooks/whatsapp` });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await sim?.close();
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
    await new Promise((r) => setTimeout(r, 3_000)); // late statuses and the sweeper's reconciliation

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
});
