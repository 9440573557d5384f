import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, DEMO, type RequestLogEntry, type Simulator } from '@wabahub/meta-simulator';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, type RoleProcess } from '../setup/processes.js';
import { spawnWorkerProcess } from '../setup/outbound.js';
import { gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeRuleTemplate } from '../factories/index.js';
import { SUBMIT_CODE, readRun, smsCode, startQuickSetup, stateChangingCalls, typedBrazilianNumber } from '../setup/onboarding.js';

// The scenario: one client onboarded by quick setup (a number Meta does not know, added to an
// operator WABA that has not subscribed our app yet, so every state-changing call is needed),
// while the worker process is SIGKILLed at each step in turn: mid-call for the state-changing Meta
// calls (killed as the request reaches Meta, which still carries it out, as Meta would for a
// client that vanished), while the step runs for the others. Each time a new worker takes the run
// back. The run must finish, and Meta's log must show add number, request code, register and
// subscribe each made exactly once.
// setup(): the simulator and the server in this process, Meta answering every call after 250 ms
// (so kills land mid-call); workers are real child processes, one at a time, SIGKILLed.

let sim: Simulator;
let server: RunningServer;
let env: ReturnType<typeof testEnv>;
const workers: RoleProcess[] = [];
const everyWorker: RoleProcess[] = [];
const starting: Promise<void>[] = [];
const wabaId = `7${Date.now()}`.slice(0, 15);
const exec = promisify(execFile);
const STANDBY = 3;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, quiet: true, pairRateWindowMs: 0, templateReviewDelayMs: 20 });
  // The operator's WABA: owned by the demo business, granted to the system user, not yet subscribed.
  sim.createWaba({ id: wabaId, name: 'Operador', subscribed: false });
  env = testEnv({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken, META_OPERATOR_WABA_ID: wabaId });
  server = await startServer(env, { host: '127.0.0.1' });
  sim.configureApp({ webhookUrl: `${server.url}/webhooks/whatsapp` });
  // Standby workers: a worker takes seconds to start on a loaded machine, kills come faster.
  await Promise.all(Array.from({ length: STANDBY }, () => startWorker()));
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(starting);
  const { writeFileSync } = await import('node:fs');
  writeFileSync('/tmp/onboarding-fault-workers.log', everyWorker.map((w) => `pid ${w.child.pid}\n${w.output()}`).join('\n=====\n'));
  await Promise.all(everyWorker.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await sim?.close();
});

const childEnv = () => roleEnv(env, { NODE_ENV: 'test', SWEEP_INTERVAL_MS: '1000', SWEEP_AFTER_MS: '3000', LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'info' });
async function startWorker() {
  const worker = await spawnWorkerProcess(childEnv(), 60_000);
  workers.push(worker);
  everyWorker.push(worker);
}

/**
 * The worker process advancing the run: the one whose Postgres connection holds the run's
 * advisory lock (onboarding.runner.ts), found by that connection's client port.
 */
async function holderOf(sql: RunningServer['core']['database']['sql']): Promise<RoleProcess | undefined> {
  const rows = await sql`select a.client_port from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and a.query like '%advisory_xact_lock(hashtext(''onboarding'')%'`;
  for (const { client_port: port } of rows) {
    const { stdout } = await exec('ss', ['-tnpH', `sport = :${port}`]);
    const pid = Number(/pid=(\d+)/.exec(stdout)?.[1]);
    const worker = workers.find((w) => w.child.pid === pid);
    if (worker) return worker;
  }
  return undefined;
}

/** The state-changing call each step makes (the kill waits for it to reach Meta). */
const CALL_OF: Record<string, string> = { add_number: '/phone_numbers', request_code: '/request_code', register: '/register', subscribe_app: '/subscribed_apps' };

describe('onboarding under faults', () => {
  it('finishes a run whose worker is SIGKILLed at each step in turn, each state-changing Meta call made once', async () => {
    const template = await makeRuleTemplate(server.core.services);
    const { typed, digits } = typedBrazilianNumber();
    sim.setFault('*', { kind: 'slow', delayMs: 300, ratio: 1 });
    const sql = server.core.database.sql;
    const key = env.OPERATOR_API_KEY;
    const run = await startQuickSetup(server.url, key, { businessName: 'Mercearia Resistente', phoneNumber: typed, country: 'BR', ruleTemplateId: template.id });
    const notYet = new Set(run.steps.map((x) => x.name));
    const killedAt: string[] = [];
    let kills = Promise.resolve();

    /** Kills the worker advancing the run (once per step), and starts another for the next kill. */
    const killFor = (step: string, moment: string) => {
      if (!notYet.delete(step)) return;
      // Mid-call, the worker last seen holding the run is killed at once (Meta holds the call 300 ms).
      const seen = moment.endsWith('(mid-call)') && lastHolder && workers.includes(lastHolder) ? lastHolder : undefined;
      if (seen) seen.child.kill('SIGKILL');
      kills = kills.then(async () => {
        const holder = seen ?? await eventually(() => holderOf(sql), `the worker running ${step}`, 3_000, 10).catch(() => undefined);
        if (!holder) return; // the step ended before the kill could land
        await holder.kill('SIGKILL');
        workers.splice(workers.indexOf(holder), 1);
        killedAt.push(moment);
        // The other worker takes the run back once the killed one's job lapses; a new one starts meanwhile.
        starting.push(startWorker());
      });
    };
    // Who holds the run, kept fresh, so a kill at a call's arrival needs no lookup.
    let lastHolder: RoleProcess | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        lastHolder = (await holderOf(sql).catch(() => undefined)) ?? lastHolder;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    // State-changing calls: killed as the request reaches Meta (which still carries it out).
    const onArrival = (entry: RequestLogEntry) => {
      const step = Object.keys(CALL_OF).find((name) => entry.method === 'POST' && entry.path.endsWith(CALL_OF[name]));
      if (step) killFor(step, `${step} (mid-call)`);
    };
    sim.on('arrival', onArrival);
    // Other steps: killed while they run.
    const poll = setInterval(() => {
      void sql`select name from onboarding_steps where run_id = ${run.id} and state = 'running'`.then((rows) => {
        for (const { name } of rows) if (!CALL_OF[name]) killFor(name, name);
      }, () => {});
    }, 15);

    let submitted = false;
    const done = await eventually(async () => {
      const r = await readRun(server.url, key, run.id);
      // The client types the code Meta texted (once the run waits for it).
      if (r.state === 'waiting_for_code' && !submitted && sim.sms(digits).length > 0) {
        submitted = true;
        await gqlOk(server.url, key, SUBMIT_CODE, { runId: run.id, code: smsCode(sim, digits) });
      }
      return ['succeeded', 'failed'].includes(r.state) && r;
    }, 'the run ends', 75_000, 100).finally(() => {
      clearInterval(poll);
      watching = false;
      sim.off('arrival', onArrival as never);
    });
    await kills;
    await watcher;
    const calls = stateChangingCalls(sim, { wabaId, phoneNumberId: done.metaPhoneNumberId });
    console.log(`onboarding fault test: ${killedAt.length} SIGKILLs, at ${killedAt.join(', ')}; run ${done.state}; steps ${done.steps.map((x) => `${x.name}:${x.state}×${x.attempts}`).join(' ')}; Meta calls ${JSON.stringify(calls)}`);
    expect(done.state).toBe('succeeded');
    expect(killedAt.filter((k) => k.endsWith('(mid-call)')).sort()).toEqual(['add_number (mid-call)', 'register (mid-call)', 'request_code (mid-call)', 'subscribe_app (mid-call)']);
    expect(killedAt.length).toBeGreaterThanOrEqual(7);
    expect(calls).toMatchObject({ addNumber: { all: 1, ok: 1 }, requestCode: { all: 1, ok: 1 }, register: { all: 1, ok: 1 }, subscribe: { all: 1, ok: 1 } });
    const [{ tenants }] = await sql`select count(*)::int as tenants from tenants where name = 'Mercearia Resistente'`;
    expect(tenants).toBe(1);
  }, 90_000);
});
