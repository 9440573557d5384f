import { randomBytes } from 'node:crypto';
import { startSimulator, DEMO, type Simulator, type RequestLogEntry } from '@wabahub/meta-simulator';
import { startServer, startWorker, type RunningServer, type RunningWorker } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import type { Env } from '../../server/src/config/env.js';
import { testEnv } from './test-env.js';
import { gqlOk } from './graphql-client.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';
import { spawnRole, type RoleProcess } from './processes.js';


// What outbound tests share: the Meta simulator playing Meta, a real server (GraphQL, and the
// webhook route the simulator's status callbacks reach) and a real worker, over the test Postgres
// and Redis, with a queue prefix of their own.

/** Templates every test WABA gets in the simulator, as Meta would list them. */
export const TEST_TEMPLATES = [
  { name: 'boas_vindas', language: 'pt_BR', status: 'APPROVED', body: 'Olá {{1}}! Seja bem-vindo(a). Como podemos ajudar hoje?' },
  { name: 'order_update', language: 'en_US', status: 'APPROVED', body: 'Hi {{1}}, your order {{2}} has been updated.' },
  { name: 'hello_world', language: 'en_US', status: 'APPROVED', body: 'Hello World!' },
  { name: 'promo_pausada', language: 'pt_BR', status: 'PAUSED', body: 'Promoção {{1}}' },
] as const;

export interface OutboundHarness {
  sim: Simulator;
  server: RunningServer & { operatorKey: string };
  worker: RunningWorker;
  env: Env;
  envOverrides: Record<string, string>;
  prefix: string;
  close(): Promise<void>;
}

export async function startOutboundHarness(name: string, options: { env?: Record<string, string>; sim?: Parameters<typeof startSimulator>[0]; worker?: boolean } = {}): Promise<OutboundHarness> {
  const prefix = `test-${name}-${randomBytes(4).toString('hex')}`;
  const sim = await startSimulator({ port: 0, quiet: true, ...options.sim });
  const envOverrides = {
    META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken, WABAHUB_QUEUE_PREFIX: prefix,
    // One key for both roles, as in production: what the server encrypts (a PIN), the worker reads.
    SECRETS_KEY: randomBytes(32).toString('base64'), ...options.env,
  };
  const env = testEnv(envOverrides);
  const server = Object.assign(await startServer(env, { host: '127.0.0.1' }), { operatorKey: env.OPERATOR_API_KEY });
  sim.configureApp({ webhookUrl: `${server.url}/webhooks/whatsapp` });
  const worker = await startWorker(testEnv(envOverrides));
  return {
    sim, server, worker, env, envOverrides, prefix,
    close: async () => {
      // Each step says when it is slow: a close that hangs names its part in the test's output.
      for (const [part, close] of [['worker', () => worker.close()], ['server', () => server.close()], ['simulator', () => sim.close()]] as const) {
        const started = Date.now();
        const slow = setInterval(() => console.warn(`[harness ${name}] ${part} still closing after ${Math.round((Date.now() - started) / 1000)} s`), 5_000);
        try {
          await close();
        } finally {
          clearInterval(slow);
        }
      }
    },
  };
}

/** A tenant with one instance on a fresh simulator WABA and number, its templates synced. */
export async function makeSender(h: OutboundHarness, options: { tier?: 20 | 80 | 1000 } = {}) {
  const services = h.server.core.services;
  const { tenant, key } = await makeTenant(services);
  const waba = h.sim.createWaba({ id: uniqueMetaId(), subscribed: true });
  const simNumber = h.sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), tier: options.tier ?? 80 });
  for (const t of TEST_TEMPLATES) {
    h.sim.core.addTemplate({ wabaId: waba.id, name: t.name, language: t.language, category: 'UTILITY', status: t.status, components: [{ type: 'BODY', text: t.body }] });
  }
  const { phoneNumber, instance } = await makeInstance(services, tenant.id, { phoneNumberId: simNumber.id, wabaId: waba.id, throughputTier: options.tier ?? 80 });
  await services.messageTemplates.sync(OPERATOR, phoneNumber.id);
  return { tenant, key, waba, simNumber, phoneNumber, instance };
}

export const SEND_MESSAGE = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id status type text wamid payload errorCode } }`;

export async function sendMessage(h: OutboundHarness, key: string, input: Record<string, unknown>) {
  return (await gqlOk(h.server.url, key, SEND_MESSAGE, { input })).sendMessage as { id: string; status: string; type: string; text: string | null };
}

/** The simulator's accepted sends of one message, told apart by the message id we put in biz_opaque_callback_data. */
export function acceptedFor(sim: Simulator, messageId: string): RequestLogEntry[] {
  return sim.requests().filter((r) => r.outcome === 'accepted' && (r.body as { biz_opaque_callback_data?: string })?.biz_opaque_callback_data === messageId);
}

/** Most accepted sends of one number within any sliding one-second window, recomputed from the log. */
export function busiestWindow(entries: RequestLogEntry[]): number {
  const ts = entries.filter((r) => r.outcome === 'accepted').map((r) => r.ts).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < ts.length; end++) {
    while (ts[end] - ts[start] >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

export async function messageRow(h: OutboundHarness, id: string) {
  const [row] = await h.server.core.database.sql`select * from messages where id = ${id}`;
  return row;
}

export async function attemptsOf(h: OutboundHarness, id: string) {
  return h.server.core.database.sql`select attempt, outcome, error_code, error_message, wamid, started_at, finished_at from message_attempts where message_id = ${id} order by attempt`;
}

/** Polls until the message reaches one of `statuses` (real pipeline: worker, simulator, webhooks). */
export async function waitForStatus(h: OutboundHarness, id: string, statuses: string[], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await messageRow(h, id);
    if (row && statuses.includes(row.status)) return row;
    if (Date.now() > deadline) throw new Error(`message ${id} is ${row?.status}, not ${statuses.join('/')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker as its own OS process (see spawnRole: one process, so a SIGKILL kills the worker itself). */
export function spawnWorkerProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<RoleProcess> {
  return spawnRole('worker', env, timeoutMs);
}

/** What Meta (the simulator) accepted from a sender's number to this customer, oldest first, as the customer reads it. */
export function repliesAtMeta(h: OutboundHarness, s: { simNumber: { id: string } }, customer: string): string[] {
  return h.sim.messages({ phoneNumberId: s.simNumber.id, to: customer }).sort((a, b) => a.acceptedAt - b.acceptedAt).map((m) => {
    const body = m.body as { text?: { body: string }; interactive?: { body?: { text?: string } }; template?: { name: string } };
    return body.text?.body ?? body.interactive?.body?.text ?? `template:${body.template?.name}`;
  });
}
