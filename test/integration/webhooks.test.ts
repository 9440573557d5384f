import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startWorker, type RunningWorker } from '../../server/src/runtime.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { startTestServer } from '../setup/server.js';
import { testEnv } from '../setup/test-env.js';
import { eventually, FIXTURE_NUMBERS, FIXTURE_WABAS, loadFixture, postWebhook, uniqueTag } from '../setup/webhooks.js';
import { makeInstance, makeTenant, uniqueMetaId } from '../factories/index.js';
import { processWebhookEvents } from '../../server/src/modules/webhooks/webhooks.processor.js';
import { bodyHash, StorageUnavailable, WebhookIngest } from '../../server/src/modules/webhooks/webhook-ingest.js';
import { startTcpProxy } from '../setup/tcp-proxy.js';

// Drizzle's postgres.js client returns timestamps as strings, hence new Date(...) below.
// setup(): a real server and a real worker on the test Postgres and Redis, with a queue prefix of
// their own; webhooks are posted over HTTP, signed as Meta signs them.
const SECRET = 'test-app-secret';
let server: Awaited<ReturnType<typeof startTestServer>>;
let worker: RunningWorker;

beforeAll(async () => {
  server = await startTestServer({ META_APP_SECRET: SECRET, META_VERIFY_TOKEN: 'verify-me' });
  worker = await startWorker(testEnv({ META_APP_SECRET: SECRET }), { sweepIntervalMs: 500, sweepOlderThanMs: 1_000 });
});
afterAll(async () => {
  await worker?.close();
  await server?.close();
});

/** A tenant owning fresh copies of both fixture numbers, and the rewrite that points fixtures at them. */
async function routedTenant() {
  const { tenant, key } = await makeTenant(server.core.services);
  const first = uniqueMetaId();
  const second = uniqueMetaId();
  const wabaFirst = uniqueMetaId();
  const wabaSecond = uniqueMetaId();
  const a = await makeInstance(server.core.services, tenant.id, { phoneNumberId: first, wabaId: wabaFirst });
  const b = await makeInstance(server.core.services, tenant.id, { phoneNumberId: second, wabaId: wabaSecond });
  const rewrite = { numbers: { [FIXTURE_NUMBERS.first]: first, [FIXTURE_NUMBERS.second]: second }, wabas: { [FIXTURE_WABAS.first]: wabaFirst, [FIXTURE_WABAS.second]: wabaSecond }, tag: uniqueTag() };
  return { tenant, key, rewrite, numbers: { first: a, second: b } };
}

const sql = () => server.core.database.sql;
async function eventState(id: number) {
  const [row] = await sql()`select state, error, tenant_ids from webhook_events where id = ${id}`;
  return row;
}
const processed = (id: number) => eventually(async () => ((await eventState(id))?.state === 'processed' ? eventState(id) : null), `event ${id} processed`);

describe('POST /webhooks/whatsapp', () => {
  describe('verification handshake', () => {
    it('echoes the challenge for the right verify token and refuses a wrong one', async () => {
      const ok = await fetch(`${server.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('1158201444');
      const bad = await fetch(`${server.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
      expect(bad.status).toBe(403);
    });
  });

  describe('fixtures', () => {
    it('stores an inbound text, its contact, and opens the 24-hour window', async () => {
      const { tenant, rewrite, numbers } = await routedTenant();
      const body = loadFixture('inbound-text', rewrite);
      const response = await postWebhook(server.url, body, SECRET);
      expect(response.status).toBe(200);
      const event = await processed(response.body.webhookEventId);
      expect(event.tenant_ids).toEqual([tenant.id]);
      const [message] = await sql()`select m.*, c.wa_id, c.name, c.last_inbound_at from messages m join contacts c on c.id = m.contact_id where m.wamid like ${`%${rewrite.tag}`}`;
      expect(message).toMatchObject({ tenant_id: tenant.id, instance_id: numbers.first.instance.id, direction: 'inbound', type: 'text', text: 'Oi! Qual o horário de funcionamento?', status: 'received', wa_id: '5511987654321', name: 'Ana Souza' });
      expect(new Date(message.last_inbound_at).toISOString()).toBe(new Date(1764040000 * 1000).toISOString());
    });

    it('keeps an interactive button reply with its payload', async () => {
      const { rewrite } = await routedTenant();
      const response = await postWebhook(server.url, loadFixture('inbound-button-reply', rewrite), SECRET);
      await processed(response.body.webhookEventId);
      const [message] = await sql()`select type, text, payload from messages where wamid like ${`%${rewrite.tag}`}`;
      expect(message.type).toBe('interactive');
      expect(message.text).toBe('Falar com atendente');
      expect(message.payload.interactive.button_reply.id).toBe('talk_to_human');
    });

    it('applies statuses that arrive out of order without moving a message backwards', async () => {
      const { tenant, rewrite, numbers } = await routedTenant();
      const wamid = `wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ0QjcwNUZEQjM2OEQ3RkM2AA==.${rewrite.tag}`;
      const outbound = await seedOutbound(tenant.id, numbers.first, wamid);
      const response = await postWebhook(server.url, loadFixture('statuses-out-of-order', rewrite), SECRET);
      await processed(response.body.webhookEventId);
      const [message] = await sql()`select status, delivered_at, read_at from messages where id = ${outbound}`;
      expect(message.status).toBe('read');
      expect(new Date(message.delivered_at).toISOString()).toBe(new Date(1764040005 * 1000).toISOString());
      expect(new Date(message.read_at).toISOString()).toBe(new Date(1764040010 * 1000).toISOString());
    });

    it('serves the message, its timeline and its contact over GraphQL to its tenant only', async () => {
      const { tenant, key, rewrite, numbers } = await routedTenant();
      const wamid = `wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ0QjcwNUZEQjM2OEQ3RkM2AA==.${rewrite.tag}`;
      const id = await seedOutbound(tenant.id, numbers.first, wamid);
      await processed((await postWebhook(server.url, loadFixture('statuses-out-of-order', rewrite), SECRET)).body.webhookEventId);
      await processed((await postWebhook(server.url, loadFixture('inbound-text', rewrite), SECRET)).body.webhookEventId);
      const { gqlOk, gql, codes } = await import('../setup/graphql-client.js');
      const { message } = await gqlOk(server.url, key, `query($id: ID!) { message(id: $id) { status timeline { status } contact { waId windowClosesAt } } }`, { id });
      expect(message.status).toBe('read');
      expect(message.timeline.map((s: any) => s.status)).toEqual(['queued', 'delivered', 'read']);
      expect(message.contact.waId).toBe('5511987654321');
      const { messages } = await gqlOk(server.url, key, `query($i: ID) { messages(filter: { instanceId: $i, direction: "inbound" }) { totalCount edges { node { text } } } }`, { i: numbers.first.instance.id });
      expect(messages.edges.map((e: any) => e.node.text)).toEqual(['Oi! Qual o horário de funcionamento?']);
      const other = await makeTenant(server.core.services);
      expect(codes(await gql(server.url, other.key, `query($id: ID!) { message(id: $id) { id } }`, { id }))).toEqual(['NOT_FOUND']);
    });

    it("fails a message with Meta's error code and text, terminally", async () => {
      const { tenant, rewrite, numbers } = await routedTenant();
      const wamid = `wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEkRFQUQwMDAwMDAwMDAwMDAxAA==.${rewrite.tag}`;
      const outbound = await seedOutbound(tenant.id, numbers.first, wamid);
      await processed((await postWebhook(server.url, loadFixture('status-failed', rewrite), SECRET)).body.webhookEventId);
      // A late "delivered" for a failed message changes nothing.
      const late = JSON.parse(loadFixture('statuses-out-of-order', rewrite));
      late.entry[0].changes[0].value.statuses = [{ id: wamid, status: 'delivered', timestamp: '1764040200', recipient_id: '5511987654321' }];
      await processed((await postWebhook(server.url, JSON.stringify(late), SECRET)).body.webhookEventId);
      const [message] = await sql()`select status, error_code, error_title, error_detail from messages where id = ${outbound}`;
      expect(message).toMatchObject({ status: 'failed', error_code: 131047, error_title: 'Re-engagement message' });
      expect(message.error_detail).toMatch(/24 hours/);
    });

    it('processes every entry and every change of a batched POST, across two numbers', async () => {
      const { tenant, rewrite, numbers } = await routedTenant();
      const wamid = `wamid.BATCH.B.OUT.0001.${rewrite.tag}`;
      await seedOutbound(tenant.id, numbers.second, wamid);
      const response = await postWebhook(server.url, loadFixture('batched-two-numbers', rewrite), SECRET);
      const event = await processed(response.body.webhookEventId);
      expect(event.tenant_ids).toEqual([tenant.id]);
      const rows = await sql()`select wamid, instance_id, direction, status from messages where wamid like ${`%${rewrite.tag}`} order by wamid`;
      expect(rows.map((r) => [r.direction, r.instance_id, r.status])).toEqual([
        ['inbound', numbers.first.instance.id, 'received'],
        ['inbound', numbers.second.instance.id, 'received'],
        ['outbound', numbers.second.instance.id, 'sent'],
      ]);
    });

    it('records a template status update against the tenant of the WABA', async () => {
      const { tenant, rewrite } = await routedTenant();
      const response = await postWebhook(server.url, loadFixture('template-status-update', rewrite), SECRET);
      await processed(response.body.webhookEventId);
      const [row] = await sql()`select tenant_id, field, event from account_events where webhook_event_id = ${response.body.webhookEventId}`;
      expect(row).toEqual({ tenant_id: tenant.id, field: 'message_template_status_update', event: 'APPROVED' });
      // ...and the mirrored Meta template is now APPROVED, so sends can use it.
      const [template] = await sql()`select status, tenant_id from message_templates where waba_id = ${rewrite.wabas[FIXTURE_WABAS.first]} and name = 'boas_vindas' and language = 'pt_BR'`;
      expect(template).toEqual({ status: 'APPROVED', tenant_id: tenant.id });
    });
  });

  describe('duplicates', () => {
    it('answers a byte-identical redelivery 200 and stores it once', async () => {
      const { rewrite } = await routedTenant();
      const body = loadFixture('inbound-text', rewrite);
      const first = await postWebhook(server.url, body, SECRET);
      const second = await postWebhook(server.url, body, SECRET);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toMatchObject({ webhookEventId: first.body.webhookEventId, duplicate: true });
      await processed(first.body.webhookEventId);
      const [{ n }] = await sql()`select count(*)::int as n from messages where wamid like ${`%${rewrite.tag}`}`;
      expect(n).toBe(1);
    });

    it('answers copies of one body posted at once (one group commit) with one stored event, the others duplicates', async () => {
      const { rewrite } = await routedTenant();
      const body = loadFixture('inbound-text', rewrite);
      const answers = await Promise.all(Array.from({ length: 8 }, () => postWebhook(server.url, body, SECRET)));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(new Set(answers.map((a) => a.body.webhookEventId)).size).toBe(1);
      expect(answers.filter((a) => !a.body.duplicate)).toHaveLength(1);
      expect(await countStored(body)).toBe(1);
    });

    it('keys a body by the first 128 bits of its SHA-256, as the migration from body_sha256 derived it for stored events', async () => {
      const { rewrite } = await routedTenant();
      const body = loadFixture('inbound-text', rewrite);
      const { body: answer } = await postWebhook(server.url, body, SECRET);
      const [row] = await sql()`select body_hash::text as stored, substring(encode(sha256(raw_body), 'hex') from 1 for 32)::uuid::text as migrated from webhook_events where id = ${answer.webhookEventId}`;
      expect(row.stored).toBe(row.migrated);
      expect(row.stored).toBe(bodyHash(Buffer.from(body)));
    });

    it('stores a message once when Meta re-batches it into a different body', async () => {
      const { rewrite } = await routedTenant();
      const single = JSON.parse(loadFixture('inbound-text', rewrite));
      const rebatched = { ...single, entry: [single.entry[0], { ...single.entry[0], changes: [] }] };
      const ids = [];
      for (const body of [single, rebatched]) ids.push((await postWebhook(server.url, JSON.stringify(body), SECRET)).body.webhookEventId);
      expect(new Set(ids).size).toBe(2);
      await Promise.all(ids.map(processed));
      const [{ n }] = await sql()`select count(*)::int as n from messages where wamid like ${`%${rewrite.tag}`}`;
      expect(n).toBe(1);
    });

    it('changes nothing when an event is processed twice (replay)', async () => {
      const { rewrite } = await routedTenant();
      const response = await postWebhook(server.url, loadFixture('batched-two-numbers', rewrite), SECRET);
      await processed(response.body.webhookEventId);
      const before = await sql()`select id, status, updated_at from messages where wamid like ${`%${rewrite.tag}`} order by id`;
      await sql()`update webhook_events set state = 'received' where id = ${response.body.webhookEventId}`;
      await server.core.queues.webhooks.add('process', { tenantId: null, eventIds: [response.body.webhookEventId] });
      await processed(response.body.webhookEventId);
      expect(await sql()`select id, status, updated_at from messages where wamid like ${`%${rewrite.tag}`} order by id`).toEqual(before);
    });
  });

  describe('bad input', () => {
    it('rejects a missing signature with 401 and stores nothing', async () => {
      const body = loadFixture('inbound-text', { tag: uniqueTag() });
      const response = await postWebhook(server.url, body, null);
      expect(response.status).toBe(401);
      expect(response.body.error).toMatch(/missing/);
      expect(await countStored(body)).toBe(0);
    });

    it('rejects a signature made with the wrong secret with 401 and stores nothing', async () => {
      const body = loadFixture('inbound-text', { tag: uniqueTag() });
      expect((await postWebhook(server.url, body, 'not-the-app-secret')).status).toBe(401);
      expect(await countStored(body)).toBe(0);
    });

    it('rejects a tampered body (signature of other bytes) and a malformed header', async () => {
      const body = loadFixture('inbound-text', { tag: uniqueTag() });
      const { signPayload } = await import('../../server/src/meta/signature.js');
      const tampered = body.replace('Ana Souza', 'Ana Souzb');
      expect((await postWebhook(server.url, tampered, null, { 'x-hub-signature-256': signPayload(body, SECRET) })).status).toBe(401);
      expect((await postWebhook(server.url, body, null, { 'x-hub-signature-256': 'sha1=abc' })).status).toBe(401);
      expect(await countStored(tampered)).toBe(0);
    });

    it('rejects a body over 1 MB with 413', async () => {
      const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(1024 * 1024) });
      const response = await postWebhook(server.url, body, SECRET);
      expect(response.status).toBe(413);
      expect(await countStored(body)).toBe(0);
    });

    it('rejects a chunked body (no Content-Length) once it passes 1 MB, and stores nothing', async () => {
      const { request } = await import('node:http');
      const tag = uniqueTag();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) } }, (res) => { res.resume(); resolve(res.statusCode!); });
        req.on('error', reject);
        req.write(`{"object":"whatsapp_business_account","tag":"${tag}","entry":[],"pad":"`);
        // Written in 64 KB pieces until the server answers: it must not wait for the end.
        const piece = 'x'.repeat(64 * 1024);
        let written = 0;
        const more = () => { while (written < 2 * 1024 * 1024 && req.write(piece)) written += piece.length; if (written < 2 * 1024 * 1024) req.once('drain', () => { written += piece.length; more(); }); };
        more();
      });
      expect(status).toBe(413);
      const [{ n }] = await sql()`select count(*)::int as n from webhook_events where position(${tag}::bytea in raw_body) > 0`;
      expect(n).toBe(0);
    });

    it('takes the POST with a query string on the URL, and counts every outcome in /metrics', async () => {
      const outcomes = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Object.fromEntries([...text.matchAll(/^wabahub_webhooks_received_total\{outcome="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
      };
      const before = await outcomes();
      const body = loadFixture('inbound-text', { tag: uniqueTag() });
      const { signPayload } = await import('../../server/src/meta/signature.js');
      const stored = await fetch(`${server.url}/webhooks/whatsapp?source=meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signPayload(body, SECRET) }, body });
      expect(stored.status).toBe(200);
      expect((await postWebhook(server.url, body, SECRET)).body).toMatchObject({ received: true, duplicate: true });
      expect((await postWebhook(server.url, body, null)).status).toBe(401);
      const after = await outcomes();
      const delta = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
      expect({ stored: delta('stored'), duplicate: delta('duplicate'), bad_signature: delta('bad_signature') }).toEqual({ stored: 1, duplicate: 1, bad_signature: 1 });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/wabahub_http_request_duration_seconds_count\{method="POST",route="\/webhooks\/whatsapp",status="200"\} [1-9]/);
    });

    it('answers malformed JSON with 400 and keeps it for inspection as rejected', async () => {
      const body = `{"object":"whatsapp_business_account","entry":[ ${uniqueTag()}`;
      const response = await postWebhook(server.url, body, SECRET);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('malformed JSON');
      expect(await eventState(response.body.webhookEventId)).toMatchObject({ state: 'rejected', error: 'malformed JSON' });
    });

    it('keeps a change for an unknown phone_number_id as unrouted with the fix, and routes it on replay once registered', async () => {
      const unknown = uniqueMetaId();
      const waba = uniqueMetaId();
      const tag = uniqueTag();
      const body = loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: unknown }, wabas: { [FIXTURE_WABAS.first]: waba }, tag });
      const response = await postWebhook(server.url, body, SECRET);
      expect(response.status).toBe(200);
      await processed(response.body.webhookEventId);
      const [unrouted] = await sql()`select phone_number_id, waba_id, resolved_at from unrouted_events where webhook_event_id = ${response.body.webhookEventId}`;
      expect(unrouted).toEqual({ phone_number_id: unknown, waba_id: waba, resolved_at: null });
      expect((await sql()`select count(*)::int as n from messages where wamid like ${`%${tag}`}`)[0].n).toBe(0);

      // The operator registers the number and replays the event: the message arrives, nothing is lost.
      const { tenant } = await makeTenant(server.core.services);
      await makeInstance(server.core.services, tenant.id, { phoneNumberId: unknown, wabaId: waba });
      await server.core.services.webhooks.replay(OPERATOR, String(response.body.webhookEventId));
      await eventually(async () => (await sql()`select count(*)::int as n from messages where wamid like ${`%${tag}`}`)[0].n === 1, 'replayed message stored');
      await eventually(async () => (await sql()`select resolved_at from unrouted_events where webhook_event_id = ${response.body.webhookEventId}`)[0].resolved_at, 'unrouted resolved');
    });

    it("stores, processes and shows a customer's text holding NUL and an unpaired surrogate, each as U+FFFD", async () => {
      // A customer's phone can send what Postgres cannot store ("\u0000" in JSON, half of an emoji):
      // the event must not fail forever. The raw body is kept byte for byte; what is derived from
      // it (message text, payload, contact name) gets U+FFFD in place of each such character.
      const { key, rewrite, numbers } = await routedTenant();
      const body = JSON.parse(loadFixture('inbound-text', rewrite));
      const value = body.entry[0].changes[0].value;
      value.messages[0].text.body = 'Oi\u0000 tudo bem? \uD83D';
      value.contacts[0].profile.name = 'Ana\u0000Souza';
      const raw = JSON.stringify(body);
      expect(raw).toContain('Oi\\u0000 tudo bem? \\ud83d');
      const response = await postWebhook(server.url, raw, SECRET);
      expect(response.status).toBe(200);
      expect(await processed(response.body.webhookEventId)).toMatchObject({ state: 'processed', error: null });

      const { gqlOk } = await import('../setup/graphql-client.js');
      const { messages } = await gqlOk(server.url, key, `query($i: ID) { messages(filter: { instanceId: $i, direction: "inbound" }) { edges { node { id text } } } }`, { i: numbers.first.instance.id });
      expect(messages.edges.map((e: any) => e.node.text)).toEqual(['Oi\uFFFD tudo bem? \uFFFD']);
      const { message } = await gqlOk(server.url, key, `query($id: ID!) { message(id: $id) { text payload contact { name } } }`, { id: messages.edges[0].node.id });
      expect(message).toMatchObject({ text: 'Oi\uFFFD tudo bem? \uFFFD', payload: { text: { body: 'Oi\uFFFD tudo bem? \uFFFD' } }, contact: { name: 'Ana\uFFFDSouza' } });
      const { webhookEvent } = await gqlOk(server.url, key, `query($id: ID!) { webhookEvent(id: $id) { state rawBody } }`, { id: String(response.body.webhookEventId) });
      expect(webhookEvent).toEqual({ state: 'processed', rawBody: raw });
    });
  });
});

describe('when Postgres is away', () => {
  /** A second server whose Postgres connections go through a proxy the test breaks. */
  async function serverBehindProxy() {
    const database = new URL(testEnv().DATABASE_URL);
    const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
    database.port = String(proxy.port);
    const cutOff = await startTestServer({ META_APP_SECRET: SECRET, DATABASE_URL: database.toString(), WEBHOOK_COMMIT_TIMEOUT_MS: '1000' });
    return {
      proxy, url: cutOff.url,
      close: async () => {
        await proxy.restore();
        await cutOff.close();
        await proxy.close();
      },
    };
  }

  it('answers 503 while Postgres is down, so Meta retries, stores nothing meanwhile, and stores the retry once it is back', { timeout: 30_000 }, async () => {
    const { proxy, url, close } = await serverBehindProxy();
    try {
      const { rewrite } = await routedTenant();
      expect((await postWebhook(url, loadFixture('inbound-text', rewrite), SECRET)).status).toBe(200);

      await proxy.cut();
      const body = loadFixture('inbound-text', { ...rewrite, tag: uniqueTag() });
      const during = await postWebhook(url, body, SECRET);
      expect(during.status).toBe(503);
      expect(during.body).toEqual({ error: 'storage unavailable, retry later' });
      expect(await countStored(body)).toBe(0);

      // Meta's retry, once Postgres is reachable again: stored as new, processed once.
      await proxy.restore();
      const retry = await postWebhook(url, body, SECRET);
      expect(retry.status).toBe(200);
      expect(retry.body.duplicate).toBe(false);
      await processed(retry.body.webhookEventId);
      expect(await countStored(body)).toBe(1);
    } finally {
      await close();
    }
  });

  it('answers 503 when the commit hangs past WEBHOOK_COMMIT_TIMEOUT_MS, keeps taking webhooks, and processes the event once either way', { timeout: 30_000 }, async () => {
    const { proxy, url, close } = await serverBehindProxy();
    try {
      const { rewrite } = await routedTenant();
      expect((await postWebhook(url, loadFixture('inbound-text', rewrite), SECRET)).status).toBe(200);

      proxy.freeze();
      const bodies = Array.from({ length: 6 }, () => loadFixture('inbound-text', { ...rewrite, tag: uniqueTag() }));
      const started = Date.now();
      // More webhooks than the ingest has commits in flight: every slot hangs, and each is freed.
      const answers = await Promise.all(bodies.map((body) => postWebhook(url, body, SECRET)));
      expect(answers.map((a) => a.status)).toEqual(Array(bodies.length).fill(503));
      expect(Date.now() - started).toBeLessThan(8_000);

      // The held bytes arrive: the hung inserts may commit after all. Meta's retries are then
      // duplicates; either way each event is stored and its message processed once.
      await proxy.restore();
      for (const body of bodies) {
        const retry = await postWebhook(url, body, SECRET);
        expect(retry.status).toBe(200);
        await processed(retry.body.webhookEventId);
        expect(await countStored(body)).toBe(1);
      }
      const [{ n }] = await sql()`select count(*)::int as n from messages where wamid like ${'%.' + rewrite.tag}`;
      expect(n).toBe(1);
      const tags = bodies.map((body) => /"wamid\.[^"]+\.([0-9a-f]+)"/.exec(body)![1]);
      const [{ m }] = await sql()`select count(*)::int as m from messages where split_part(wamid, '.', -1) = any(${tags})`;
      expect(m).toBe(bodies.length);
    } finally {
      await close();
    }
  });

  it('answers at once, without queueing, beyond the events it lets wait for Postgres', async () => {
    const ingest = new WebhookIngest(sql(), server.core.queues.webhooks, { maxWaiting: 2 });
    const { rewrite } = await routedTenant();
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => ingest.store(Buffer.from(loadFixture('inbound-text', { ...rewrite, tag: uniqueTag() })))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailable);
  });
});

describe('processing events', () => {
  /** Stores bodies as the ingest does, without enqueueing them: the test runs the processing itself. */
  async function storeEvents(bodies: string[]): Promise<number[]> {
    const ids = [];
    for (const body of bodies) {
      const [row] = await sql()`insert into webhook_events (body_hash, raw_body) values (${bodyHash(Buffer.from(body))}, ${Buffer.from(body)}) returning id`;
      ids.push(Number(row.id));
    }
    return ids;
  }

  it('stores and shows each message once when jobs overlap, run at once, and Meta re-batched a message into another event', async () => {
    const { rewrite } = await routedTenant();
    const base = JSON.parse(loadFixture('inbound-text', rewrite));
    const change = base.entry[0].changes[0].value;
    const message = (i: number) => ({ ...change.messages[0], id: `wamid.overlap.${i}.${rewrite.tag}`, text: { body: `message ${i}` } });
    const event = (...messages: object[]) => JSON.stringify({ ...base, entry: [{ ...base.entry[0], changes: [{ field: 'messages', value: { ...change, messages } }] }] });
    const singles = await storeEvents(Array.from({ length: 12 }, (_, i) => event(message(i))));
    // The same two messages again, in one body of their own (Meta re-batches retries).
    const [rebatched] = await storeEvents([event(message(0), message(11))]);
    const all = [...singles, rebatched];

    const db = server.core.database.db;
    // Four jobs at once: all events in order, all in reverse (the re-batch first), each half; one names an event twice.
    const jobs = [all, [...all].reverse(), [...all.slice(0, 6), all[0]], all.slice(6)];
    const results = (await Promise.all(jobs.map((ids) => processWebhookEvents(db, ids)))).flat();

    const processedBy = new Map<number, number>();
    for (const r of results) if (r.outcome === 'processed') processedBy.set(r.eventId, (processedBy.get(r.eventId) ?? 0) + 1);
    expect([...processedBy.values()].every((n) => n === 1)).toBe(true); // no event applied twice
    const shown = results.flatMap((r) => r.activity).filter((a) => a.kind === 'inbound_message').map((a) => a.wamid);
    expect(shown.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `wamid.overlap.${i}.${rewrite.tag}`).sort());
    const stored = await sql()`select wamid, text from messages where wamid like ${`wamid.overlap.%.${rewrite.tag}`} order by wamid`;
    expect(stored).toHaveLength(12);

    // Whatever job held which event: every event is finished once, and the summaries count each message once.
    await eventually(async () => (await sql()`select count(*)::int as n from webhook_events where id in ${sql()(all)} and state = 'processed'`)[0].n === all.length, 'every event processed');
    const summaries = await sql()`select summary from webhook_events where id in ${sql()(all)}`;
    expect(summaries.reduce((n, r) => n + (r.summary.messages ?? 0), 0)).toBe(12);
  });

  it('applies a status that arrives while a send is recording its wamid, once the send commits', async () => {
    const { tenant, rewrite, numbers } = await routedTenant();
    const wamid = `wamid.racing.${rewrite.tag}`;
    const messageId = await seedOutbound(tenant.id, numbers.first, `wamid.placeholder.${rewrite.tag}`);
    await sql()`update messages set wamid = null, status = 'sending' where id = ${messageId}`;
    const base = JSON.parse(loadFixture('status-failed', rewrite));
    const change = base.entry[0].changes[0];
    const [event] = await storeEvents([JSON.stringify({ ...base, entry: [{ ...base.entry[0], changes: [{ ...change, value: { ...change.value,
      statuses: [{ id: wamid, status: 'delivered', timestamp: '1764040100', recipient_id: '5511987654321' }] } }] }] })]);

    // The sender's side, as recordSentMany does it: the wamid's lock, then the wamid written; not committed yet.
    const sender = await sql().reserve();
    try {
      await sender`begin`;
      await sender`select pg_advisory_xact_lock(hashtext(${wamid}))`;
      await sender`update messages set wamid = ${wamid}, status = 'sent', sent_at = now() where id = ${messageId}`;
      const [{ pid }] = await sender`select pg_backend_pid() as pid`;
      let finished = false;
      const processing = processWebhookEvents(server.core.database.db, [event]).finally(() => { finished = true; });
      // Commit once the status job waits for the sender (Postgres says a backend is blocked by it);
      // a job that takes no lock finishes first instead, and the assertions below catch it.
      await eventually(async () => finished || (await blockedBy(pid)), "the status job waiting for the wamid's lock");
      await sender`commit`;
      const [outcome] = await processing;
      expect(outcome.activity.map((a) => [a.kind, a.status, a.messageId])).toEqual([['status', 'delivered', messageId]]);
    } finally {
      sender.release();
    }
    const [message] = await sql()`select status, delivered_at from messages where id = ${messageId}`;
    expect(message.status).toBe('delivered');
    expect(new Date(message.delivered_at).toISOString()).toBe(new Date(1764040100 * 1000).toISOString());
  });

  // Statuses of one message split over events that overlapping jobs process at once. Run twice:
  // alone, the jobs take the one-statement path; with an account event in each job, the general
  // path. Both must end with the same message: forward only, first times kept, failure terminal,
  // each status stored and shown once.
  for (const path of ['one-statement', 'general'] as const) {
    it(`applies concurrent statuses of a message once each, forward only, failure terminal (${path} path)`, async () => {
      const { tenant, rewrite, numbers } = await routedTenant();
      const base = JSON.parse(loadFixture('status-failed', rewrite));
      const change = base.entry[0].changes[0];
      const status = (wamid: string, name: string, at: number, extra: object = {}) => JSON.stringify({ ...base, entry: [{ ...base.entry[0], changes: [{ ...change, value: { ...change.value,
        statuses: [{ id: wamid, status: name, timestamp: String(at), recipient_id: '5511987654321', ...(name === 'failed' ? { errors: change.value.statuses[0].errors } : {}), ...extra }] } }] }] });
      const read = `wamid.read.${rewrite.tag}`;
      const failed = `wamid.failed.${rewrite.tag}`;
      const readId = await seedOutbound(tenant.id, numbers.first, read);
      const failedId = await seedOutbound(tenant.id, numbers.first, failed);
      const events = await storeEvents([
        status(read, 'delivered', 1764040100), status(read, 'read', 1764040200),
        status(read, 'delivered', 1764040100, { redelivered: true }), status(read, 'sent', 1764040050),
        status(failed, 'read', 1764040300), status(failed, 'failed', 1764040250),
      ]);
      const account = path === 'general' ? await storeEvents([loadFixture('template-status-update', rewrite)]) : [];
      const [d1, r, d2, sent, fr, ff] = events;
      const jobs = [[d1, r, ff], [r, d2, sent], [sent, d1, fr], [d2, fr, ff]].map((ids) => [...ids, ...account]);
      const results = (await Promise.all(jobs.map((ids) => processWebhookEvents(server.core.database.db, ids)))).flat();

      const shown = results.flatMap((o) => o.activity).filter((a) => a.kind === 'status').map((a) => `${a.wamid === read ? 'read-msg' : 'failed-msg'}:${a.status}:${a.messageId}`);
      expect(shown.sort()).toEqual([`failed-msg:failed:${failedId}`, `failed-msg:read:${failedId}`, `read-msg:delivered:${readId}`, `read-msg:read:${readId}`, `read-msg:sent:${readId}`]);
      const at = (seconds: number) => new Date(seconds * 1000).toISOString();
      const rows = await sql()`select id, status, sent_at, delivered_at, read_at, failed_at, error_code, error_title from messages where id in ${sql()([readId, failedId])}`;
      const byId = new Map(rows.map((m) => [m.id, { ...m, sent_at: m.sent_at && new Date(m.sent_at).toISOString(), delivered_at: m.delivered_at && new Date(m.delivered_at).toISOString(), read_at: m.read_at && new Date(m.read_at).toISOString(), failed_at: m.failed_at && new Date(m.failed_at).toISOString() }]));
      expect(byId.get(readId)).toMatchObject({ status: 'read', sent_at: at(1764040050), delivered_at: at(1764040100), read_at: at(1764040200), failed_at: null, error_code: null });
      expect(byId.get(failedId)).toMatchObject({ status: 'failed', read_at: at(1764040300), failed_at: at(1764040250), error_code: 131047, error_title: 'Re-engagement message' });
      expect((await sql()`select count(*)::int as n from message_status_events where wamid in ${sql()([read, failed])}`)[0].n).toBe(5);
      const summaries = await sql()`select summary from webhook_events where id in ${sql()(events)}`;
      expect(summaries.reduce((n, e) => n + (e.summary.statuses ?? 0), 0)).toBe(5);
    });
  }
});

async function seedOutbound(tenantId: string, number: { phoneNumber: { id: string }; instance: { id: string } }, wamid: string): Promise<string> {
  const [contact] = await sql()`insert into contacts (tenant_id, phone_number_id, wa_id) values (${tenantId}, ${number.phoneNumber.id}, ${'5511987654321'})
    on conflict (tenant_id, phone_number_id, wa_id) do update set wa_id = excluded.wa_id returning id`;
  const [message] = await sql()`insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, wamid, type, text, payload, status)
    values (${tenantId}, ${number.instance.id}, ${number.phoneNumber.id}, ${contact.id}, 'outbound', ${wamid}, 'text', 'Olá', '{}'::jsonb, 'sent') returning id`;
  return message.id;
}

/** Whether some backend is waiting for a lock that backend `pid` holds. */
async function blockedBy(pid: number): Promise<boolean> {
  return (await sql()`select 1 from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`).length > 0;
}

async function countStored(body: string): Promise<number> {
  const [{ n }] = await sql()`select count(*)::int as n from webhook_events where body_hash = ${bodyHash(Buffer.from(body))}`;
  return n;
}

describe('trafficSeries', () => {
  it("counts a tenant's messages and statuses in, per second, and nothing of other tenants", async () => {
    const { tenant, key, rewrite, numbers } = await routedTenant();
    await seedOutbound(tenant.id, numbers.first, `wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ0QjcwNUZEQjM2OEQ3RkM2AA==.${rewrite.tag}`);
    await processed((await postWebhook(server.url, loadFixture('inbound-text', rewrite), SECRET)).body.webhookEventId);
    await processed((await postWebhook(server.url, loadFixture('statuses-out-of-order', rewrite), SECRET)).body.webhookEventId);
    const { gqlOk } = await import('../setup/graphql-client.js');
    const { trafficSeries } = await gqlOk(server.url, key, `{ trafficSeries(seconds: 60) { at inbound outbound } }`);
    expect(trafficSeries.reduce((n: number, p: any) => n + p.inbound, 0)).toBe(3); // 1 message + 2 statuses
    const other = await makeTenant(server.core.services);
    expect((await gqlOk(server.url, other.key, `{ trafficSeries(seconds: 60) { inbound } }`)).trafficSeries).toEqual([]);
  });
});

describe('closing the server', () => {
  it('ends promptly while a client keeps posting webhooks on a keep-alive connection', async () => {
    const { request, Agent } = await import('node:http');
    const closing = await startTestServer({ META_APP_SECRET: SECRET });
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const body = loadFixture('inbound-text', { tag: uniqueTag() });
    let posting = true;
    let answered = 0;
    // Unsigned, so nothing is stored: what matters is that the connection is always busy.
    const post = () => new Promise<void>((resolve) => {
      const req = request(`${closing.url}/webhooks/whatsapp`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => { answered++; resolve(); }); });
      req.on('error', () => { posting = false; resolve(); });
      req.end(body);
    });
    const loops = [0, 1].map(async () => { while (posting) await post(); });
    await eventually(async () => answered > 20, 'the client to be posting');
    const started = Date.now();
    await closing.close();
    const took = Date.now() - started;
    posting = false;
    await Promise.all(loops);
    agent.destroy();
    // Without Connection: close on the answers, the close waited for Node's keep-alive timeout (72 s).
    expect(took).toBeLessThan(10_000);
  }, 30_000);
});
