// Outbound benchmark: 50 numbers at tier 80 and one at tier 1000, each with a full backlog of
// campaign messages, sent by worker processes (`node --import tsx server/src/worker.ts`) through
// the Meta simulator (pair rate off, no webhooks). The simulator's request log is the judge: for
// each number its busiest sliding one-second window against its tier, and its sustained rate
// (utilisation). Meanwhile a conversational number sends one message every 50 ms, to show that
// replies are not stuck behind campaign backlogs (queued → sent p50/p99).
//
// Env: BENCH_SECONDS (backlog depth in seconds of each number's tier, default 15), BENCH_WORKERS
// (worker processes, default 2), BENCH_CONCURRENCY (outbound jobs in flight per worker, default OUTBOUND_CONCURRENCY's),
// BENCH_DATABASE_URL (default a database of its own, wabahub_bench_outbound, created afresh and migrated here).
import { randomBytes } from 'node:crypto';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
// Unset: the worker's own default (OUTBOUND_CONCURRENCY).
const CONCURRENCY = process.env.BENCH_CONCURRENCY;
// A database of its own: the backlog is large, and tests sharing a database must not see it.
process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_bench_outbound';
const PREFIX = `bench-outbound-${randomBytes(4).toString('hex')}`;
process.env.WABAHUB_QUEUE_PREFIX = PREFIX;

const { startSimulator, DEMO } = await import('@wabahub/meta-simulator');
const { createCore } = await import('../../server/src/runtime.js');
const { OPERATOR } = await import('../../server/src/graphql/viewer.js');
const { testEnv } = await import('../setup/test-env.js');
const { roleEnv } = await import('../setup/processes.js');
const { default: globalSetup } = await import('../setup/global-setup.js');
const { busiestWindow, spawnWorkerProcess } = await import('../setup/outbound.js');
const { makeInstance, makeTenant, uniqueMetaId } = await import('../factories/index.js');

await globalSetup();
const sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0, statusDelaysMs: { read: null } });
const env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken, ...(CONCURRENCY ? { OUTBOUND_CONCURRENCY: CONCURRENCY } : {}) });
const core = await createCore(env);
const services = core.services;
const sql = core.database.sql;

// ---- numbers: 5 WABAs of 10 tier-80 numbers, one tier-1000 number, one conversational number
const { tenant } = await makeTenant(services, `Bench ${PREFIX}`);
interface BenchNumber { simId: string; instanceId: string; rowId: string; tier: number }
const numbers: BenchNumber[] = [];
async function addNumber(wabaId: string, tier: 80 | 1000): Promise<BenchNumber> {
  const simNumber = sim.createNumber({ wabaId, id: uniqueMetaId(), tier });
  const { phoneNumber, instance } = await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId, throughputTier: tier });
  return { simId: simNumber.id, instanceId: instance.id, rowId: phoneNumber.id, tier };
}
for (let w = 0; w < 6; w++) {
  const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
  sim.core.addTemplate({ wabaId: waba.id, name: 'aviso', language: 'pt_BR', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Olá {{1}}, seu pedido saiu para entrega.' }] });
  if (w < 5) for (let i = 0; i < 10; i++) numbers.push(await addNumber(waba.id, 80));
  else numbers.push(await addNumber(waba.id, 1000));
  await services.messageTemplates.sync(OPERATOR, numbers[numbers.length - 1].rowId);
}
const chatWaba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
sim.core.addTemplate({ wabaId: chatWaba.id, name: 'aviso', language: 'pt_BR', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Olá {{1}}, seu pedido saiu para entrega.' }] });
const chat = await addNumber(chatWaba.id, 80);
await services.messageTemplates.sync(OPERATOR, chat.rowId);

// ---- backlogs: SECONDS of each number's tier, stored as campaigns (enqueued by the workers)
let recipientSeq = 0;
const recipient = () => `+55119${String(10_000_000 + recipientSeq++).padStart(8, '0')}`;
const backlog = numbers.reduce((sum, n) => sum + n.tier * SECONDS, 0);
console.log(`outbound bench: ${numbers.length} numbers (50 × tier 80, 1 × tier 1000), backlog ${backlog.toLocaleString('en')} messages (${SECONDS} s of each tier), ${WORKERS} worker processes × ${env.OUTBOUND_CONCURRENCY} outbound jobs in flight`);
const loadStarted = Date.now();
for (const n of numbers) {
  await services.campaigns.create(OPERATOR, {
    instanceId: n.instanceId, template: { name: 'aviso', language: 'pt_BR' },
    recipients: Array.from({ length: n.tier * SECONDS }, (_, i) => ({ to: recipient(), variables: [`Cliente ${i}`] })),
  });
}
console.log(`  stored the backlog in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);
// What autovacuum would do after a bulk load in production (this machine runs PostgreSQL without it).
await sql`analyze`;

// ---- run
const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '0' });
const workers = await Promise.all(Array.from({ length: WORKERS }, () => spawnWorkerProcess(childEnv)));
const started = Date.now();
// Conversational probe: one reply every 50 ms on a number without a backlog.
const probeIds: string[] = [];
const probe = setInterval(() => {
  services.outbound.sendMessage(OPERATOR, { instanceId: chat.instanceId, to: recipient(), template: { name: 'aviso', language: 'pt_BR', variables: ['Ana'] } })
    .then((m) => probeIds.push(m.id), (e: Error) => console.error('probe:', e.message));
}, 50);
const total = backlog;
let lastLog = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 1_000));
  const accepted = numbers.reduce((sum, n) => sum + (sim.stats().numbers[n.simId]?.accepted ?? 0), 0);
  if (Date.now() - lastLog >= 5_000) {
    lastLog = Date.now();
    console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${accepted.toLocaleString('en')} / ${total.toLocaleString('en')} sent`);
  }
  if (accepted >= total || Date.now() - started > (SECONDS * 8 + 120) * 1000) break;
}
clearInterval(probe);
const elapsed = (Date.now() - started) / 1000;

// ---- figures, from the simulator's log
const stats = sim.stats().numbers;
const rows: { tier: number; accepted: number; busiest: number; rate: number; utilisation: number; refused: number }[] = [];
let firstTs = Infinity;
let lastTs = 0;
const allTs: number[] = [];
for (const n of numbers) {
  const log = sim.requests({ target: n.simId });
  const ts = log.filter((r) => r.outcome === 'accepted').map((r) => r.ts).sort((a, b) => a - b);
  allTs.push(...ts);
  firstTs = Math.min(firstTs, ts[0]);
  lastTs = Math.max(lastTs, ts[ts.length - 1]);
  // Sustained rate over the number's own busy span (its backlog drained at different times).
  const rate = ts.length > 1 ? (ts.length - 1) / ((ts[ts.length - 1] - ts[0]) / 1000) : 0;
  rows.push({ tier: n.tier, accepted: ts.length, busiest: busiestWindow(log), rate, utilisation: rate / n.tier, refused: stats[n.simId].rejected['130429'] ?? 0 });
}
allTs.sort((a, b) => a - b);
const p90 = allTs[Math.floor(allTs.length * 0.9)];
const aggregate = (Math.floor(allTs.length * 0.9)) / ((p90 - firstTs) / 1000);
const over = rows.filter((r) => r.busiest > r.tier).length;
const t80 = rows.filter((r) => r.tier === 80);
const t1000 = rows.find((r) => r.tier === 1000)!;
const util = t80.map((r) => r.utilisation).sort((a, b) => a - b);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const latency = async (ids: string[]) => {
  if (ids.length === 0) return { p50: NaN, p99: NaN, n: 0 };
  const [r] = await sql`select percentile_cont(0.5) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p50,
    percentile_cont(0.99) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p99, count(*)::int as n
    from messages where id in ${sql(ids)} and sent_at is not null`;
  return { p50: Number(r.p50), p99: Number(r.p99), n: r.n };
};
const probeLatency = await latency(probeIds);
const [campaignLatency] = await sql`select percentile_cont(0.5) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p50,
  percentile_cont(0.99) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p99
  from messages where tenant_id = ${tenant.id} and campaign_id is not null and sent_at is not null`;
const [{ unsent }] = await sql`select count(*)::int as unsent from messages where tenant_id = ${tenant.id} and campaign_id is not null and status in ('queued', 'sending')`;

console.log(`
  sent ${allTs.length.toLocaleString('en')} of ${total.toLocaleString('en')} in ${elapsed.toFixed(1)} s (${unsent} left unsent)
  aggregate: ${aggregate.toFixed(0)} sends/s (first 90% of sends), ${(allTs.length / ((lastTs - firstTs) / 1000)).toFixed(0)} sends/s over the whole run
  windows over the tier: ${over} of ${rows.length} numbers; 130429 refusals: ${rows.reduce((s, r) => s + r.refused, 0)}
  tier 1000: busiest 1 s window ${t1000.busiest}, sustained ${t1000.rate.toFixed(0)}/s, utilisation ${pct(t1000.utilisation)}
  tier 80 (50 numbers): busiest 1 s windows ${Math.min(...t80.map((r) => r.busiest))}-${Math.max(...t80.map((r) => r.busiest))}, utilisation min ${pct(util[0])}, median ${pct(util[Math.floor(util.length / 2)])}, max ${pct(util[util.length - 1])}
  queued → sent, conversational replies during the backlog (${probeLatency.n}): p50 ${probeLatency.p50.toFixed(0)} ms, p99 ${probeLatency.p99.toFixed(0)} ms
  queued → sent, campaign messages (includes waiting for their turn in a ${SECONDS} s backlog): p50 ${(Number(campaignLatency.p50) / 1000).toFixed(1)} s, p99 ${(Number(campaignLatency.p99) / 1000).toFixed(1)} s
  goals: >= 1,000 sends/s ${aggregate >= 1000 ? 'met' : 'NOT met'}; no window over the tier ${over === 0 ? 'met' : 'NOT met'}; utilisation >= 95% ${util[0] >= 0.95 && t1000.utilisation >= 0.95 ? 'met' : 'NOT met'}`);

await Promise.all(workers.map((w) => w.kill('SIGTERM')));
await core.close();
await sim.close();
process.exit(0);
