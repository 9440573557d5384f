import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../setup/redis-control.js';
import { postWebhook } from '../setup/webhooks.js';
import { startWebhookReceiver, type WebhookReceiver } from '../setup/webhook-receiver.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';

// The scenario: customers write 2,000 messages (signed Meta webhooks into a real server) to a
// tenant whose endpoint subscribes to message.received, while the worker processes, which both
// process the inbound events and deliver the tenant's webhooks, are SIGKILLed again and again
// and Redis restarts once, empty; the receiver also answers 2% of requests 503. Once the system
// settles, every message must have reached the receiver at least once, and deduplicated by
// X-Wabahub-Delivery exactly once: 0 lost.
const EVENTS = Number(process.env.FAULT_EVENTS ?? 2000);
const SECRET = 'fault-secret';
const PREFIX = `test-faults-twh-${randomBytes(4).toString('hex')}`;
let redis: PrivateRedis;
let env: ReturnType<typeof testEnv>;
let server: RunningServer;
let receiver: WebhookReceiver;
const workers: RoleProcess[] = [];

beforeAll(async () => {
  // A Redis of this test's own: it is restarted empty below.
  redis = await startPrivateRedis();
  env = testEnv({ META_APP_SECRET: SECRET, REDIS_URL: redis.url, WABAHUB_QUEUE_PREFIX: PREFIX });
  server = await startServer(env, { host: '127.0.0.1' });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await receiver?.close();
  await redis?.stop();
});

const childEnv = () => roleEnv(env, {
  WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '1000', SWEEP_AFTER_MS: '2000',
  // A killed worker's claims lapse after timeout + 5 s; quick retries of the receiver's 503s.
  WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_RETRY_BASE_MS: '300',
});

function inbound(phoneNumberId: string, wabaId: string, wamid: string, from: string, ts: number) {
  return {
    field: 'messages',
    value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId },
      contacts: [{ profile: { name: 'Cliente' }, wa_id: from }],
      messages: [{ from, id: wamid, timestamp: String(ts), type: 'text', text: { body: `msg ${wamid}` } }],
    },
  };
}

describe('tenant webhooks under faults', () => {
  it('delivers every event at least once (exactly once after the receiver dedups) while workers are SIGKILLed and Redis restarts empty', async () => {
    const { tenant } = await makeTenant(server.core.services);
    const numbers = await Promise.all([0, 1].map(async () => {
      const phoneNumberId = uniqueMetaId();
      const wabaId = uniqueMetaId();
      await makeInstance(server.core.services, tenant.id, { phoneNumberId, wabaId });
      return { phoneNumberId, wabaId };
    }));
    const { row: endpoint } = await server.core.services.tenantWebhooks.create(OPERATOR, { tenantId: tenant.id, url: `${receiver.url}/faults`, events: ['message.received'] });
    let answered = 0;
    receiver.answer = () => (++answered % 50 === 0 ? { status: 503, body: 'flaky' } : { status: 200, body: 'ok' });

    const run = randomBytes(4).toString('hex');
    const wamids: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const n = numbers[i % numbers.length];
      const wamid = `wamid.TWH.${run}.${i}`;
      wamids.push(wamid);
      // 300 customers: deliveries of one customer's messages go in order, so lanes matter.
      const from = `55119${String(20_000_000 + (i % 300))}`;
      bodies.push(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: n.wabaId, changes: [inbound(n.phoneNumberId, n.wabaId, wamid, from, 1764040000 + i)] }] }));
    }

    workers.push(await spawnRole('worker', childEnv(), 60_000), await spawnRole('worker', childEnv(), 60_000));
    let kills = 0;
    let sending = true;
    const started = Date.now();
    const starting: Promise<void>[] = [];
    // A running worker is SIGKILLed every second and a replacement started (not waited for), while
    // webhooks arrive and until 5 kills have landed, so kills hit workers in the middle of
    // processing and of delivering.
    const killer = (async () => {
      while (sending || kills < 5) {
        await new Promise((r) => setTimeout(r, 1_000));
        const victim = workers.shift();
        if (!victim) continue;
        await victim.kill('SIGKILL');
        kills++;
        starting.push(spawnRole('worker', childEnv(), 60_000).then((w) => void workers.push(w)));
      }
    })();

    let acknowledged = 0;
    let next = 0;
    let redisRestarted = false;
    const sender = async () => {
      while (next < bodies.length) {
        const i = next++;
        if (!redisRestarted && i >= bodies.length / 2) {
          redisRestarted = true;
          await redis.restartEmpty();
        }
        const response = await postWebhook(server.url, bodies[i], SECRET);
        if (response.status === 200) acknowledged++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    sending = false;
    const postedMs = Date.now() - started;
    await killer;
    await Promise.all(starting);

    // Settle: every message's delivery received (the sweeps and lapsed claims do the rest).
    const expected = new Set(wamids);
    const receivedWamids = () => new Set(receiver.at('/faults').filter((r) => r.headers['x-wabahub-signature']).map((r) => String(r.body.data?.wamid)));
    const deadline = Date.now() + 50_000;
    while (Date.now() < deadline) {
      const got = receivedWamids();
      if ([...expected].every((w) => got.has(w))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // A worker killed after its POST but before recording the answer leaves that delivery
    // `delivering` until its claim lapses; the sweep then delivers it again and records it.
    const sql = server.core.database.sql;
    while (Date.now() < deadline + 20_000) {
      const [{ open }] = await sql`select count(*)::int as open from webhook_deliveries where endpoint_id = ${endpoint.id} and status <> 'succeeded'`;
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const requests = receiver.at('/faults');
    const ok = requests.filter((r) => r.body.type === 'message.received');
    const deliveryIds = new Set(ok.map((r) => String(r.headers['x-wabahub-delivery'])));
    const got = receivedWamids();
    const lost = wamids.filter((w) => !got.has(w)).length;
    const [{ events, deliveries, succeeded }] = await sql`
      select (select count(*)::int from tenant_webhook_events where tenant_id = ${tenant.id}) as events,
             (select count(*)::int from webhook_deliveries where endpoint_id = ${endpoint.id}) as deliveries,
             (select count(*)::int from webhook_deliveries where endpoint_id = ${endpoint.id} and status = 'succeeded') as succeeded`;
    // Exactly once after dedup: one delivery id per message, and one message per delivery id.
    const idsPerWamid = new Map<string, Set<string>>();
    for (const r of ok) {
      const w = String(r.body.data.wamid);
      if (!idsPerWamid.has(w)) idsPerWamid.set(w, new Set());
      idsPerWamid.get(w)!.add(String(r.headers['x-wabahub-delivery']));
    }
    const ambiguous = [...idsPerWamid.values()].filter((ids) => ids.size !== 1).length;
    console.log(`tenant webhooks fault test: ${EVENTS} messages posted in ${(postedMs / 1000).toFixed(1)} s, settled after ${((Date.now() - started) / 1000).toFixed(1)} s, ${acknowledged} acknowledged, ${kills} worker SIGKILLs, Redis restarted once empty; ` +
      `${events} events in the outbox, ${deliveries} deliveries (${succeeded} succeeded); the receiver got ${requests.length} requests (${requests.length - ok.length} non-events), ` +
      `${deliveryIds.size} distinct delivery ids after dedup, ${got.size} distinct messages, ${requests.length - deliveryIds.size} duplicates or retried requests dropped by dedup, ${lost} lost`);
    expect(acknowledged).toBe(EVENTS);
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(lost).toBe(0);
    expect(deliveryIds.size).toBe(EVENTS);
    expect(ambiguous).toBe(0);
    expect(events).toBe(EVENTS);
    expect(succeeded).toBe(EVENTS);
  });
});
