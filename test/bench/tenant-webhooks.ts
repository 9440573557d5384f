// Tenant webhooks benchmark: deliveries per second to a local receiver, signed, and event →
// delivered latency at 500 events/s. Goal: ≥ 2,000 deliveries/s, p99 ≤ 100 ms.
//
// One worker process (as `pnpm start` runs it) delivers; this process records the events (as a
// cause's transaction does: recordWebhookEvents, then enqueueDeliveries after the commit) and runs
// the receiver, an HTTP server answering 200 that verifies every signature. Postgres and Redis on
// the same machine. The baseline, in the same run: this process POSTing the same signed bodies
// straight to the same receiver over kept-alive connections (what the HTTP and signing alone
// cost here), at the same rate or as fast as it can.
//
// Env: BENCH_SECONDS (default 10), BENCH_RATE (events/s of the latency phase, default 500),
// BENCH_DATABASE_URL (default wabahub_bench_tenant_webhooks, dropped and recreated here).
import { randomBytes, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const GOAL_PER_SECOND = 2_000;
const GOAL_P99_MS = 100;
const CONTACTS = 1_000;
const PREFIX = `bench-twh-${randomBytes(4).toString('hex')}`;
process.env.WABAHUB_QUEUE_PREFIX = PREFIX;
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_bench_tenant_webhooks';
process.env.TEST_DATABASE_URL = url;

const { freshBenchDatabase } = await import('./_bench-db.js');
const { createCore } = await import('../../server/src/runtime.js');
const { OPERATOR } = await import('../../server/src/modules/auth/auth.viewer.js');
const { recordWebhookEvents } = await import('../../server/src/modules/tenant-webhooks/tenant-webhooks.events.js');
const { enqueueDeliveries } = await import('../../server/src/modules/tenant-webhooks/tenant-webhooks.jobs.js');
const { signatureHeader } = await import('../../server/src/modules/tenant-webhooks/tenant-webhooks.signing.js');
const { testEnv } = await import('../setup/test-env.js');
const { roleEnv, spawnRole } = await import('../setup/processes.js');
const { makeTenant } = await import('../factories/index.js');

await freshBenchDatabase(url);
// The same queue prefix as the worker's: this process enqueues the deliveries it records.
const env = testEnv({ WABAHUB_QUEUE_PREFIX: PREFIX });
const core = await createCore(env);
const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info' });

// The receiver: records when each delivery id first arrived, and checks the signature.
let secret = '';
const arrived = new Map<string, number>();
let badSignatures = 0;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.timeOrigin + performance.now();
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = String(req.headers['x-wabahub-signature'] ?? '');
    const t = /t=(\d+)/.exec(header)?.[1];
    const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
    if (!header.split(',').includes(`v1=${expected}`)) badSignatures++;
    const id = String(req.headers['x-wabahub-delivery']);
    if (!arrived.has(id)) arrived.set(id, at);
    res.writeHead(200).end('ok');
  });
});
receiver.keepAliveTimeout = 60_000;
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const worker = await spawnRole('worker', childEnv, 30_000);
const { tenant } = await makeTenant(core.services, `Bench ${PREFIX}`);
const created = await core.services.tenantWebhooks.create(OPERATOR, { tenantId: tenant.id, url: receiverUrl, events: ['message.received'] });
secret = created.secret;

let seq = 0;
const eventsOf = (n: number) => Array.from({ length: n }, () => {
  const i = seq++;
  return {
    tenantId: tenant.id, instanceId: null, type: 'message.received' as const, sourceKey: `bench:${PREFIX}:${i}`, lane: `contact-${i % CONTACTS}`,
    data: { messageId: `m${i}`, wamid: `wamid.BENCH.${i}`, contact: { waId: `5511${10_000_000 + (i % CONTACTS)}` }, type: 'text', text: 'Oi, tudo bem? Quero saber do meu pedido.' },
  };
});
/** Records events as a cause does (one transaction), then enqueues their deliveries; returns their event ids and when they committed. */
async function record(n: number): Promise<{ ids: string[]; at: number }> {
  const deliveries = await core.database.db.transaction((tx) => recordWebhookEvents(tx, eventsOf(n)));
  const at = performance.timeOrigin + performance.now();
  await enqueueDeliveries(core.queues['tenant-webhooks'], deliveries);
  const rows = await core.database.sql<{ event_id: string }[]>`select event_id from webhook_deliveries where id = any(${deliveries.map((d) => d.id)}::uuid[])`;
  return { ids: rows.map((r) => r.event_id), at };
}
async function until(done: () => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// Baseline: the same signed bodies POSTed straight from here, `concurrency` in flight.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function directPost(id: string): Promise<void> {
  const body = JSON.stringify({ id, type: 'message.received', createdAt: new Date().toISOString(), tenantId: tenant.id, data: eventsOf(1)[0].data });
  return new Promise((resolve, reject) => {
    const req = http.request(receiverUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-wabahub-delivery': id, 'x-wabahub-signature': signatureHeader([secret], Math.floor(Date.now() / 1000), body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

console.log(`tenant webhooks bench: 1 worker process (WEBHOOK_DELIVERY_CONCURRENCY ${env.WEBHOOK_DELIVERY_CONCURRENCY}), ${CONTACTS} contacts (lanes), receiver verifying every signature; ${SECONDS} s phases`);

// Warm-up: the worker's JIT and connections.
{
  const { ids } = await record(500);
  await until(() => ids.every((id) => arrived.has(id)), 60_000, 'the warm-up');
}

// 1. Throughput: a backlog of SECONDS × goal events, recorded at once, delivered as fast as the worker can.
{
  const total = GOAL_PER_SECOND * SECONDS;
  const ids: string[] = [];
  for (let i = 0; i < total; i += 1_000) ids.push(...(await record(Math.min(1_000, total - i))).ids);
  const start = Math.min(...ids.map((id) => arrived.get(id) ?? Infinity).filter(Number.isFinite), performance.timeOrigin + performance.now());
  await until(() => ids.every((id) => arrived.has(id)), 300_000, 'the backlog delivered');
  const end = Math.max(...ids.map((id) => arrived.get(id)!));
  const perSecond = ids.length / ((end - start) / 1000);
  const baseStart = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < total) await directPost(`baseline-${next++}-${PREFIX}`);
  }));
  const basePerSecond = total / ((performance.now() - baseStart) / 1000);
  console.log(`\nthroughput: ${ids.length} events recorded at once`);
  console.log(`  delivered by wabahub: ${perSecond.toFixed(0)} deliveries/s (goal ≥ ${GOAL_PER_SECOND}/s: ${perSecond >= GOAL_PER_SECOND ? 'met' : 'NOT met'})`);
  console.log(`  baseline, signed POSTs straight from the bench, 64 in flight: ${basePerSecond.toFixed(0)}/s`);
}

// 2. Latency at RATE events/s: each recorded in its own transaction, evenly paced.
{
  const total = RATE * SECONDS;
  const recorded: { id: string; at: number }[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(record(1).then(({ ids, at }) => void recorded.push({ id: ids[0], at })));
  }
  await Promise.all(pending);
  await until(() => recorded.every((r) => arrived.has(r.id)), 120_000, 'every event delivered');
  const latencies = recorded.map((r) => arrived.get(r.id)! - r.at);
  const p99 = quantile(latencies, 0.99);
  // Baseline: the same rate of signed POSTs straight from here, latency from sending to arrival.
  const base: number[] = [];
  const basePending: Promise<void>[] = [];
  const baseStart = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = baseStart + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const id = `baseline-latency-${i}-${PREFIX}`;
    const at = performance.timeOrigin + performance.now();
    basePending.push(directPost(id).then(() => void base.push(arrived.get(id)! - at)));
  }
  await Promise.all(basePending);
  console.log(`\nlatency: ${total} events at ${RATE}/s, each committed in its own transaction`);
  console.log(`  event committed → delivered: p50 ${quantile(latencies, 0.5).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  max ${Math.max(...latencies).toFixed(1)} ms (goal p99 ≤ ${GOAL_P99_MS} ms: ${p99 <= GOAL_P99_MS ? 'met' : 'NOT met'})`);
  console.log(`  baseline, signed POST straight from the bench → arrived: p50 ${quantile(base, 0.5).toFixed(1)} ms  p99 ${quantile(base, 0.99).toFixed(1)} ms`);
}

const [{ duplicates }] = await core.database.sql`select count(*)::int - count(distinct event_id)::int as duplicates from webhook_deliveries`;
console.log(`\nsignatures that did not verify: ${badSignatures}; deliveries of one event to the endpoint more than once: ${duplicates}`);
await worker.kill();
agent.destroy();
receiver.closeAllConnections();
receiver.close();
await core.close();
process.exit(badSignatures === 0 ? 0 : 1);
