// Automation benchmark: customers write to 10 numbers at 300 messages/s for 10 s; every number has
// a rule that answers every message. Measured from the simulator (Meta) delivering the inbound
// webhook to the simulator receiving our reply, for every message, with the CPU each process
// spent per replied message, and every message replied exactly once.
//
// The baseline, in the same run, is the same traffic to 10 numbers without rules: what a message
// costs before automation (webhook → stored, processed), so the difference is what rules add.
// One server process and one worker process (as `pnpm start` runs them), the simulator and the
// load in this process, Postgres and Redis on the same 2-core machine. Each phase is preceded by
// WARMUP_SECONDS of the same traffic (not counted), so that no phase is measured while its JIT is
// still compiling.
//
// Env: BENCH_SECONDS (default 10), BENCH_RATE (messages/s, default 300), BENCH_DATABASE_URL
// (default wabahub_bench_automation, dropped and recreated here), BENCH_CPU_PROFILE=dir (the
// server and worker write V8 CPU profiles there when they exit).
import { randomBytes } from 'node:crypto';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const WARMUP_SECONDS = 3;
const NUMBERS = 10;
const GOAL_P99_MS = 150;
const PREFIX = `bench-automation-${randomBytes(4).toString('hex')}`;
process.env.WABAHUB_QUEUE_PREFIX = PREFIX;
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_bench_automation';
process.env.TEST_DATABASE_URL = url;

const { startSimulator, DEMO } = await import('@wabahub/meta-simulator');
const { freshBenchDatabase } = await import('./_bench-db.js');
const { cpuByProcess, machineCpu, machineCpuFigures, postgresBackends, processCpu } = await import('./_cpu.js');
const { createCore } = await import('../../server/src/runtime.js');
const { OPERATOR } = await import('../../server/src/modules/auth/auth.viewer.js');
const { testEnv } = await import('../setup/test-env.js');
const { roleEnv, spawnRole } = await import('../setup/processes.js');
const { makeInstance, makeTenant, uniqueMetaId } = await import('../factories/index.js');

await freshBenchDatabase(url);
// Meta's own pacing per customer is off (each message has a customer of its own anyway); status
// callbacks stay on, as Meta sends them: sent, delivered and read for every reply.
const sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0 });
const env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken });
const core = await createCore(env);
const sql = core.database.sql;
const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', PORT: '0' });
const nodeArgs = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
const server = await spawnRole('server', childEnv, 30_000, nodeArgs);
const worker = await spawnRole('worker', childEnv, 30_000, nodeArgs);
sim.configureApp({ webhookUrl: `${server.url}/webhooks/whatsapp` });

const { tenant } = await makeTenant(core.services, `Bench ${PREFIX}`);
/** `NUMBERS` numbers with instances; with `withRule`, each answers every message. */
async function numbers(withRule: boolean): Promise<string[]> {
  const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
  const ids: string[] = [];
  for (let i = 0; i < NUMBERS; i++) {
    const simNumber = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier: 1000 });
    const { instance } = await makeInstance(core.services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: 1000 });
    if (withRule) {
      await core.services.automation.create(OPERATOR, {
        instanceId: instance.id, name: 'Answer everything', trigger: { type: 'any_message' }, conditions: [], actions: [{ type: 'reply_text', text: 'Recebemos sua mensagem, já respondemos!' }],
      } as never);
    }
    ids.push(simNumber.id);
  }
  return ids;
}
const plain = await numbers(false);
const ruled = await numbers(true);

let customerSeq = 0;
interface Sent { number: string; customer: string; wamid: string; at: number }
/** Customers write at RATE/s for `seconds`, evenly paced, each message from a new customer. */
async function traffic(to: string[], seconds: number): Promise<Sent[]> {
  const total = Math.round(RATE * seconds);
  const sent: Sent[] = [];
  const deliveries: Promise<unknown>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const number = to[i % to.length];
    const customer = `55119${String(10_000_000 + customerSeq++).padStart(8, '0')}`;
    const at = performance.timeOrigin + performance.now();
    deliveries.push(sim.sendInbound({ phoneNumberId: number, from: customer, text: 'Oi, tudo bem?', name: 'Cliente' }).then((r) => sent.push({ number, customer, wamid: r.messageId, at })));
  }
  await Promise.all(deliveries);
  return sent;
}

/** Resolves when `done()` holds, checking every 100 ms; throws after `ms`. */
async function until(done: () => Promise<boolean> | boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** When each inbound message was stored (ms since the epoch), by wamid. */
async function storedAt(sent: Sent[]): Promise<Map<string, number>> {
  const rows = await sql<{ wamid: string; at: number }[]>`select wamid, extract(epoch from created_at) * 1000 as at from messages where direction = 'inbound' and wamid = any(${sent.map((s) => s.wamid)})`;
  return new Map(rows.map((r) => [r.wamid, Number(r.at)]));
}
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (x: number) => x.toFixed(0);
const roles = () => ({ server: server.child.pid!, worker: worker.child.pid!, 'bench (simulator and customers)': process.pid });

async function phase(label: string, to: string[], withRule: boolean) {
  await traffic(to, WARMUP_SECONDS);
  await until(async () => (await sql`select count(*)::int as n from webhook_events where state <> 'processed'`)[0].n === 0, 60_000, 'the warm-up to drain');
  if (withRule) await until(async () => (await sql`select count(*)::int as n from messages where direction = 'outbound' and status in ('queued', 'sending')`)[0].n === 0, 60_000, 'warm-up replies');
  const cpuBefore = machineCpu();
  const procBefore = processCpu();
  const sent = await traffic(to, SECONDS);
  const replies = (s: Sent) => sim.messages({ phoneNumberId: s.number, to: s.customer });
  if (withRule) await until(() => sent.every((s) => replies(s).length > 0), 120_000, 'every reply');
  else await until(async () => (await storedAt(sent)).size === sent.length, 120_000, 'every message stored');
  const cpuAfter = machineCpu();
  const procAfter = processCpu();
  const backends = await postgresBackends(sql);
  const stored = await storedAt(sent);
  const toStored = sent.map((s) => stored.get(s.wamid)! - s.at);
  console.log(`\n${label}: ${sent.length} messages at ${RATE}/s to ${to.length} numbers`);
  console.log(`  webhook → stored and processed: p50 ${ms(quantile(toStored, 0.5))} ms  p99 ${ms(quantile(toStored, 0.99))} ms`);
  if (withRule) {
    // A moment more, so that a second reply (a bug) would have had time to arrive.
    await new Promise((r) => setTimeout(r, 2_000));
    const counts = sent.map((s) => replies(s).length);
    const once = counts.filter((n) => n === 1).length;
    const toReply = sent.map((s) => replies(s)[0].acceptedAt - s.at);
    const p99 = quantile(toReply, 0.99);
    console.log(`  webhook → reply at Meta:       p50 ${ms(quantile(toReply, 0.5))} ms  p99 ${ms(p99)} ms  max ${ms(Math.max(...toReply))} ms  (goal p99 ≤ ${GOAL_P99_MS} ms: ${p99 <= GOAL_P99_MS ? 'met' : 'NOT met'})`);
    console.log(`  replied exactly once: ${once} of ${sent.length}${once === sent.length ? '' : ` (more than once: ${counts.filter((n) => n > 1).length})`}`);
  }
  const [busy, perMessage] = machineCpuFigures(cpuBefore, cpuAfter, sent.length);
  console.log(`  machine: ${busy}% of both cores busy, ${perMessage} µs of CPU per message; by process (µs per message): ${cpuByProcess(procBefore, procAfter, roles(), sent.length, backends)}`);
  return withRule ? sent.filter((s) => replies(s).length !== 1).length : 0;
}

console.log(`automation bench: 1 server + 1 worker process, ${NUMBERS} numbers per phase, ${RATE} messages/s for ${SECONDS} s (after ${WARMUP_SECONDS} s of warm-up)`);
await phase('baseline, no rules', plain, false);
const wrong = await phase('a rule answering every message', ruled, true);

await worker.kill();
await server.kill();
await core.close();
await sim.close();
// Exactly once is a correctness result, not a figure: the bench fails when it does not hold.
process.exit(wrong === 0 ? 0 : 1);
