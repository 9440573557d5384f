import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CUSTOMER_NAMES, CUSTOMER_TEXTS,
  DEMO,
  MetaSimulator,
  shapeMismatches,
  startSimulator,
  startWebhookReceiver,
  type ReceivedWebhook,
  type SimulatorOptions,
} from '@wabahub/meta-simulator';
import { verifySignature } from '../../server/src/meta/signature.js';

// setup(): what is real here: the simulator over HTTP on a free port, and a node:http webhook
// receiver standing in for wabahub. Nothing else (no Postgres, no Redis). Status callbacks and
// retries are scaled down to milliseconds.

const FIXTURES = new URL('../../../shared/fixtures/webhooks/', import.meta.url);
type Json = any;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const [WABA_A, WABA_B] = DEMO.wabas;
const NUMBER_80 = WABA_A.numbers[0].id; // 106540352242922, tier 80
const NUMBER_20 = WABA_A.numbers[2].id; // tier 20
const NUMBER_B = WABA_B.numbers[0].id; // 207651352242933

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let recipientSeq = 0;
/** A Brazilian mobile number nobody else in this file uses: no pair-rate interference between tests. */
const recipient = () => `55119${String(Date.now() % 1000).padStart(3, '0')}${String(++recipientSeq).padStart(5, '0')}`;

async function setup(options: SimulatorOptions = {}) {
  const receiver = await startWebhookReceiver({ verifyToken: DEMO.verifyToken });
  const sim = await startSimulator({
    quiet: true,
    webhookUrl: receiver.url,
    statusDelaysMs: { sent: 5, delivered: 15, read: 30 },
    templateReviewDelayMs: 20,
    ...options,
    webhook: { backoffMs: 20, ...options.webhook },
  });
  cleanups.push(() => receiver.close(), () => sim.close());
  const graph = async (method: string, path: string, body?: unknown, token: string | null = DEMO.systemToken) => {
    const res = await fetch(`${sim.url}/v21.0/${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const send = (numberId: string, body: Record<string, unknown>, token?: string | null) =>
    graph('POST', `${numberId}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', ...body }, token);
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.controlUrl}/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  return { sim, receiver, graph, send, control };
}

const helloWorld = (to: string) => ({ to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
const boasVindas = (to: string, params: string[] = ['Ana']) => ({
  to,
  type: 'template',
  template: { name: 'boas_vindas', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: params.map((text) => ({ type: 'text', text })) }] },
});
const text = (to: string, body = 'Olá!') => ({ to, type: 'text', text: { body } });

const statusesOf = (hook: ReceivedWebhook): Json[] =>
  (hook.body as Json).entry.flatMap((e: Json) => e.changes.flatMap((c: Json) => c.value.statuses ?? []));
const messagesOf = (hook: ReceivedWebhook): Json[] =>
  (hook.body as Json).entry.flatMap((e: Json) => e.changes.flatMap((c: Json) => c.value.messages ?? []));
const hasStatus = (wamid: string, status?: string) => (hook: ReceivedWebhook) =>
  statusesOf(hook).some((s) => s.id === wamid && (status === undefined || s.status === status));
const fieldIs = (field: string) => (hook: ReceivedWebhook) => (hook.body as Json).entry.some((e: Json) => e.changes.some((c: Json) => c.field === field));

/** The fixture's envelope with `statuses` replaced: compares one simulated status against one fixture status. */
function statusFixture(envelopeFixture: Json, status: Json): Json {
  const copy = structuredClone(envelopeFixture);
  copy.entry = [copy.entry[0]];
  copy.entry[0].changes = [copy.entry[0].changes[0]];
  copy.entry[0].changes[0].value.statuses = [status];
  return copy;
}

/** The fixture's inbound envelope with its message's type-specific part replaced. */
function inboundFixture(envelopeFixture: Json, type: string, content: Json): Json {
  const copy = structuredClone(envelopeFixture);
  const message = copy.entry[0].changes[0].value.messages[0];
  delete message.text;
  message.type = type;
  message[type] = content;
  return copy;
}

function expectSigned(hook: ReceivedWebhook, secret: string) {
  expect(hook.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
  expect(verifySignature(hook.raw, hook.signature, secret)).toBe(true);
  expect(verifySignature(hook.raw, hook.signature, `${secret}-wrong`)).toBe(false);
}

describe(MetaSimulator.name, () => {
  describe('webhook bodies', () => {
    it('reports sent, delivered and read in the fixtures’ shapes, signed with the app secret', async () => {
      const { send, receiver } = await setup();
      const sent = await send(NUMBER_80, boasVindas(recipient()));
      expect(sent.status).toBe(200);
      const wamid: string = sent.body.messages[0].id;
      const [sentHook, deliveredHook, readHook] = await Promise.all(
        ['sent', 'delivered', 'read'].map((status) => receiver.waitFor(hasStatus(wamid, status))),
      );

      const outOfOrder = fixture('statuses-out-of-order.json');
      const [fixtureRead, fixtureDelivered] = outOfOrder.entry[0].changes[0].value.statuses;
      const fixtureSent = fixture('batched-two-numbers.json').entry[1].changes[1].value.statuses[0];
      // Meta adds the conversation (with its expiry) and pricing to `sent` as to `delivered`.
      const expectedSent = { ...fixtureSent, conversation: { ...fixtureDelivered.conversation, expiration_timestamp: '1764126405' }, pricing: fixtureDelivered.pricing };
      expect(shapeMismatches(sentHook.body, statusFixture(outOfOrder, expectedSent))).toEqual([]);
      expect(shapeMismatches(deliveredHook.body, statusFixture(outOfOrder, fixtureDelivered))).toEqual([]);
      expect(shapeMismatches(readHook.body, statusFixture(outOfOrder, fixtureRead))).toEqual([]);

      const delivered = statusesOf(deliveredHook)[0];
      expect(delivered.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'utility' });
      expect((deliveredHook.body as Json).entry[0].id).toBe(WABA_A.id);
      expect((deliveredHook.body as Json).entry[0].changes[0].value.metadata).toEqual({ display_phone_number: WABA_A.numbers[0].displayPhoneNumber, phone_number_id: NUMBER_80 });
      for (const hook of [sentHook, deliveredHook, readHook]) expectSigned(hook, DEMO.appSecret);
      expect(sentHook.headers['content-type']).toBe('application/json');
    });

    it('reports a failed message with error 131026 in the shape of status-failed.json', async () => {
      const { send, receiver } = await setup({ failureRatio: 1 });
      const sent = await send(NUMBER_80, helloWorld(recipient()));
      const hook = await receiver.waitFor(hasStatus(sent.body.messages[0].id, 'failed'));
      expect(shapeMismatches(hook.body, fixture('status-failed.json'))).toEqual([]);
      expect(statusesOf(hook)[0].errors[0]).toMatchObject({ code: 131026, title: 'Message undeliverable' });
      expectSigned(hook, DEMO.appSecret);
    });

    it('delivers inbound text, button reply, location and image messages shaped like the fixtures', async () => {
      const { sim, receiver } = await setup();
      const textFixture = fixture('inbound-text.json');
      const cases = [
        { input: { kind: 'text' as const, text: 'Oi! Qual o horário de funcionamento?' }, expected: textFixture },
        { input: { kind: 'button' as const, buttonId: 'talk_to_human', buttonTitle: 'Falar com atendente' }, expected: fixture('inbound-button-reply.json') },
        {
          input: { kind: 'location' as const, location: { latitude: -23.5614, longitude: -46.6559, name: 'Avenida Paulista', address: 'Av. Paulista, 1578' } },
          expected: inboundFixture(textFixture, 'location', { latitude: -23.5, longitude: -46.6, name: 'x', address: 'y' }),
        },
        {
          input: { kind: 'image' as const, image: { caption: 'Comprovante do Pix' } },
          expected: inboundFixture(textFixture, 'image', { caption: 'c', mime_type: 'image/jpeg', sha256: 'abc', id: '1234567890123456' }),
        },
      ];
      for (const { input, expected } of cases) {
        const result = await sim.sendInbound({ phoneNumberId: NUMBER_80, from: '5511987654321', name: 'Ana Souza', ...input });
        expect(result.delivery.acknowledged).toBe(true);
        const hook = await receiver.waitFor((h) => messagesOf(h).some((m) => m.id === result.messageId));
        expect(shapeMismatches(hook.body, expected), input.kind).toEqual([]);
        expect(messagesOf(hook)[0]).toMatchObject({ from: '5511987654321', type: input.kind === 'button' ? 'interactive' : input.kind });
        expectSigned(hook, DEMO.appSecret);
      }
    });

    it('delivers template approvals in the shape of template-status-update.json', async () => {
      const { graph, receiver } = await setup();
      const created = await graph('POST', `${WABA_A.id}/message_templates`, {
        name: 'lembrete_consulta',
        language: 'pt_BR',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Olá {{1}}, sua consulta é amanhã às {{2}}.' }],
      });
      expect(created).toEqual({ status: 200, body: { id: expect.stringMatching(/^\d+$/), status: 'PENDING', category: 'UTILITY' } });
      const hook = await receiver.waitFor(fieldIs('message_template_status_update'));
      expect(shapeMismatches(hook.body, fixture('template-status-update.json'))).toEqual([]);
      expect((hook.body as Json).entry[0].changes[0].value).toEqual({
        event: 'APPROVED',
        message_template_id: Number(created.body.id),
        message_template_name: 'lembrete_consulta',
        message_template_language: 'pt_BR',
        reason: 'NONE',
      });
      expectSigned(hook, DEMO.appSecret);
    });

    it('delivers account_update PARTNER_ADDED when Embedded Signup finishes', async () => {
      const { sim, receiver } = await setup();
      const page = await fetch(`${sim.url}/dialog/embedded-signup`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ app_id: DEMO.appId, choice: `${WABA_B.id}:${NUMBER_B}`, redirect_uri: 'https://app.example/onboarding/done' }),
      });
      expect(page.status).toBe(303);
      const hook = await receiver.waitFor(fieldIs('account_update'));
      // Meta's shape (no fixture): the entry of template-status-update.json, with the documented value.
      const expected = structuredClone(fixture('template-status-update.json'));
      expected.entry[0].changes[0] = { field: 'account_update', value: { event: 'PARTNER_ADDED', waba_info: { waba_id: '1', owner_business_id: '2', partner_app_id: '3' } } };
      expect(shapeMismatches(hook.body, expected)).toEqual([]);
      expect((hook.body as Json).entry[0].changes[0].value.waba_info).toMatchObject({ waba_id: WABA_B.id, partner_app_id: DEMO.appId });
      expectSigned(hook, DEMO.appSecret);
    });

    it('batches changes of two WABAs into one POST like batched-two-numbers.json', async () => {
      const { sim, receiver } = await setup({ webhook: { batchMs: 50 } });
      await Promise.all([
        sim.sendInbound({ phoneNumberId: NUMBER_80, from: '5521998877665', name: 'Bruno Lima', kind: 'text', text: 'cardápio' }),
        sim.sendInbound({ phoneNumberId: NUMBER_B, from: '5531991112233', name: 'Carla Dias', kind: 'text', text: 'quero agendar' }),
      ]);
      expect(receiver.received).toHaveLength(1);
      const batched = fixture('batched-two-numbers.json');
      // The fixture's second entry also carries a status change; compare against its inbound change only.
      batched.entry[1].changes = [batched.entry[1].changes[0]];
      expect(shapeMismatches(receiver.received[0].body, batched)).toEqual([]);
      expect((receiver.received[0].body as Json).entry.map((e: Json) => e.id)).toEqual([WABA_A.id, WABA_B.id]);
    });

    it('sends read before delivered when reordering, each with its own timestamp', async () => {
      const { send, receiver, sim } = await setup({ reorderRatio: 1, statusDelaysMs: { sent: 5, delivered: 20, read: 1_020 } });
      const sent = await send(NUMBER_80, helloWorld(recipient()));
      const wamid = sent.body.messages[0].id;
      await receiver.waitFor(hasStatus(wamid, 'delivered'), 5_000);
      const order = receiver.received.flatMap(statusesOf).filter((s) => s.id === wamid).map((s) => s.status);
      expect(order).toEqual(['sent', 'read', 'delivered']);
      const [read, delivered] = receiver.received.flatMap(statusesOf).filter((s) => s.id === wamid && s.status !== 'sent');
      expect(Number(read.timestamp)).toBeGreaterThan(Number(delivered.timestamp));
      await sim.idle();
    });

    it('delivers some status callbacks twice, byte for byte, when duplicating', async () => {
      const { send, receiver } = await setup({ duplicateRatio: 1 });
      const sent = await send(NUMBER_80, helloWorld(recipient()));
      const hooks = await receiver.waitForCount(hasStatus(sent.body.messages[0].id, 'read'), 2);
      expect(hooks[0].raw.equals(hooks[1].raw)).toBe(true);
      expect(hooks[0].signature).toBe(hooks[1].signature);
    });
  });

  describe('POST /{phone-number-id}/messages', () => {
    it('accepts a template with and without the version prefix and answers like Meta', async () => {
      const { sim, send } = await setup();
      const to = recipient();
      const answer = await send(NUMBER_80, boasVindas(to));
      expect(answer).toEqual({
        status: 200,
        body: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/) }] },
      });
      const unversioned = await fetch(`${sim.url}/${NUMBER_80}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO.systemToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', ...helloWorld(recipient()) }),
      });
      expect(unversioned.status).toBe(200);
      const ids = sim.messages().map((m) => m.id);
      expect(new Set(ids).size).toBe(2);
    });

    it.each([
      ['a wrong messaging_product', { messaging_product: 'sms', ...helloWorld('5511987650000') }, 400, 100],
      ['a recipient with a +', helloWorld('+5511987650000'), 400, 100],
      ['a recipient of 7 digits', helloWorld('5511987'), 400, 100],
      ['an unknown type', { to: '5511987650000', type: 'carrier_pigeon', carrier_pigeon: {} }, 400, 100],
      ['a text without body', { to: '5511987650000', type: 'text', text: {} }, 400, 100],
      ['a text over 4096 characters', { to: '5511987650000', type: 'text', text: { body: 'a'.repeat(4097) } }, 400, 100],
      ['an unknown template', { to: '5511987650000', type: 'template', template: { name: 'nope', language: { code: 'pt_BR' } } }, 404, 132001],
      ['a template in another language', { to: '5511987650000', type: 'template', template: { name: 'boas_vindas', language: { code: 'en_US' } } }, 404, 132001],
      ['a template with too few parameters', boasVindas('5511987650000', []), 400, 132000],
      ['a template with too many parameters', boasVindas('5511987650000', ['a', 'b']), 400, 132000],
      [
        'four reply buttons',
        {
          to: '5511987650000',
          type: 'interactive',
          interactive: { type: 'button', body: { text: 'Escolha' }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `Opção ${i}` } })) } },
        },
        400,
        100,
      ],
    ])('rejects %s', async (_case, body, httpStatus, code) => {
      const { send, sim } = await setup();
      sim.openWindow(NUMBER_80, '5511987650000');
      const answer = await send(NUMBER_80, body as Record<string, unknown>);
      expect(answer.status).toBe(httpStatus);
      expect(answer.body.error).toMatchObject({ code, type: expect.any(String), fbtrace_id: expect.any(String) });
      expect(answer.body.error.error_data).toMatchObject({ messaging_product: 'whatsapp', details: expect.any(String) });
      expect(sim.messages()).toHaveLength(0);
    });

    it('accepts three reply buttons to a customer whose window is open', async () => {
      const { send, sim } = await setup();
      const to = recipient();
      await sim.sendInbound({ phoneNumberId: NUMBER_80, from: to });
      const answer = await send(NUMBER_80, {
        to,
        type: 'interactive',
        interactive: { type: 'button', body: { text: 'Escolha' }, action: { buttons: [1, 2, 3].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `Opção ${i}` } })) } },
      });
      expect(answer.status).toBe(200);
    });

    it('answers 190 for a missing, unknown or expired token and 200 for a token without the WABA', async () => {
      const { send, sim } = await setup();
      const expired = sim.createToken({ kind: 'business', wabaIds: [WABA_A.id] });
      sim.expireToken(expired.token);
      const otherWaba = sim.createToken({ kind: 'business', wabaIds: [WABA_B.id] });
      const missing = await send(NUMBER_80, helloWorld(recipient()), null);
      const unknown = await send(NUMBER_80, helloWorld(recipient()), 'EAAnot-a-token');
      const old = await send(NUMBER_80, helloWorld(recipient()), expired.token);
      const denied = await send(NUMBER_80, helloWorld(recipient()), otherWaba.token);
      expect([missing.status, missing.body.error.code]).toEqual([401, 190]);
      expect([unknown.status, unknown.body.error.code, unknown.body.error.type]).toEqual([401, 190, 'OAuthException']);
      expect([old.status, old.body.error.code, old.body.error.error_subcode]).toEqual([401, 190, 463]);
      expect([denied.status, denied.body.error.code]).toEqual([403, 200]);
      const allowed = await send(NUMBER_B, helloWorld(recipient()), otherWaba.token);
      expect(allowed.status).toBe(200);
    });

    it('refuses free-form messages outside the 24 h window with 131047 until the customer writes', async () => {
      const { send, sim } = await setup();
      const to = recipient();
      const closed = await send(NUMBER_80, text(to));
      expect([closed.status, closed.body.error.code]).toEqual([400, 131047]);
      await sim.sendInbound({ phoneNumberId: NUMBER_80, from: to, kind: 'text' });
      expect((await send(NUMBER_80, text(to))).status).toBe(200);
      // The window belongs to (number, customer): another number of ours is still closed.
      expect((await send(NUMBER_B, text(to))).body.error.code).toBe(131047);
    });

    it('closes the window once customerWindowMs has passed since the customer wrote', async () => {
      const { send, sim } = await setup({ scenario: { customerWindowMs: 150 }, pairRateWindowMs: 0 });
      const number = WABA_A.numbers[1].id; // tier 1000: the loop below must not meet the throughput limit
      const to = recipient();
      await sim.sendInbound({ phoneNumberId: number, from: to });
      expect((await send(number, text(to))).status).toBe(200);
      const deadline = Date.now() + 2_000;
      let last = await send(number, text(to));
      while (last.status === 200 && Date.now() < deadline) last = await send(number, text(to));
      expect(last.body.error.code).toBe(131047);
    });

    it('in status mode accepts a closed-window message and then reports it failed with 131047', async () => {
      const { send, receiver } = await setup({ scenario: { windowErrorMode: 'status' } });
      const answer = await send(NUMBER_80, text(recipient()));
      expect(answer.status).toBe(200);
      const hook = await receiver.waitFor(hasStatus(answer.body.messages[0].id, 'failed'));
      expect(statusesOf(hook)[0].errors[0].code).toBe(131047);
      expect(shapeMismatches(hook.body, fixture('status-failed.json'))).toEqual([]);
    });

    it('refuses a second message to one recipient within the pair-rate window with 131056, and not when disabled', async () => {
      const { send, sim } = await setup();
      const to = recipient();
      expect((await send(NUMBER_80, helloWorld(to))).status).toBe(200);
      const second = await send(NUMBER_80, helloWorld(to));
      expect([second.status, second.body.error.code]).toEqual([400, 131056]);
      // Only that recipient waits: another one is fine, and so is another number of ours.
      expect((await send(NUMBER_80, helloWorld(recipient()))).status).toBe(200);
      expect((await send(NUMBER_B, helloWorld(to))).status).toBe(200);
      sim.setScenario({ pairRateWindowMs: 0 });
      expect((await send(NUMBER_80, helloWorld(to))).status).toBe(200);
    });

    it('marks a message read with { success: true }', async () => {
      const { send, sim } = await setup();
      const inbound = await sim.sendInbound({ phoneNumberId: NUMBER_80 });
      const answer = await send(NUMBER_80, { status: 'read', message_id: inbound.messageId });
      expect(answer).toEqual({ status: 200, body: { success: true } });
    });

    it('refuses to send from a number that is not registered (133010)', async () => {
      const { send, sim } = await setup();
      const number = sim.createNumber({ wabaId: WABA_A.id, registered: false });
      const answer = await send(number.id, helloWorld(recipient()));
      expect(answer.body.error.code).toBe(133010);
    });

    it('answers an unknown object with code 100 subcode 33', async () => {
      const { send } = await setup();
      const answer = await send('999999999999999', helloWorld(recipient()));
      expect([answer.status, answer.body.error.code, answer.body.error.error_subcode]).toEqual([400, 100, 33]);
    });
  });

  describe('throughput limit', () => {
    it('never accepts more than the tier in any one-second sliding window, and refuses the excess with 130429', async () => {
      // No webhook receiver needed: status callbacks are skipped, the limiter is what is measured.
      const { send, sim } = await setup({ webhookUrl: null, pairRateWindowMs: 0 });
      const durationMs = 2_500;
      const end = Date.now() + durationMs;
      const answers = new Map<string, { status: number; code?: number }[]>([[NUMBER_80, []], [NUMBER_20, []]]);
      // 6 concurrent senders per number, each pausing 10 ms between sends: several times the tier is offered.
      const sender = async (numberId: string) => {
        while (Date.now() < end) {
          const a = await send(numberId, helloWorld(recipient()));
          answers.get(numberId)!.push({ status: a.status, code: a.body.error?.code });
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await Promise.all([NUMBER_80, NUMBER_20].flatMap((id) => Array.from({ length: 6 }, () => sender(id))));

      for (const [numberId, tier] of [[NUMBER_80, 80], [NUMBER_20, 20]] as const) {
        const log = sim.requests({ target: numberId });
        const accepted = log.filter((r) => r.outcome === 'accepted').map((r) => r.ts).sort((a, b) => a - b);
        const rejected = log.filter((r) => r.outcome === 'rejected');
        // Busiest window: for each accepted send, the accepted sends in the second that ends with it.
        let busiest = 0;
        let first = 0;
        for (let i = 0; i < accepted.length; i += 1) {
          while (accepted[first] <= accepted[i] - 1000) first += 1;
          busiest = Math.max(busiest, i - first + 1);
        }
        console.info(`throughput ${numberId} tier ${tier}: offered ${log.length} in ${durationMs} ms, accepted ${accepted.length}, rejected ${rejected.length}, busiest 1-s window ${busiest}`);
        expect(busiest).toBe(tier);
        expect(accepted.length).toBeGreaterThanOrEqual(tier * 2);
        expect(accepted.length).toBeLessThanOrEqual(tier * 3);
        // The excess offered is refused (how much is offered depends on how fast this machine is).
        expect(rejected.length).toBeGreaterThan(0);
        expect(rejected.every((r) => r.status === 400 && r.errorCode === 130429)).toBe(true);
        const clientSaw = answers.get(numberId)!;
        expect(clientSaw.filter((a) => a.status === 200)).toHaveLength(accepted.length);
        expect(clientSaw.filter((a) => a.code === 130429)).toHaveLength(rejected.length);
        expect(sim.stats().numbers[numberId]).toMatchObject({ tier, accepted: accepted.length, busiestWindow: busiest, rejected: { 130429: rejected.length } });
      }
    });
  });

  describe('faults', () => {
    it('answers the next N requests of a number with a transient error, then normally', async () => {
      const { send, sim } = await setup();
      sim.setFault(NUMBER_80, { kind: 'http_5xx', code: 2, next: 2 });
      const answers = [await send(NUMBER_80, helloWorld(recipient())), await send(NUMBER_80, helloWorld(recipient())), await send(NUMBER_80, helloWorld(recipient()))];
      expect(answers.map((a) => [a.status, a.body.error?.code])).toEqual([[503, 2], [503, 2], [200, undefined]]);
      expect(sim.state.faults).toHaveLength(0);
      // Another number was never affected.
      sim.setFault(NUMBER_80, { kind: 'error', code: 131048, ratio: 1 });
      expect((await send(NUMBER_B, helloWorld(recipient()))).status).toBe(200);
      expect((await send(NUMBER_80, helloWorld(recipient()))).body.error.code).toBe(131048);
      sim.clearFaults(NUMBER_80);
      expect((await send(NUMBER_80, helloWorld(recipient()))).status).toBe(200);
    });

    it('drops the connection without an answer, and answers slowly when told to', async () => {
      const { send, sim } = await setup();
      sim.setFault(NUMBER_80, { kind: 'drop', next: 1 });
      await expect(send(NUMBER_80, helloWorld(recipient()))).rejects.toThrow();
      expect(sim.requests({ target: NUMBER_80 }).at(-1)).toMatchObject({ status: 0, outcome: 'dropped', fault: 'drop' });
      sim.setFault(NUMBER_80, { kind: 'slow', delayMs: 300, next: 1 });
      const started = Date.now();
      expect((await send(NUMBER_80, helloWorld(recipient()))).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });
  });

  describe('webhook delivery', () => {
    it('retries with exponential backoff while the receiver answers 500, and counts the final 200 as acknowledged', async () => {
      const { sim, receiver } = await setup({ webhook: { backoffMs: 100, maxAttempts: 5 } });
      receiver.respondWith((_hook, index) => (index < 2 ? 500 : 200));
      const { delivery } = await sim.sendInbound({ phoneNumberId: NUMBER_80, kind: 'text' });
      expect(delivery.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
      expect(delivery).toMatchObject({ acknowledged: true, done: true, finalStatus: 200 });
      const gaps = [delivery.attempts[1].ts - delivery.attempts[0].ts, delivery.attempts[2].ts - delivery.attempts[1].ts];
      expect(gaps[0]).toBeGreaterThanOrEqual(100);
      expect(gaps[1]).toBeGreaterThanOrEqual(200);
      expect(gaps[1]).toBeLessThan(1_000);
      // Every retry carries the same bytes and signature.
      expect(receiver.received).toHaveLength(3);
      expect(new Set(receiver.received.map((h) => h.raw.toString())).size).toBe(1);
      expect(new Set(receiver.received.map((h) => h.signature)).size).toBe(1);
      expect(sim.stats().deliveries).toMatchObject({ total: 1, acknowledged: 1, failed: 0, attempts: 3 });
    });

    it('retries a receiver that answers too slowly, and gives up unacknowledged after maxAttempts', async () => {
      const { sim, receiver } = await setup({ webhook: { timeoutMs: 100, maxAttempts: 3, backoffMs: 10 } });
      receiver.respondWith(async (_hook, index) => {
        if (index === 0) await new Promise((r) => setTimeout(r, 250));
        return 200;
      });
      const slowThenOk = await sim.sendInbound({ phoneNumberId: NUMBER_80 });
      expect(slowThenOk.delivery.attempts[0].error).toMatch(/timeout/);
      expect(slowThenOk.delivery.acknowledged).toBe(true);

      receiver.respondWith(() => 503);
      const never = await sim.sendInbound({ phoneNumberId: NUMBER_80 });
      expect(never.delivery).toMatchObject({ acknowledged: false, done: true, finalStatus: 503 });
      expect(never.delivery.attempts).toHaveLength(3);
      expect(sim.stats().deliveries).toMatchObject({ acknowledged: 1, failed: 1 });
    });

    it('sends nothing for a WABA that has not subscribed our app, and records why', async () => {
      const { sim, receiver } = await setup();
      const waba = sim.createWaba({ name: 'Sem assinatura' });
      const number = sim.createNumber({ wabaId: waba.id });
      const { delivery } = await sim.sendInbound({ phoneNumberId: number.id });
      expect(delivery).toMatchObject({ skipped: 'waba_not_subscribed', acknowledged: false, attempts: [] });
      expect(receiver.received).toHaveLength(0);
    });
  });

  describe('message templates', () => {
    it('creates a template PENDING, approves it, lists it, sends it, and deletes it', async () => {
      const { graph, send, receiver, sim } = await setup();
      const components = [{ type: 'BODY', text: 'Seu pedido {{1}} saiu para entrega.' }];
      await graph('POST', `${WABA_A.id}/message_templates`, { name: 'pedido_enviado', language: 'pt_BR', category: 'UTILITY', components });
      const early = await send(NUMBER_80, { to: recipient(), type: 'template', template: { name: 'pedido_enviado', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }] } });
      expect(early.body.error.code).toBe(132001);
      await receiver.waitFor(fieldIs('message_template_status_update'));
      const listed = await graph('GET', `${WABA_A.id}/message_templates?name=pedido_enviado`);
      expect(listed.body.data).toEqual([{ id: expect.any(String), name: 'pedido_enviado', language: 'pt_BR', status: 'APPROVED', category: 'UTILITY', components }]);
      const later = await send(NUMBER_80, { to: recipient(), type: 'template', template: { name: 'pedido_enviado', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }] } });
      expect(later.status).toBe(200);
      const duplicate = await graph('POST', `${WABA_A.id}/message_templates`, { name: 'pedido_enviado', language: 'pt_BR', category: 'UTILITY', components });
      expect(duplicate.body.error.code).toBe(100);
      expect((await graph('DELETE', `${WABA_A.id}/message_templates?name=pedido_enviado`)).body).toEqual({ success: true });
      expect((await graph('GET', `${WABA_A.id}/message_templates?name=pedido_enviado`)).body.data).toEqual([]);
      await sim.idle();
    });

    it('rejects a template whose name says so, and a pause set by scenario reaches the webhook', async () => {
      const { graph, receiver, sim } = await setup();
      await graph('POST', `${WABA_A.id}/message_templates`, { name: 'promo_reject_me', language: 'pt_BR', category: 'MARKETING', components: [{ type: 'BODY', text: 'Promo!' }] });
      const rejected = await receiver.waitFor(fieldIs('message_template_status_update'));
      expect((rejected.body as Json).entry[0].changes[0].value).toMatchObject({ event: 'REJECTED', reason: 'INVALID_FORMAT' });
      await sim.setTemplateStatus({ wabaId: WABA_A.id, name: 'boas_vindas', status: 'PAUSED', reason: 'LOW_QUALITY' });
      const paused = await receiver.waitFor((h) => fieldIs('message_template_status_update')(h) && (h.body as Json).entry[0].changes[0].value.event === 'PAUSED');
      expect((paused.body as Json).entry[0].changes[0].value.message_template_id).toBe(Number(DEMO.firstTemplateId));
    });

    it('refuses a template without a BODY or with an unknown category (100)', async () => {
      const { graph } = await setup();
      const noBody = await graph('POST', `${WABA_A.id}/message_templates`, { name: 'x', language: 'pt_BR', category: 'UTILITY', components: [] });
      const badCategory = await graph('POST', `${WABA_A.id}/message_templates`, { name: 'x', language: 'pt_BR', category: 'SPAM', components: [{ type: 'BODY', text: 'x' }] });
      expect([noBody.body.error.code, badCategory.body.error.code]).toEqual([100, 100]);
    });
  });

  describe('Embedded Signup page', () => {
    it('lists the WABAs and numbers to choose from, and refuses an unknown app', async () => {
      const { sim } = await setup();
      const page = await fetch(`${sim.url}/dialog/embedded-signup?app_id=${DEMO.appId}`);
      const html = await page.text();
      expect(page.status).toBe(200);
      for (const n of [...WABA_A.numbers, ...WABA_B.numbers]) expect(html).toContain(n.id);
      expect(html).toContain('value="new"');
      expect((await fetch(`${sim.url}/dialog/embedded-signup?app_id=123`)).status).toBe(400);
    });

    it('creates a new WABA and number, and hands back code and ids by redirect and by postMessage', async () => {
      const { sim } = await setup();
      const form = (extra: Record<string, string>) =>
        fetch(`${sim.url}/dialog/embedded-signup`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ app_id: DEMO.appId, choice: 'new', business_name: 'Padaria Pão Quente', ...extra }),
        });
      const redirected = await form({ redirect_uri: 'https://app.example/es/done', state: 'xyz' });
      const location = new URL(redirected.headers.get('location')!);
      expect(location.origin + location.pathname).toBe('https://app.example/es/done');
      const wabaId = location.searchParams.get('waba_id')!;
      expect(sim.state.wabas.get(wabaId)).toMatchObject({ name: 'Padaria Pão Quente', subscribed: false });
      expect(sim.state.numbers.get(location.searchParams.get('phone_number_id')!)).toMatchObject({ wabaId, registered: false });
      expect(location.searchParams.get('code')).toMatch(/^AQ/);
      expect(location.searchParams.get('state')).toBe('xyz');

      const popup = await (await form({})).text();
      expect(popup).toContain('window.opener.postMessage');
      expect(popup).toContain('"type":"WA_EMBEDDED_SIGNUP","event":"FINISH"');
    });
  });

  describe('simulated customers', () => {
    it('sends signed inbound traffic of the chosen kinds at about the asked rate', async () => {
      const { sim, receiver } = await setup();
      const run = sim.startTraffic({ phoneNumberIds: [NUMBER_80, NUMBER_B], ratePerSecond: 100, durationMs: 500, kinds: ['text', 'location'] });
      const summary = await run.done;
      expect(summary.sent).toBeGreaterThanOrEqual(35);
      expect(summary.sent).toBeLessThanOrEqual(60);
      expect(summary).toMatchObject({ acknowledged: summary.sent, failed: 0, running: false });
      const messages = receiver.received.flatMap(messagesOf);
      expect(messages).toHaveLength(summary.sent);
      expect(new Set(messages.map((m) => m.type))).toEqual(new Set(['text', 'location']));
      expect(messages.every((m) => /^(55\d{11}|1\d{10})$/.test(m.from))).toBe(true);
      for (const hook of receiver.received) expect(verifySignature(hook.raw, hook.signature, DEMO.appSecret)).toBe(true);
    });

    it('writes as Brazilian and English-speaking customers: names and texts in their own language', async () => {
      const { sim, receiver } = await setup();
      const run = sim.startTraffic({ phoneNumberIds: [NUMBER_80], ratePerSecond: 200, durationMs: 500, kinds: ['text'] });
      await run.done;
      const byLanguage = { pt: { names: new Set<string>(), texts: new Set<string>() }, en: { names: new Set<string>(), texts: new Set<string>() } };
      for (const hook of receiver.received) {
        const value = (hook.body as { entry: { changes: { value: unknown }[] }[] }).entry[0].changes[0].value as { contacts: { profile: { name: string } }[]; messages: { from: string; text: { body: string } }[] };
        const language = value.messages[0].from.startsWith('55') ? 'pt' : 'en';
        byLanguage[language].names.add(value.contacts[0].profile.name);
        byLanguage[language].texts.add(value.messages[0].text.body);
      }
      for (const language of ['pt', 'en'] as const) {
        expect(byLanguage[language].texts.size).toBeGreaterThan(0);
        for (const name of byLanguage[language].names) expect(CUSTOMER_NAMES[language]).toContain(name);
        for (const text of byLanguage[language].texts) expect(CUSTOMER_TEXTS[language]).toContain(text);
      }
    });
  });

  describe('control API', () => {
    it('creates accounts, sets scenario and faults, sends inbound, and reports requests, deliveries and stats over HTTP', async () => {
      const { control, send, receiver } = await setup();
      const waba = (await control('POST', 'wabas', { name: 'Oficina', subscribed: true })).body;
      const number = (await control('POST', 'numbers', { wabaId: waba.id, tier: 1000, verifiedName: 'Oficina' })).body;
      expect(number).toMatchObject({ wabaId: waba.id, tier: 1000, registered: true, quality: 'GREEN' });
      const token = (await control('POST', 'tokens', { kind: 'business', wabaIds: [waba.id] })).body;
      expect((await control('POST', 'scenario', { pairRateWindowMs: 0, statusDelaysMs: { read: null } })).body).toMatchObject({ pairRateWindowMs: 0, statusDelaysMs: { sent: 5, read: null } });
      const inbound = await control('POST', 'inbound', { phoneNumberId: number.id, from: '5511912345678', kind: 'text', text: 'Oi', wait: true });
      expect(inbound.body.delivery.acknowledged).toBe(true);
      expect((await send(number.id, text('5511912345678'), token.token)).status).toBe(200);
      expect((await send(number.id, text('5511912345678'), token.token)).status).toBe(200);
      await control('POST', 'faults', { target: number.id, kind: 'http_5xx', code: 1, next: 1 });
      expect((await send(number.id, text('5511912345678'), token.token)).body.error.code).toBe(1);
      await control('POST', 'idle');
      const requests = (await control('GET', `requests?target=${number.id}`)).body;
      expect(requests.map((r: Json) => r.status)).toEqual([200, 200, 500]);
      expect(requests[0]).toMatchObject({ method: 'POST', path: `/v21.0/${number.id}/messages`, auth: 'business', outcome: 'accepted', body: { to: '5511912345678' } });
      const deliveries = (await control('GET', 'deliveries')).body;
      expect(deliveries.length).toBe(receiver.received.length);
      expect(deliveries.every((d: Json) => d.acknowledged && d.signature.startsWith('sha256='))).toBe(true);
      const stats = (await control('GET', 'stats')).body;
      expect(stats.numbers[number.id]).toMatchObject({ accepted: 2, inbound: 1, busiestWindow: 2, rejected: { 1: 1 } });
      expect(stats.deliveries.acknowledged).toBe(deliveries.length);
      const code = (await control('POST', 'codes', { wabaId: waba.id })).body;
      expect(code).toMatchObject({ code: expect.stringMatching(/^AQ/), waba_id: waba.id });
      expect((await control('GET', 'nope')).status).toBe(404);

      await control('POST', 'reset');
      const state = (await control('GET', 'state')).body;
      expect(state.wabas.map((w: Json) => w.id)).toEqual([WABA_A.id, WABA_B.id]);
      expect((await control('GET', 'requests')).body).toEqual([]);
      expect(state.scenario.pairRateWindowMs).toBe(6_000);
    });

    it('checks the app webhook with the GET handshake when asked to verify it', async () => {
      const { control } = await setup({ webhookUrl: null });
      const other = await startWebhookReceiver({ verifyToken: 'right' });
      cleanups.push(() => other.close());
      expect((await control('POST', 'app', { webhookUrl: other.url, verifyToken: 'wrong', verify: true })).status).toBe(400);
      expect((await control('POST', 'app', { webhookUrl: other.url, verifyToken: 'right', verify: true })).body).toMatchObject({ webhookUrl: other.url });
    });
  });
});
