import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startServer } from '../../server/src/runtime.js';
import { testEnv } from '../setup/test-env.js';
import { roleEnv, spawnRole, type RoleProcess } from '../setup/processes.js';
import { activityProbe, subscribeLive, type LiveSubscription } from '../setup/subscriptions.js';
import { FIXTURE_NUMBERS, FIXTURE_WABAS, loadFixture, postWebhook, uniqueTag } from '../setup/webhooks.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';

// setup(): two servers and two workers, each its own OS process, on one Postgres and one Redis.
// Sockets are held by server 1; webhooks are posted to server 2. Only Redis pub/sub links them.
// A socket counts as subscribed once a probe published on its channel came through (sync()).
const SECRET = 'two-process-secret';
const PREFIX = `test-subs-${randomBytes(4).toString('hex')}`;
const env = testEnv({ META_APP_SECRET: SECRET, WABAHUB_QUEUE_PREFIX: PREFIX });
let processes: RoleProcess[] = [];
let server1: RoleProcess;
let server2: RoleProcess;
let core: Awaited<ReturnType<typeof startServer>>;
const subscriptions: LiveSubscription<Activity>[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  const childEnv = roleEnv(env, { WABAHUB_QUEUE_PREFIX: PREFIX, PORT: '0', NODE_ENV: 'test' });
  processes = await Promise.all([spawnRole('server', childEnv), spawnRole('server', childEnv), spawnRole('worker', childEnv), spawnRole('worker', childEnv)]);
  [server1, server2] = processes;
  core = await startServer({ ...env, PORT: 0 }, { host: '127.0.0.1' }); // only for factories and probes
}, 60_000);
afterAll(async () => {
  await Promise.all([...subscriptions.map((s) => s.close()), ...clients.map((c) => c.dispose())]);
  await Promise.all(processes.map((p) => p.kill()));
  await core?.close();
});

interface Activity { kind: string; tenantId: string | null; phoneNumberId: string | null; summary: string; wamid: string | null }

/** A socket on `url` following webhookActivity, proven live by probes of `probeTenant` (one it sees). */
function subscribe(url: string, key: string, probeTenant: string, filter: Record<string, unknown> = {}) {
  const subscription = subscribeLive<Activity>(url, key, {
    query: `subscription($f: WebhookActivityFilter) { webhookActivity(filter: $f) { kind tenantId phoneNumberId summary wamid } }`, variables: { f: filter }, field: 'webhookActivity',
  }, activityProbe(core.core, probeTenant));
  subscriptions.push(subscription);
  return subscription;
}

describe('webhookActivity subscription', () => {
  it('delivers to a socket on server 1 the events ingested through server 2, filtered by tenant', async () => {
    const a = await makeTenant(core.core.services);
    const b = await makeTenant(core.core.services);
    const numberA = uniqueMetaId();
    const numberB = uniqueMetaId();
    await makeInstance(core.core.services, a.tenant.id, { phoneNumberId: numberA, wabaId: uniqueMetaId() });
    await makeInstance(core.core.services, b.tenant.id, { phoneNumberId: numberB, wabaId: uniqueMetaId() });

    const operator = subscribe(server1.url!, env.OPERATOR_API_KEY, a.tenant.id);
    const tenantA = subscribe(server1.url!, a.key, a.tenant.id);
    const onlyB = subscribe(server1.url!, env.OPERATOR_API_KEY, b.tenant.id, { tenantId: b.tenant.id });
    await Promise.all([operator.sync(), tenantA.sync(), onlyB.sync()]);

    const tagA = uniqueTag();
    const tagB = uniqueTag();
    expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: numberB }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag: tagB }), SECRET)).status).toBe(200);
    expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: numberA }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag: tagA }), SECRET)).status).toBe(200);

    await tenantA.until((r) => r.some((e) => e.wamid?.endsWith(tagA)), "tenant A's event on server 1");
    await operator.until((r) => r.filter((e) => e.wamid?.endsWith(tagA) || e.wamid?.endsWith(tagB)).length === 2, 'both events for the operator');
    await onlyB.until((r) => r.some((e) => e.wamid?.endsWith(tagB)), "B's event for the filtered subscription");

    // Both events are out; a probe published now reaches each socket after anything they carried.
    await Promise.all([tenantA.sync(), onlyB.sync()]);
    // Tenant A never received B's event; the tenant filter held even though A asked for nothing.
    expect(tenantA.received.map((e) => e.tenantId)).toEqual([a.tenant.id]);
    expect(onlyB.received.map((e) => e.tenantId)).toEqual([b.tenant.id]);
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
    const [a1, a2, b1] = [subscribe(server1.url!, a.key, a.tenant.id), subscribe(server1.url!, a.key, a.tenant.id), subscribe(server1.url!, b.key, b.tenant.id)];
    await Promise.all([a1.sync(), a2.sync(), b1.sync()]);
    const post = async (number: string) => {
      const tag = uniqueTag();
      expect((await postWebhook(server2.url!, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: number }, wabas: { [FIXTURE_WABAS.first]: uniqueMetaId() }, tag }), SECRET)).status).toBe(200);
      return tag;
    };

    const [tagA, tagB] = [await post(numberA), await post(numberB)];
    await Promise.all([a1, a2].map((s) => s.until((r) => r.some((e) => e.wamid?.endsWith(tagA)), "A's event on both of A's sockets")));
    await b1.until((r) => r.some((e) => e.wamid?.endsWith(tagB)), "B's event on B's socket");

    await a1.close(); // a1 leaves
    const tagA2 = await post(numberA);
    await a2.until((r) => r.some((e) => e.wamid?.endsWith(tagA2)), "A's next event on A's remaining socket");
    const tagB2 = await post(numberB);
    await b1.until((r) => r.some((e) => e.wamid?.endsWith(tagB2)), "B's second event");
    // Every event is out; a probe published now reaches each socket after anything they carried.
    await Promise.all([a2.sync(), b1.sync()]);
    expect(a2.received.map((e) => e.wamid)).toEqual([expect.stringMatching(tagA), expect.stringMatching(tagA2)]);
    expect(b1.received.map((e) => e.wamid)).toEqual([expect.stringMatching(tagB), expect.stringMatching(tagB2)]);
  });

  it('refuses a socket without a valid key', async () => {
    const closed = new Promise<number>((resolve) => {
      const client = createClient({ url: server1.url!.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer nope' }, lazy: false, retryAttempts: 0, on: { closed: (event) => resolve((event as { code: number }).code) } });
      clients.push(client);
    });
    expect(await closed).toBe(4403);
  });
});
