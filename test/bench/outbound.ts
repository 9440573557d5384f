// Outbound benchmark. Campaign backlogs sent by worker processes (`node --import tsx
// server/src/worker.ts`) through the Meta simulator (pair rate off, no webhooks); the simulator's
// request log is the judge: per number its busiest sliding one-second window against its tier, and
// its sustained rate against its tier (utilisation). Meanwhile a conversational number sends one
// reply every 50 ms, to show that replies do not wait behind campaign backlogs (queued → sent).
//
// Scenarios, one after the other on the same workers:
//   1. The issue's: 50 numbers at tier 80 and one at tier 1000, each with a full backlog: 5,000
//      sends/s of demand, more than this 2-core machine can carry with the simulator on it, so the
//      aggregate is the machine's capacity and every number gets an even share of it.
//   2. Within capacity: the tier-1000 number alone, then 10 tier-80 numbers: each number's limit
//      used in full when the machine has room.
// Baseline, same run, after the scenarios: a bare Node HTTP client (no queue, no database, no limiter) posting sends to
// the same simulator as fast as it answers: the ceiling this machine puts on any sender.
//
// Env: BENCH_SECONDS (backlog depth in seconds of each number's tier, default 15), BENCH_WORKERS
// (worker processes, default 2), BENCH_CONCURRENCY (outbound jobs in flight per worker, default
// OUTBOUND_CONCURRENCY's), BENCH_DATABASE_URL (default wabahub_bench_outbound, created afresh).
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';

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
const { OPERATOR } = await import('../../server/src/modules/auth/auth.viewer.js');
const { testEnv } = await import('../setup/test-env.js');
const { roleEnv } = await import('../setup/processes.js');
const { default: globalSetup } = await import('../setup/global-setup.js');
const { busiestWindow, spawnWorkerProcess } = await import('../setup/outbound.js');
const { makeInstance, makeTenant, uniqueMetaId } = await import('../factories/index.js');

await globalSetup();
const sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0, statusDelaysMs: { read: null } });
const env = testEnv({ WABAHUB_QUEUE_PREFIX: PREFIX, META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken, ...(CONCURRENCY ? { OUTBOUND_CONCURRENCY: CONCURRENCY } : {}) });
const core = await createCore(env);
const services = core.services;
const sql = core.database.sql;
const { tenant } = await makeTenant(services, `Bench ${PREFIX}`);
const TEMPLATE = { name: 'aviso', language: 'pt_BR' };

interface BenchNumber { simId: string; instanceId: string; rowId: string; tier: 80 | 1000 }
/** `count` numbers of one tier on a WABA of their own with the campaign template approved and synced. */
async function addNumbers(tier: 80 | 1000, count: number): Promise<BenchNumber[]> {
  const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
  sim.core.addTemplate({ wabaId: waba.id, ...TEMPLATE, category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Olá {{1}}, seu pedido saiu para entrega.' }] });
  const out: BenchNumber[] = [];
  for (let i = 0; i < count; i++) {
    const simNumber = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier });
    const { phoneNumber, instance } = await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: tier });
    out.push({ simId: simNumber.id, instanceId: instance.id, rowId: phoneNumber.id, tier });
  }
  await services.messageTemplates.sync(OPERATOR, out[0].rowId);
  return out;
}
let recipientSeq = 0;
const recipient = () => `+55119${String(10_000_000 + recipientSeq++).padStart(8, '0')}`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const [chat] = await addNumbers(80, 1);

const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '0' });
console.log(`outbound bench: ${WORKERS} worker processes × ${env.OUTBOUND_CONCURRENCY} outbound jobs in flight, backlogs of ${SECONDS} s of each number's tier`);

const results = [];
results.push(await scenario('1. 50 × tier 80 + 1 × tier 1000 (demand 5,000/s)', [...(await Promise.all(Array.from({ length: 5 }, () => addNumbers(80, 10)))).flat(), ...(await addNumbers(1000, 1))]));
results.push(await scenario('2a. 1 × tier 1000 alone (demand 1,000/s)', await addNumbers(1000, 1)));
results.push(await scenario('2b. 10 × tier 80 (demand 800/s)', await addNumbers(80, 10)));

// ---- baseline, last (its 50,000-odd requests would crowd the simulator's log): a bare client
// against the same simulator, on 50 tier-1000 numbers so that it is never limited.
const bareNumbers = await addNumbers(1000, 50);
const bare = await bareClient(sim.url, bareNumbers.map((n) => n.simId), DEMO.systemToken, 5_000);
console.log(`\n  baseline, bare Node HTTP client → simulator (64 in flight, no queue, database or limiter): ${bare.toFixed(0)} sends/s`);

const [full, alone1000, ten80] = results;
const utilisationMet = alone1000.minUtilisation >= 0.95 && ten80.minUtilisation >= 0.95;
console.log(`
  goals: >= 1,000 sends/s aggregate ${full.aggregate >= 1000 ? 'met' : 'NOT met'} (${full.aggregate.toFixed(0)}/s, ${pct(full.aggregate / bare)} of the bare client's ceiling);` +
  ` no window over the tier ${results.every((r) => r.over === 0) ? 'met' : 'NOT met'};` +
  ` utilisation >= 95% ${utilisationMet ? 'met' : 'NOT met'} within capacity (${pct(alone1000.minUtilisation)}, ${pct(ten80.minUtilisation)}), ` +
  `${pct(full.minUtilisation)} at 5,000/s of demand, where the machine, not the limiter, is the bound`);

await core.close();
await sim.close();
process.exit(0);

/**
 * Stores SECONDS of each number's tier as one campaign per number, then starts the workers (so
 * storing the backlog does not compete with sending it), lets them send it all, and prints the figures.
 */
async function scenario(title: string, numbers: BenchNumber[]) {
  const backlog = numbers.reduce((sum, n) => sum + n.tier * SECONDS, 0);
  const loadStarted = Date.now();
  for (const n of numbers) {
    await services.campaigns.create(OPERATOR, {
      instanceId: n.instanceId, template: TEMPLATE,
      recipients: Array.from({ length: n.tier * SECONDS }, (_, i) => ({ to: recipient(), variables: [`Cliente ${i}`] })),
    });
  }
  const loaded = (Date.now() - loadStarted) / 1000;
  // What autovacuum would do after a bulk load in production (this machine runs PostgreSQL without it).
  await sql`analyze`;
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => spawnWorkerProcess(childEnv)));
  const started = Date.now();
  const probeIds: string[] = [];
  const probe = setInterval(() => {
    services.outbound.sendMessage(OPERATOR, { instanceId: chat.instanceId, to: recipient(), template: { ...TEMPLATE, variables: ['Ana'] } })
      .then((m) => probeIds.push(m.id), (e: Error) => console.error('probe:', e.message));
  }, 50);
  const acceptedNow = () => numbers.reduce((sum, n) => sum + (sim.stats().numbers[n.simId]?.accepted ?? 0), 0);
  while (acceptedNow() < backlog && Date.now() - started < (SECONDS * 8 + 120) * 1000) await new Promise((r) => setTimeout(r, 500));
  clearInterval(probe);
  const elapsed = (Date.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));

  // Figures, from the simulator's log.
  const stats = sim.stats().numbers;
  const rows = numbers.map((n) => {
    const log = sim.requests({ target: n.simId });
    const ts = log.filter((r) => r.outcome === 'accepted').map((r) => r.ts).sort((a, b) => a - b);
    // Sustained rate over the number's own busy span (backlogs drain at slightly different times).
    const rate = ts.length > 1 ? (ts.length - 1) / ((ts[ts.length - 1] - ts[0]) / 1000) : 0;
    return { tier: n.tier, ts, busiest: busiestWindow(log), rate, utilisation: rate / n.tier, refused: stats[n.simId].rejected['130429'] ?? 0 };
  });
  const allTs = rows.flatMap((r) => r.ts).sort((a, b) => a - b);
  // Aggregate over the first 90% of sends: the tail, where only the last numbers still send, is not the system's rate.
  const p90 = Math.floor(allTs.length * 0.9);
  const aggregate = p90 / ((allTs[p90] - allTs[0]) / 1000);
  const over = rows.filter((r) => r.busiest > r.tier).length;
  const [probeLatency] = probeIds.length === 0 ? [{ p50: NaN, p99: NaN, n: 0 }] : await sql`
    select percentile_cont(0.5) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p50,
           percentile_cont(0.99) within group (order by extract(epoch from sent_at - created_at)) * 1000 as p99, count(*)::int as n
    from messages where id in ${sql(probeIds)} and sent_at is not null`;
  const [{ unsent }] = await sql`select count(*)::int as unsent from messages where tenant_id = ${tenant.id} and campaign_id is not null and status in ('queued', 'sending')`;
  const byTier = [80, 1000].map((tier) => {
    const of = rows.filter((r) => r.tier === tier);
    if (of.length === 0) return '';
    const u = of.map((r) => r.utilisation).sort((a, b) => a - b);
    const b = of.map((r) => r.busiest);
    const spread = of.length > 1 ? `utilisation min ${pct(u[0])}, median ${pct(u[Math.floor(u.length / 2)])}, max ${pct(u[u.length - 1])}` : `sustained ${of[0].rate.toFixed(0)}/s, utilisation ${pct(u[0])}`;
    return `\n    tier ${tier} (${of.length}): busiest 1 s window ${Math.min(...b)}-${Math.max(...b)}, ${spread}`;
  }).join('');
  console.log(`
  ${title}: ${backlog.toLocaleString('en')} messages (stored in ${loaded.toFixed(1)} s), sent ${allTs.length.toLocaleString('en')} in ${elapsed.toFixed(1)} s, ${unsent} left unsent
    aggregate ${aggregate.toFixed(0)} sends/s; windows over the tier: ${over} of ${rows.length} numbers; 130429 refusals: ${rows.reduce((s, r) => s + r.refused, 0)}${byTier}
    queued → sent, replies on another number meanwhile (${probeLatency.n}): p50 ${Number(probeLatency.p50).toFixed(0)} ms, p99 ${Number(probeLatency.p99).toFixed(0)} ms`);
  return { aggregate, over, minUtilisation: Math.min(...rows.map((r) => r.utilisation)) };
}

/** Sends/s a bare Node HTTP client (its own process, keep-alive, 64 in flight) gets from the simulator. */
async function bareClient(url: string, numberIds: string[], token: string, ms: number): Promise<number> {
  const script = `
    const http = require('node:http');
    const [url, ids, token, ms] = [process.argv[1], process.argv[2].split(','), process.argv[3], Number(process.argv[4])];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    let ok = 0, i = 0; const end = Date.now() + ms;
    const one = () => new Promise((resolve) => {
      const n = i++;
      const body = JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: String(5511900000000 + n), type: 'template', template: { name: 'aviso', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] } });
      const req = http.request(url + '/v21.0/' + ids[n % ids.length] + '/messages', { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token } }, (res) => {
        res.resume(); res.on('end', () => { if (res.statusCode === 200) ok++; resolve(); });
      });
      req.on('error', resolve); req.end(body);
    });
    const loop = async () => { while (Date.now() < end) await one(); };
    const t0 = Date.now();
    Promise.all(Array.from({ length: 64 }, loop)).then(() => { console.log(String(ok / ((Date.now() - t0) / 1000))); agent.destroy(); });
  `;
  const child = spawn(process.execPath, ['-e', script, url, numberIds.join(','), token, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((resolve) => child.on('exit', resolve));
  return Number(out.trim());
}
