import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startServer } from '../../server/src/runtime.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { FIXTURE_NUMBERS, FIXTURE_WABAS, loadFixture, postWebhook, uniqueTag } from '../setup/webhooks.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';

// setup(): two servers and two workers, each its own OS process, on one Postgres and one Redis.
// Sockets are held by server 1; webhooks are posted to server 2. Only Redis pub/sub links them.
const SECRET = 'two-process-secret';
const PREFIX = `test-subs-${randomBytes(4).toString('hex')}`;
const env = testEnv({ META_APP_SECRET: SECRET, WABAHUB_QUEUE_PREFIX: PREFIX });
let processes: RoleProcess[] = [];
let server1: RoleProcess;
let server2: RoleProcess;
let core: Awaited<ReturnType<typeof startServer>>;
const clients: Client[] = [];

beforeAll(async () => {
  const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, PORT: '0', NODE_ENV: 'test' });
  processes = await Promise.all([spawnRole('server', childEnv), spawnRole('server', childEnv), spawnRole('worker', childEnv), spawnRole('worker', childEnv)]);
  [server1, server2] = processes;
  core = await startServer({ ...env, PORT: 0 }, { host: '127.0.0.1' }); // only for factories
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all(processes.map((p) => p.kill()));
  await core?.close();
});

function subscribe(url: string, key: string, filter: Record<string, unknown> = {}) {
  const received: any[] = [];
  const client = createClient({ url: url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, lazy: false, retryAttempts: 0 });
  clients.push(client);
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => { resolveReady = r; });
  client.on('connected', () => setTimeout(resolveReady, 200)); // the subscribe message follows the ack
  const errors: unknown[] = [];
  client.subscribe({ query: `subscription($f: WebhookActivityFilter) { webhookActivity(filter: $f) { kind tenantId phoneNumberId summary wamid } }`, variables: { f: filter } }, {
    next: (value) => received.push(value.data?.webhookActivity),
    error: (e) => errors.push(e),
    complete: () => {},
  });
  return { received, ready, errors };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhookActivity subscription', () => {
  it('delivers to a socket on server 1 the events ingested through server 2, filtered by tenant', async () => {
    const a = await makeTenant(core.core.services);
    const b = await makeTenant(core.core.services);
    const numberA = uniqueMetaId();
    const numberB = uniqueMetaId();
    await makeInstance(core.core.services, a.tenant.id, { phoneNumberId: numberA, wabaId: uniqueMetaId() });
    await makeInstance(core.core.services, b.tenant.id, { phoneNumberId: numberB, wabaId: uniqueMetaId() });

    const operator = subscribe(server1.url!, env.OPERATOR_API_KEY);
    const tenantA = subscribe(server1.url!, a.key);
    const onlyB = subscribe(server1.url!, env.OPERATOR_API_KEY, { tenantId: b.tenant.id });
    await Promise.all([operator.ready, tenantA.ready, onlyB.ready]);

    const tagA = uniqueTag();
    const tagB = uniqueTag();
    const sent = Date.now();
    expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: numberB }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag: tagB }), SECRET)).status).toBe(200);
    expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: numberA }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag: tagA }), SECRET)).status).toBe(200);

    await until(() => tenantA.received.some((e) => e.wamid?.endsWith(tagA)), "tenant A's event on server 1");
    await until(() => operator.received.filter((e) => e.wamid?.endsWith(tagA) || e.wamid?.endsWith(tagB)).length === 2, 'both events for the operator');
    await until(() => onlyB.received.some((e) => e.wamid?.endsWith(tagB)), "B's event for the filtered subscription");
    const latency = Date.now() - sent;
    expect(latency).toBeLessThan(10_000);

    // Tenant A never receives B's event; the tenant filter held even though A asked for nothing.
    expect(tenantA.received.every((e) => e.tenantId === a.tenant.id)).toBe(true);
    expect(onlyB.received.every((e) => e.tenantId === b.tenant.id)).toBe(true);
    expect(operator.received.find((e) => e.wamid?.endsWith(tagA))).toMatchObject({ kind: 'inbound_message', tenantId: a.tenant.id, phoneNumberId: numberA, summary: 'Oi! Qual o horário de funcionamento?' });
  });

  // Sockets of one tenant asking the same thing share one execution per event on the server.
  it('feeds every socket of a tenant, goes on when one of them leaves, and never mixes tenants that ask the same', async () => {
    const a = await makeTenant(core.core.services);
    const b = await makeTenant(core.core.services);
    const numberA = uniqueMetaId();
    const numberB = uniqueMetaId();
    await makeInstance(core.core.services, a.tenant.id, { phoneNumberId: numberA, wabaId: uniqueMetaId() });
    await makeInstance(core.core.services, b.tenant.id, { phoneNumberId: numberB, wabaId: uniqueMetaId() });
    const [a1, a2, b1] = [subscribe(server1.url!, a.key), subscribe(server1.url!, a.key), subscribe(server1.url!, b.key)];
    await Promise.all([a1.ready, a2.ready, b1.ready]);
    const post = async (number: string) => {
      const tag = uniqueTag();
      expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: number }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag }), SECRET)).status).toBe(200);
      return tag;
    };

    const [tagA, tagB] = [await post(numberA), await post(numberB)];
    await until(() => [a1, a2].every((s) => s.received.some((e) => e.wamid?.endsWith(tagA))), "A's event on both of A's sockets");
    await until(() => b1.received.some((e) => e.wamid?.endsWith(tagB)), "B's event on B's socket");

    await clients[clients.length - 3].dispose(); // a1 leaves
    const tagA2 = await post(numberA);
    await until(() => a2.received.some((e) => e.wamid?.endsWith(tagA2)), "A's next event on A's remaining socket");
    await post(numberB);
    await until(() => b1.received.length === 2, "B's second event");
    expect(a2.received.every((e) => e.tenantId === a.tenant.id)).toBe(true);
    expect(b1.received.every((e) => e.tenantId === b.tenant.id)).toBe(true);
    expect(a2.received.map((e) => e.wamid)).toEqual(expect.arrayContaining([expect.stringMatching(tagA), expect.stringMatching(tagA2)]));
  });

  it('refuses a socket without a valid key', async () => {
    const closed = new Promise<number>((resolve) => {
      const client = createClient({ url: server1.url!.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer nope' }, lazy: false, retryAttempts: 0, on: { closed: (event) => resolve((event as { code: number }).code) } });
      clients.push(client);
    });
    expect(await closed).toBe(4403);
  });
});
