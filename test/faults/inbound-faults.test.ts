import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startServer, type RunningServer } from '../../server/src/runtime.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../setup/redis-control.js';
import { postWebhook } from '../setup/webhooks.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';

// The scenario: Meta delivers thousands of signed webhooks (10% redelivered byte for byte, some
// re-batched, statuses out of order) while the worker processes are SIGKILLed again and again and
// Redis restarts once, empty. Once the system settles, every acknowledged event must have been
// processed exactly once: 0 lost, 0 duplicated messages.
const EVENTS = Number(process.env.FAULT_EVENTS ?? 3000);
const SECRET = 'fault-secret';
const PREFIX = `test-faults-in-${randomBytes(4).toString('hex')}`;
let redis: PrivateRedis;
let env: ReturnType<typeof testEnv>;
let server: RunningServer;
const workers: RoleProcess[] = [];

beforeAll(async () => {
  // A Redis of this test's own: it is restarted empty below.
  redis = await startPrivateRedis();
  env = testEnv({ META_APP_SECRET: SECRET, REDIS_URL: redis.url, WABAHUB_QUEUE_PREFIX: PREFIX });
  server = await startServer(env, { host: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await redis?.stop();
});

const childEnv = () => roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, NODE_ENV: 'test', SWEEP_INTERVAL_MS: '1000', SWEEP_AFTER_MS: '3000' });

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

describe('inbound pipeline under faults', () => {
  it('processes every acknowledged event exactly once while workers are SIGKILLed and Redis restarts', async () => {
    const { tenant } = await makeTenant(server.core.services);
    const numbers = await Promise.all([0, 1, 2].map(async () => {
      const phoneNumberId = uniqueMetaId();
      const wabaId = uniqueMetaId();
      await makeInstance(server.core.services, tenant.id, { phoneNumberId, wabaId });
      return { phoneNumberId, wabaId };
    }));
    const run = randomBytes(4).toString('hex');
    const bodies: string[] = [];
    const wamids: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const n = numbers[i % numbers.length];
      const wamid = `wamid.FAULT.${run}.${i}`;
      wamids.push(wamid);
      const from = `55119${String(10_000_000 + (i % 500))}`;
      bodies.push(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: n.wabaId, changes: [inbound(n.phoneNumberId, n.wabaId, wamid, from, 1764040000 + i)] }] }));
    }
    // 10% duplicates: half redelivered byte for byte, half re-batched with another message.
    const deliveries = [...bodies];
    for (let i = 0; i < EVENTS / 10; i++) {
      const k = Math.floor(Math.random() * EVENTS);
      if (i % 2 === 0) deliveries.push(bodies[k]);
      else {
        const a = JSON.parse(bodies[k]);
        const b = JSON.parse(bodies[(k + 1) % EVENTS]);
        deliveries.push(JSON.stringify({ object: a.object, entry: [...b.entry, ...a.entry] }));
      }
    }
    // Some reordering: shuffle windows of 20 deliveries.
    for (let i = 0; i < deliveries.length; i += 20) {
      const slice = deliveries.slice(i, i + 20).sort(() => Math.random() - 0.5);
      deliveries.splice(i, slice.length, ...slice);
    }

    workers.push(await spawnRole('worker', childEnv()), await spawnRole('worker', childEnv()));
    let kills = 0;
    let sending = true;
    // A worker is SIGKILLed every 700 ms and replaced, while webhooks arrive and until at least
    // 6 kills have landed, so kills also hit workers in the middle of the backlog.
    const killer = (async () => {
      while (sending || kills < 6) {
        await new Promise((r) => setTimeout(r, 700));
        const victim = workers.shift();
        if (!victim) continue;
        await victim.kill('SIGKILL');
        kills++;
        workers.push(await spawnRole('worker', childEnv()));
      }
    })();

    let acknowledged = 0;
    let refused = 0;
    let next = 0;
    let redisRestarted = false;
    const sender = async () => {
      while (next < deliveries.length) {
        const i = next++;
        if (!redisRestarted && i >= deliveries.length / 2) {
          redisRestarted = true;
          await redis.restartEmpty();
        }
        const response = await postWebhook(server.url, deliveries[i], SECRET);
        if (response.status === 200) acknowledged++;
        else refused++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
    sending = false;
    await killer;

    // Settle: every stored event processed (sweeper and stalled-job recovery do the rest).
    const sql = server.core.database.sql;
    const deadline = Date.now() + 120_000;
    let unfinished = -1;
    while (Date.now() < deadline) {
      [{ n: unfinished }] = await sql`select count(*)::int as n from webhook_events where convert_from(raw_body, 'UTF8') like ${`%FAULT.${run}%`} and state <> 'processed'`;
      if (unfinished === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const rows = await sql`select wamid, count(*)::int as n from messages where wamid like ${`wamid.FAULT.${run}.%`} group by wamid`;
    const stored = new Set(rows.map((r) => r.wamid));
    const lost = wamids.filter((w) => !stored.has(w)).length;
    const duplicated = rows.filter((r) => r.n > 1).length;
    console.log(`inbound fault test: ${deliveries.length} deliveries (${EVENTS} unique messages), ${acknowledged} acknowledged, ${refused} refused, ${kills} worker SIGKILLs, Redis restarted once; after settling: ${unfinished} unfinished events, ${stored.size} messages stored, ${lost} lost, ${duplicated} duplicated`);
    expect(refused).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(6);
    expect(unfinished).toBe(0);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
  });
});
