import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../setup/webhook-receiver.js';
import { postWebhook } from '../../server/src/modules/tenant-webhooks/tenant-webhooks.http.js';

// Tenant webhooks end to end. setup(): the simulator plays Meta and its customers write in (real
// signed webhooks into a real server); a real worker stores them and delivers the tenant's
// webhooks to a real HTTP receiver on this machine, over the test Postgres and Redis. Retries
// are quick here (WEBHOOK_RETRY_BASE_MS 200) and give up after 6 s, so hours fit in seconds.

let h: OutboundHarness;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startOutboundHarness('tenant-webhooks', { env: { SECRETS_KEY: randomBytes(32).toString('base64'), WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_GIVE_UP_AFTER_MS: '6000', WEBHOOK_TIMEOUT_MS: '1000', SWEEP_INTERVAL_MS: '500', SWEEP_AFTER_MS: '2000' } });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
}, 150_000);

/** A receiver's own check, as README shows it: node:crypto only, nothing of wabahub. */
function verifySignature(header: string, rawBody: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return parts.some(([k, v]) => k === 'v1' && v.length === expected.length && timingSafeEqual(Buffer.from(v), Buffer.from(expected)));
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url events enabled } secret } }`;
const DELIVERIES = `query($endpointId: ID!, $first: Int, $after: String) { webhookDeliveries(endpointId: $endpointId, first: $first, after: $after) {
  edges { node { id eventId eventType status attempts lastStatusCode lastError payload attemptLog { attempt outcome statusCode error latencyMs } } } pageInfo { hasNextPage endCursor } totalCount } }`;

type Sender = Awaited<ReturnType<typeof makeSender>>;
let paths = 0;

async function endpoint(s: Sender, events = ['message.received'], extra: Record<string, unknown> = {}) {
  const path = `/hook-${++paths}`;
  const created = (await gqlOk(h.server.url, s.key, CREATE, { input: { url: `${receiver.url}${path}`, events, ...extra } })).createWebhookEndpoint as { endpoint: { id: string; url: string; events: string[]; enabled: boolean }; secret: string };
  return { ...created, path };
}

async function deliveries(s: Sender, endpointId: string) {
  return ((await gqlOk(h.server.url, s.key, DELIVERIES, { endpointId, first: 100 })).webhookDeliveries.edges as { node: any }[]).map((e) => e.node);
}

async function customerWrites(s: Sender, text: string, from = '5511987650001') {
  return h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from, text, name: 'Ana Souza' });
}

describe('tenant webhooks', () => {
  it('delivers message.received signed with the secret shown at creation, verified by an independent node:crypto check', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s, ['message.received', 'message.status']);
    expect(ep.endpoint).toMatchObject({ url: `${receiver.url}${ep.path}`, events: ['message.received', 'message.status'], enabled: true });
    expect(ep.secret).toMatch(/^whsec_/);
    const sent = await customerWrites(s, 'Oi, vocês abrem domingo?');
    const [request] = await eventually(async () => receiver.at(ep.path).length > 0 && receiver.at(ep.path), 'the webhook delivered');
    expect(verifySignature(String(request.headers['x-wabahub-signature']), request.rawBody, ep.secret)).toBe(true);
    expect(verifySignature(String(request.headers['x-wabahub-signature']), request.rawBody, 'whsec_wrong')).toBe(false);
    expect(verifySignature(String(request.headers['x-wabahub-signature']), request.rawBody.replace('domingo', 'sábado'), ep.secret)).toBe(false);
    expect(request.headers['x-wabahub-event']).toBe('message.received');
    expect(request.headers['x-wabahub-delivery']).toBe(request.body.id);
    expect(request.body).toMatchObject({ type: 'message.received', tenantId: s.tenant.id, data: { wamid: sent.messageId, text: 'Oi, vocês abrem domingo?', instanceId: s.instance.id, type: 'text' } });
    expect(new Date(request.body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // The signature's time is now (seconds), so a receiver can refuse old replays.
    const t = Number(/t=(\d+)/.exec(String(request.headers['x-wabahub-signature']))![1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(30);
    // The log says it.
    const [logged] = await deliveries(s, ep.endpoint.id);
    expect(logged).toMatchObject({ eventType: 'message.received', status: 'succeeded', attempts: 1, lastStatusCode: 200, eventId: request.body.id });
    expect(logged.payload).toEqual(request.body);
  });

  it('retries a receiver that fails its first 3 attempts until it is delivered, each attempt logged', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    let failures = 0;
    const previous = receiver.answer;
    receiver.answer = (r) => (r.path === ep.path && failures++ < 3 ? { status: 503, body: 'busy, come back later' } : previous(r));
    await customerWrites(s, 'retry me');
    const [delivery] = await eventually(async () => {
      const list = await deliveries(s, ep.endpoint.id);
      return list[0]?.status === 'succeeded' && list;
    }, 'delivered after retries');
    receiver.answer = previous;
    expect(delivery.attempts).toBe(4);
    expect(delivery.attemptLog.map((a: any) => [a.outcome, a.statusCode])).toEqual([['retry', 503], ['retry', 503], ['retry', 503], ['succeeded', 200]]);
    const requests = receiver.at(ep.path);
    expect(requests).toHaveLength(4);
    // One event, one id: the receiver dedups on it.
    expect(new Set(requests.map((r) => r.headers['x-wabahub-delivery'])).size).toBe(1);
    // Backoff grows (200 ms base, jitter: the second wait is at least the first's minimum doubled).
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[2]).toBeGreaterThanOrEqual(390);
  });

  it('does not retry a 400: the delivery fails at once', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    const previous = receiver.answer;
    receiver.answer = (r) => (r.path === ep.path ? { status: 400, body: 'unknown field' } : previous(r));
    await customerWrites(s, 'bad request');
    const [delivery] = await eventually(async () => {
      const list = await deliveries(s, ep.endpoint.id);
      return list[0]?.status === 'failed' && list;
    }, 'the delivery failed');
    // Longer than two backoffs: nothing more came.
    await new Promise((r) => setTimeout(r, 1_000));
    receiver.answer = previous;
    expect(receiver.at(ep.path)).toHaveLength(1);
    expect(delivery).toMatchObject({ attempts: 1, lastStatusCode: 400, lastError: 'HTTP 400' });
    expect(delivery.attemptLog).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', statusCode: 400 })]);
  });

  it('honours Retry-After on a 429', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    let first = true;
    const previous = receiver.answer;
    receiver.answer = (r) => {
      if (r.path !== ep.path || !first) return previous(r);
      first = false;
      return { status: 429, headers: { 'retry-after': '2' }, body: 'slow down' };
    };
    await customerWrites(s, 'too fast');
    const requests = await eventually(async () => receiver.at(ep.path).length >= 2 && receiver.at(ep.path), 'retried', 10_000);
    receiver.answer = previous;
    // Without Retry-After the backoff would have retried within 200 ms.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(1_900);
  });

  it('delivers one contact\'s events in order, later ones waiting while an earlier one is retried', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    let failedFirst = 0;
    const previous = receiver.answer;
    receiver.answer = (r) => (r.path === ep.path && r.body.data.text === 'msg 0' && failedFirst++ < 3 ? { status: 500 } : previous(r));
    // Each message stored before the next is sent: their events are recorded in this order
    // (concurrent inbound jobs could store two webhooks of one customer in either order).
    for (let i = 0; i < 6; i++) {
      const sent = await customerWrites(s, `msg ${i}`, '5511987650002');
      await eventually(async () => (await h.server.core.database.sql`select 1 from messages where wamid = ${sent.messageId}`).length > 0, 'stored');
    }
    const requests = await eventually(async () => receiver.at(ep.path).length >= 9 && receiver.at(ep.path), 'all delivered', 15_000);
    receiver.answer = previous;
    const succeeded = requests.slice(3).map((r) => r.body.data.text);
    expect(requests.slice(0, 3).map((r) => r.body.data.text)).toEqual(['msg 0', 'msg 0', 'msg 0']);
    expect(succeeded).toEqual(['msg 0', 'msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5']);
  });

  it('after rotateWebhookSecret signs with the old and the new secret, and sendTestWebhook reaches the endpoint', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    const rotated = (await gqlOk(h.server.url, s.key, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } secret } }`, { id: ep.endpoint.id })).rotateWebhookSecret;
    expect(rotated.secret).not.toBe(ep.secret);
    const test = (await gqlOk(h.server.url, s.key, `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id eventType status } }`, { id: ep.endpoint.id })).sendTestWebhook;
    expect(test.eventType).toBe('webhook.test');
    const [request] = await eventually(async () => receiver.at(ep.path).length > 0 && receiver.at(ep.path), 'the test delivered');
    const header = String(request.headers['x-wabahub-signature']);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifySignature(header, request.rawBody, rotated.secret)).toBe(true);
    expect(verifySignature(header, request.rawBody, ep.secret)).toBe(true);
    expect(request.body).toMatchObject({ type: 'webhook.test', tenantId: s.tenant.id, data: { endpointId: ep.endpoint.id } });
  });

  it('redelivers a delivery as a new one with the same event id', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    await customerWrites(s, 'again please');
    const [first] = await eventually(async () => {
      const list = await deliveries(s, ep.endpoint.id);
      return list[0]?.status === 'succeeded' && list;
    }, 'delivered');
    const again = (await gqlOk(h.server.url, s.key, `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id eventId status } }`, { id: first.id })).redeliverWebhook;
    expect(again.id).not.toBe(first.id);
    expect(again.eventId).toBe(first.eventId);
    const requests = await eventually(async () => receiver.at(ep.path).length >= 2 && receiver.at(ep.path), 'redelivered');
    expect(requests.map((r) => r.headers['x-wabahub-delivery'])).toEqual([first.eventId, first.eventId]);
  });

  it('disables an endpoint that failed every delivery for the give-up time, with the reason on it', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s);
    const previous = receiver.answer;
    receiver.answer = (r) => (r.path === ep.path ? { status: 500, body: 'down' } : previous(r));
    await customerWrites(s, 'are you there?');
    // A first delivery retried until it gives up (6 s here), then another event past that time.
    await eventually(async () => (await deliveries(s, ep.endpoint.id))[0]?.status === 'failed', 'the first delivery given up', 15_000);
    await customerWrites(s, 'hello?');
    const disabled = await eventually(async () => {
      const { webhookEndpoints } = await gqlOk(h.server.url, s.key, `{ webhookEndpoints { edges { node { id enabled disabledReason failingSince } } } }`);
      const node = webhookEndpoints.edges[0].node;
      return !node.enabled && node;
    }, 'the endpoint disabled', 15_000);
    receiver.answer = previous;
    expect(disabled.disabledReason).toMatch(/every delivery failed since .*HTTP 500/);
    // Enabled again by a person: the alert clears.
    const enabled = (await gqlOk(h.server.url, s.key, `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { enabled disabledReason failingSince } }`, { input: { id: ep.endpoint.id, enabled: true } })).updateWebhookEndpoint;
    expect(enabled).toEqual({ enabled: true, disabledReason: null, failingSince: null });
  }, 40_000);

  it('records rule.fired, handoff.started and handoff.resolved for a rule that hands over, and message.status for our replies, one contact in order', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s, ['rule.fired', 'handoff.started', 'handoff.resolved', 'message.status']);
    await gqlOk(h.server.url, s.key, `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { id } }`, {
      input: { instanceId: s.instance.id, name: 'Atendente', trigger: { type: 'keyword', keywords: ['atendente'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Um momento.' }, { type: 'handoff', note: 'pediu atendente' }] },
    });
    await customerWrites(s, 'quero um atendente', '5511987650003');
    const types = async () => receiver.at(ep.path).map((r) => r.body.type);
    await eventually(async () => (await types()).includes('handoff.started'), 'handoff.started delivered');
    const fired = receiver.at(ep.path).find((r) => r.body.type === 'rule.fired')!;
    expect(fired.body.data).toMatchObject({ ruleName: 'Atendente', contact: { waId: '5511987650003' }, actions: [expect.objectContaining({ type: 'reply_text', outcome: 'queued' }), expect.objectContaining({ type: 'handoff', outcome: 'done' })] });
    const started = receiver.at(ep.path).find((r) => r.body.type === 'handoff.started')!;
    expect(started.body.data).toMatchObject({ note: 'pediu atendente', ruleName: 'Atendente' });
    // The reply reaches Meta, which reports it sent (and delivered): message.status.
    await eventually(async () => (await types()).includes('message.status'), 'message.status delivered');
    const contactId = started.body.data.contact.id;
    await gqlOk(h.server.url, s.key, `mutation($id: ID!) { resolveHandoff(contactId: $id) { id } }`, { id: contactId });
    const resolved = await eventually(async () => receiver.at(ep.path).find((r) => r.body.type === 'handoff.resolved'), 'handoff.resolved delivered');
    expect(resolved.body.data).toMatchObject({ contact: { id: contactId, waId: '5511987650003' }, instanceId: s.instance.id });
    // rule.fired before handoff.started (one contact's events in the order they were recorded).
    const order = await types();
    expect(order.indexOf('rule.fired')).toBeLessThan(order.indexOf('handoff.started'));
  });

  it('records campaign.finished when a campaign completes', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s, ['campaign.finished']);
    const { sendCampaign } = await gqlOk(h.server.url, s.key, `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id } }`, {
      input: { instanceId: s.instance.id, name: 'Aviso', template: { name: 'boas_vindas', language: 'pt_BR' }, recipients: [{ to: '+5511987650004', variables: ['Ana'] }] },
    });
    const [request] = await eventually(async () => receiver.at(ep.path).length > 0 && receiver.at(ep.path), 'campaign.finished delivered', 15_000);
    expect(request.body).toMatchObject({ type: 'campaign.finished', tenantId: s.tenant.id, data: { campaignId: sendCampaign.id, name: 'Aviso', state: 'completed', counts: { total: 1 } } });
  });

  it('records onboarding.succeeded for the tenant an onboarding run made, once, whoever tells the hooks again', async () => {
    const s = await makeSender(h);
    const ep = await endpoint(s, ['onboarding.succeeded', 'onboarding.failed']);
    // A run that finished but whose end was never told (its worker died after committing it): the
    // onboarding sweep tells the hooks, and tenant webhooks deliver it.
    const sql = h.server.core.database.sql;
    const facts = { phoneNumberId: s.simNumber.id, wabaId: s.phoneNumber.wabaId };
    const [run] = await sql`insert into onboarding_runs (kind, state, tenant_id, phone_number_row_id, instance_id, input, facts, finished_at)
      values ('quick_setup', 'succeeded', ${s.tenant.id}, ${s.phoneNumber.id}, ${s.instance.id}, ${JSON.stringify({ businessName: 'Padaria Pão Quente', ruleTemplateId: null, templateVariables: {} })}::jsonb,
              ${JSON.stringify(facts)}::jsonb, now() - interval '10 seconds') returning id`;
    const [request] = await eventually(async () => receiver.at(ep.path).length > 0 && receiver.at(ep.path), 'onboarding.succeeded delivered', 15_000);
    expect(request.body).toMatchObject({
      type: 'onboarding.succeeded', tenantId: s.tenant.id,
      data: { onboardingRunId: run.id, kind: 'quick_setup', businessName: 'Padaria Pão Quente', phoneNumberId: s.simNumber.id, wabaId: s.phoneNumber.wabaId, error: null },
    });
    await eventually(async () => (await sql`select notified_at from onboarding_runs where id = ${run.id}`)[0].notified_at !== null, 'the run marked notified');
    // Told again (a retry of the notification after a crash): the same event, not a second one.
    await sql`update onboarding_runs set notified_at = null where id = ${run.id}`;
    await eventually(async () => (await sql`select notified_at from onboarding_runs where id = ${run.id}`)[0].notified_at !== null, 'the run notified again');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.at(ep.path)).toHaveLength(1);
  });

  it('keeps each tenant to its own endpoints and deliveries', async () => {
    const a = await makeSender(h);
    const b = await makeSender(h);
    const epA = await endpoint(a);
    const list = (await gqlOk(h.server.url, b.key, `{ webhookEndpoints { edges { node { id } } } }`)).webhookEndpoints.edges;
    expect(list).toEqual([]);
    expect(codes(await gql(h.server.url, b.key, DELIVERIES, { endpointId: epA.endpoint.id }))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(h.server.url, b.key, `mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: epA.endpoint.id }))).toEqual(['NOT_FOUND']);
    // B's customer writes: nothing reaches A's endpoint.
    await customerWrites(b, 'only for B');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.at(epA.path)).toEqual([]);
  });

  it('refuses bad input with a clear error naming the field', async () => {
    const s = await makeSender(h);
    const bad = async (input: Record<string, unknown>) => {
      const response = await gql(h.server.url, s.key, CREATE, { input: { url: `${receiver.url}/x`, events: ['message.received'], ...input } });
      return { codes: codes(response), message: response.errors?.[0]?.message };
    };
    expect(await bad({ events: [] })).toMatchObject({ codes: ['VALIDATION_FAILED'], message: expect.stringContaining('events:') });
    expect(await bad({ events: ['message.recieved'] })).toMatchObject({ codes: ['VALIDATION_FAILED'], message: expect.stringContaining('"message.recieved" is not an event') });
    expect(await bad({ url: 'not a url' })).toMatchObject({ codes: ['VALIDATION_FAILED'], message: expect.stringContaining('url:') });
    expect(await bad({ url: 'ftp://example.com/x' })).toMatchObject({ codes: ['VALIDATION_FAILED'], message: expect.stringContaining('scheme') });
  });
});

describe('SSRF guard in production mode', () => {
  const production = { httpsOnly: true, allowPrivate: false };
  const refused = async (url: string) => {
    const result = await postWebhook(url, '{}', {}, production, 2_000);
    return result.kind === 'refused' ? result.error : `not refused: ${JSON.stringify(result)}`;
  };

  it('refuses loopback, 10/8, the metadata address and a name resolving to 127.0.0.1, after DNS', async () => {
    expect(await refused('https://127.0.0.1/hook')).toMatch(/refused: 127\.0\.0\.1 is a loopback/);
    expect(await refused('https://10.1.2.3/hook')).toMatch(/refused: 10\.1\.2\.3/);
    expect(await refused('https://169.254.169.254/latest/meta-data/')).toMatch(/refused: 169\.254\.169\.254/);
    // A name, not an address: refused only once DNS answered (what a rebinding name does).
    expect(await refused(`https://localhost:${new URL(receiver.url).port}/hook`)).toMatch(/refused: localhost resolves to (127\.0\.0\.1|::1)/);
    expect(await refused(`http://example.com/hook`)).toMatch(/refused: the scheme must be https/);
  });

  it('lets the same local receiver through in development (WEBHOOK_ALLOW_PRIVATE)', async () => {
    const result = await postWebhook(`${receiver.url}/dev`, '{}', {}, { httpsOnly: false, allowPrivate: true }, 2_000);
    expect(result).toMatchObject({ kind: 'response', statusCode: 200 });
  });
});

export type { ReceivedWebhook };
