import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, DEMO, type Simulator } from '@wabahub/meta-simulator';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, type RoleProcess } from '../setup/processes.js';
import { spawnWorkerProcess } from '../setup/outbound.js';
import { makeInstance, makeTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';

// The scenario: 1,000 customers each write a message that a rule answers, while the worker
// processes are SIGKILLed again and again (mid-evaluation, mid-record, mid-send). Once the
// system settles, the simulator's log (Meta's side) must show exactly one reply to each message:
// the run recorded under its (rule, message) key before acting, the reply queued under an
// idempotency key derived from it, and a send cut off mid-call recognised by its status.
const MESSAGES = Number(process.env.FAULT_AUTOMATION_MESSAGES ?? 1000);
let sim: Simulator;
let server: RunningServer;
let env: ReturnType<typeof testEnv>;
const workers: RoleProcess[] = [];

beforeAll(async () => {
  // Meta takes 40 ms to answer each send, as over the internet, so kills land mid-call too.
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

const childEnv = () => roleEnv(env, { NODE_ENV: 'test', SWEEP_INTERVAL_MS: '1000', SWEEP_AFTER_MS: '3000', LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'info' });
const everyWorker: RoleProcess[] = [];

describe('automation under faults', () => {
  it('answers every matching message exactly once while workers are SIGKILLed repeatedly', async () => {
    const services = server.core.services;
    const { tenant } = await makeTenant(services);
    const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
    const simNumber = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier: 1000 });
    const { instance } = await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: 1000 });
    await services.automation.create(OPERATOR, { instanceId: instance.id, name: 'Pedido', trigger: { type: 'keyword', keywords: ['pedido'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Recebemos seu pedido, {{contact.first_name}}.' }] });
    sim.setFault('*', { kind: 'slow', delayMs: 40, ratio: 1 });

    workers.push(...(await Promise.all([spawnWorkerProcess(childEnv()), spawnWorkerProcess(childEnv())])));
    everyWorker.push(...workers);
    const customers = Array.from({ length: MESSAGES }, () => uniqueE164().slice(1));
    let kills = 0;
    let writing = true;
    const starting: Promise<void>[] = [];
    // Every 600 ms a worker is SIGKILLed and replaced, while customers write and until 8 kills landed.
    const killer = (async () => {
      while (writing || kills < 8) {
        await new Promise((r) => setTimeout(r, 600));
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0];
        if (!victim) continue;
        await victim.kill('SIGKILL');
        kills++;
        starting.push(spawnWorkerProcess(childEnv()).then((w) => { workers.push(w); everyWorker.push(w); }));
      }
    })();
    let next = 0;
    const wamids: string[] = [];
    const writer = async () => {
      while (next < customers.length) {
        const from = customers[next++];
        const sent = await sim.sendInbound({ phoneNumberId: simNumber.id, from, name: 'Cliente Teste', text: 'Quero fazer um pedido' });
        wamids.push(sent.messageId);
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    writing = false;
    await killer;
    await Promise.all(starting);

    // Settle: every reply at Meta, or no progress for 30 s (stalled jobs, leases, sweeps).
    const replied = () => new Set(sim.messages({ phoneNumberId: simNumber.id }).map((m) => m.to)).size;
    let last = -1;
    let still = Date.now();
    while (replied() < customers.length && Date.now() - still < 30_000) {
      await new Promise((r) => setTimeout(r, 500));
      if (replied() !== last) {
        last = replied();
        still = Date.now();
      }
    }

    const perCustomer = new Map<string, number>();
    for (const m of sim.messages({ phoneNumberId: simNumber.id })) perCustomer.set(m.to, (perCustomer.get(m.to) ?? 0) + 1);
    const once = customers.filter((c) => perCustomer.get(c) === 1).length;
    const none = customers.filter((c) => !perCustomer.has(c)).length;
    const twice = customers.filter((c) => (perCustomer.get(c) ?? 0) > 1).length;
    const sql = server.core.database.sql;
    const [{ runs, done }] = await sql`select count(*)::int as runs, count(*) filter (where status = 'done')::int as done from rule_runs where instance_id = ${instance.id}`;
    const statuses = Object.fromEntries((await sql`select status, count(*)::int as n from messages where instance_id = ${instance.id} and direction = 'outbound' group by status`).map((r) => [r.status, r.n]));
    const events = Object.fromEntries((await sql`select state, count(*)::int as n from webhook_events where tenant_ids @> array[${tenant.id}]::uuid[] or state <> 'processed' group by state`).map((r) => [r.state, r.n]));
    const [{ inbound }] = await sql`select count(*)::int as inbound from messages where instance_id = ${instance.id} and direction = 'inbound'`;
    const errors = await sql`select error, count(*)::int as n from webhook_events where error is not null group by error limit 5`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync('/tmp/automation-fault-workers.log', everyWorker.map((w) => w.output()).join('\n=====\n'));
    console.log(`automation fault test: events by state ${JSON.stringify(events)}, ${inbound} inbound stored, errors ${JSON.stringify(errors)}`);
    console.log(`automation fault test: ${customers.length} customers wrote ${wamids.length} messages, ${kills} worker SIGKILLs; at Meta: ${once} replied once, ${none} not replied, ${twice} replied more than once; ${runs} runs (${done} done); replies by status ${JSON.stringify(statuses)}`);
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(twice).toBe(0);
    expect(runs).toBe(customers.length);
    expect(done).toBe(customers.length);
    expect(once).toBe(customers.length);
  });
});
