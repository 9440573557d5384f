// Webhook ingest benchmark: signed, realistic, unique webhooks against POST /webhooks/whatsapp,
// and in the same run a bare Node `http` hello-world server on the same machine as the baseline.
// Then p99 at a fixed 1,000 req/s, and webhook → subscription latency with 200 sockets.
// Every 2xx must be a committed row: the bench counts them in Postgres afterwards.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { signPayload } from '../../server/src/meta/signature.js';
import { startServer } from '../../server/src/runtime.js';
import { testEnv } from '../setup/test-env.js';
import globalSetup from '../setup/global-setup.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const SECRET = 'bench-secret';
const PREFIX = `bench-ingest-${randomBytes(4).toString('hex')}`;
process.env.WABAHUB_QUEUE_PREFIX = PREFIX;

await globalSetup();
const env = testEnv({ META_APP_SECRET: SECRET });
const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', PORT: '0' });
const factory = await startServer({ ...env, PORT: 0 }, { host: '127.0.0.1' });
const run = randomBytes(4).toString('hex');

// 50 tenants, one number each: traffic is spread as it is for a real operator.
const tenants = await Promise.all(Array.from({ length: 50 }, async () => {
  const t = await makeTenant(factory.core.services);
  const phoneNumberId = uniqueMetaId();
  const wabaId = uniqueMetaId();
  await makeInstance(factory.core.services, t.tenant.id, { phoneNumberId, wabaId });
  return { ...t, phoneNumberId, wabaId };
}));

let sequence = 0;
/** A realistic inbound text webhook (the shape of ../shared/fixtures/webhooks/inbound-text.json), unique. */
function webhook(tag = ''): { body: string; signature: string; wamid: string } {
  const t = tenants[sequence % tenants.length];
  // 1,000 customers per tenant: one customer writing 20 times a second is not real traffic.
  const customer = String(5511900000000 + (Math.floor(sequence / tenants.length) % 1000));
  const wamid = `wamid.BENCH.${run}.${tag}${sequence++}.${Date.now()}`;
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: t.wabaId, changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: t.phoneNumberId },
      contacts: [{ profile: { name: 'Ana Souza' }, wa_id: customer }],
      messages: [{ from: customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Oi! Qual o horário de funcionamento?' } }],
    } }] }],
  });
  return { body, signature: signPayload(body, SECRET), wamid };
}

interface Figures { rps: number; p50: number; p99: number; non2xx: number; total: number }
async function load(url: string, opts: { method?: string; bodies?: boolean; rate?: number; duration?: number; connections?: number }): Promise<Figures> {
  const result = await autocannon({
    url, method: (opts.method ?? 'GET') as 'GET', connections: opts.connections ?? CONNECTIONS, duration: opts.duration ?? DURATION, overallRate: opts.rate,
    requests: opts.bodies ? [{ setupRequest: (req: any) => {
      const w = webhook();
      return { ...req, body: w.body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': w.signature } };
    } }] : undefined,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors + result.timeouts, total: result['2xx'] };
}

// Baseline: a bare Node http server answering "hello", in its own process like ours.
const bareProc = await spawnBare();
const bareFigures = await load(bareProc.url, {});
bareProc.kill();

const server = await spawnRole('server', childEnv);
const ingestFigures = await load(`${server.url}/webhooks/whatsapp`, { method: 'POST', bodies: true });
const [{ n: committed }] = await factory.core.database.sql`select count(*)::int as n from webhook_events where received_at > now() - interval '5 minutes' and convert_from(raw_body, 'UTF8') like ${`%BENCH.${run}.%`}`;

const fixed = await load(`${server.url}/webhooks/whatsapp`, { method: 'POST', bodies: true, rate: 1000, duration: 10, connections: 20 });

// Webhook → subscription latency: a fresh server and a worker on queues of their own (the ingest
// runs above left a backlog that is not this measurement's), 200 sockets watching (4 per tenant,
// each filtered to its tenant by the server), 1,000 events/s for 10 s.
await server.kill();
const latencyEnv = { ...childEnv, WABAHUB_QUEUE_PREFIX: `${PREFIX}-latency` };
const latencyServer = await spawnRole('server', latencyEnv);
const workers: RoleProcess[] = [await spawnRole('worker', latencyEnv)];
const latencies: number[] = [];
const sentAt = new Map<string, number>();
const clients = [];
let ready = 0;
for (let i = 0; i < 200; i++) {
  const t = tenants[i % tenants.length];
  const client = createClient({ url: latencyServer.url!.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${t.key}` }, lazy: false, retryAttempts: 0 });
  clients.push(client);
  client.subscribe({ query: 'subscription { webhookActivity { wamid } }' }, {
    next: (v) => {
      const wamid = (v.data as any)?.webhookActivity?.wamid as string | undefined;
      const t0 = wamid ? sentAt.get(wamid) : undefined;
      if (t0) latencies.push(performance.now() - t0);
    },
    error: () => {}, complete: () => {},
  });
  client.on('connected', () => { ready++; });
}
while (ready < 200) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 500));
const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
const latencyRun = 10_000;
const started = performance.now();
let posted = 0;
const inflight: Promise<void>[] = [];
while (performance.now() - started < latencyRun) {
  const due = Math.floor(((performance.now() - started) / 1000) * 1000);
  while (posted < due) {
    const w = webhook('lat');
    sentAt.set(w.wamid, performance.now());
    posted++;
    inflight.push(post(`${latencyServer.url}/webhooks/whatsapp`, w.body, w.signature, agent));
  }
  await new Promise((r) => setTimeout(r, 2));
}
await Promise.all(inflight);
await new Promise((r) => setTimeout(r, 3000));
const expected = posted * 4; // each event reaches its tenant's 4 sockets

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
console.log('\nwebhook ingest (POST /webhooks/whatsapp, signed unique webhooks, %d connections, %d s)', CONNECTIONS, DURATION);
console.log('  bare Node http hello-world: %s req/s  p50 %d ms  p99 %d ms', bareFigures.rps.toFixed(0), bareFigures.p50, bareFigures.p99);
console.log('  wabahub ingest:             %s req/s  p50 %d ms  p99 %d ms  (%d non-2xx)', ingestFigures.rps.toFixed(0), ingestFigures.p50, ingestFigures.p99, ingestFigures.non2xx);
console.log('  ratio: %s%% of the bare server (goal ≥ 25%%)', ((ingestFigures.rps / bareFigures.rps) * 100).toFixed(1));
console.log('  acknowledged 2xx: %d, committed rows: %d (%s)', ingestFigures.total + fixed.total, committed, committed >= ingestFigures.total ? 'every acknowledged event committed' : 'MISSING ROWS');
console.log('  at a fixed 1,000 req/s: p50 %d ms  p99 %d ms (goal p99 ≤ 20 ms)', fixed.p50, fixed.p99);
console.log('webhook → subscription (200 sockets, 4 per tenant, %d events at 1,000/s, 1 worker): delivered %d of %d, p50 %s ms  p99 %s ms (goal p99 ≤ 50 ms)',
  posted, latencies.length, expected, pct(latencies, 50).toFixed(1), pct(latencies, 99).toFixed(1));

await Promise.all(clients.map((c) => c.dispose()));
await Promise.all([...workers, latencyServer].map((p) => p.kill()));
await factory.close();
agent.destroy();
process.exit(0);

function post(url: string, body: string, signature: string, agent: http.Agent): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } }, (res) => { res.resume(); res.on('end', () => resolve()); });
    req.on('error', () => resolve());
    req.end(body);
  });
}

async function spawnBare(): Promise<{ url: string; kill: () => void }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('hello')).listen(0,'127.0.0.1',()=>console.log('port '+s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (d: Buffer) => { const m = /port (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); }));
  return { url: `http://127.0.0.1:${port}`, kill: () => child.kill() };
}
