import { afterEach, describe, expect, it } from 'vitest';
import { DEMO, startSimulator, startWebhookReceiver, type SimulatorOptions } from '@wabahub/meta-simulator';
import {
  GraphClient,
  MetaApiError,
  MetaNetworkError,
  NETWORK_CONNECTION_CODE,
  NETWORK_TIMEOUT_CODE,
  type GraphClientOptions,
  type SendMessageBody,
} from '../../server/src/meta/index.js';

// setup(): the production GraphClient against the simulator over real HTTP (base URL with /v21.0,
// as META_GRAPH_URL is in production), and a node:http webhook receiver. No Postgres or Redis.

const [WABA_A, WABA_B] = DEMO.wabas;
const NUMBER_80 = WABA_A.numbers[0].id;
const NUMBER_20 = WABA_A.numbers[2].id;
const NUMBER_B = WABA_B.numbers[0].id;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let seq = 0;
const recipient = () => `55219${String(Date.now() % 1000).padStart(3, '0')}${String(++seq).padStart(5, '0')}`;

async function setup(options: SimulatorOptions = {}, client: Partial<GraphClientOptions> = {}) {
  const receiver = await startWebhookReceiver({ verifyToken: DEMO.verifyToken });
  const sim = await startSimulator({ quiet: true, webhookUrl: receiver.url, statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, templateReviewDelayMs: 20, ...options });
  const graph = new GraphClient({
    baseUrl: `${sim.url}/v21.0`,
    appId: DEMO.appId,
    appSecret: DEMO.appSecret,
    systemToken: DEMO.systemToken,
    timeoutMs: 2_000,
    connections: 8,
    ...client,
  });
  cleanups.push(() => receiver.close(), () => sim.close(), () => graph.close());
  return { sim, receiver, graph };
}

const helloWorld = (to: string): SendMessageBody => ({ to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

/** Runs `fn` and returns what it threw, failing the test when it did not throw a MetaApiError. */
async function failure(fn: () => Promise<unknown>): Promise<MetaApiError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetaApiError);
    return error as MetaApiError;
  }
  throw new Error('expected a MetaApiError, but the call succeeded');
}

describe(GraphClient.name, () => {
  describe('sendMessage', () => {
    it('sends a template and returns the wamid, under the system token by default', async () => {
      const { graph, sim } = await setup();
      const to = recipient();
      const result = await graph.sendMessage(NUMBER_80, {
        to,
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Emily' }, { type: 'text', text: '#1042' }] }] },
      });
      expect(result).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: expect.stringMatching(/^wamid\./) }] });
      const logged = sim.requests({ target: NUMBER_80 }).at(-1)!;
      expect(logged).toMatchObject({ path: `/v21.0/${NUMBER_80}/messages`, auth: 'system', body: { messaging_product: 'whatsapp', recipient_type: 'individual', to } });
    });

    it('sends text and interactive messages in an open window, with a per-number business token', async () => {
      const { graph, sim } = await setup();
      const own = sim.createToken({ kind: 'business', wabaIds: [WABA_A.id] });
      const to = recipient();
      await sim.sendInbound({ phoneNumberId: NUMBER_80, from: to });
      sim.setScenario({ pairRateWindowMs: 0 });
      await graph.sendMessage(NUMBER_80, { to, type: 'text', text: { body: 'Olá! Como posso ajudar?' } }, own.token);
      await graph.sendMessage(
        NUMBER_80,
        { to, type: 'interactive', interactive: { type: 'button', body: { text: 'Escolha' }, action: { buttons: [{ type: 'reply', reply: { id: 'menu', title: 'Ver cardápio' } }] } } },
        own.token,
      );
      expect(sim.requests({ target: NUMBER_80 }).map((r) => [r.auth, r.status])).toEqual([['business', 200], ['business', 200]]);
    });

    it('chooses the number’s own token when it has one, else the system token', async () => {
      const { graph } = await setup();
      expect(graph.tokenFor('EAAown')).toBe('EAAown');
      expect(graph.tokenFor(null)).toBe(DEMO.systemToken);
      expect(graph.tokenFor(undefined)).toBe(DEMO.systemToken);
    });
  });

  describe('markRead', () => {
    it('marks a received message read', async () => {
      const { graph, sim } = await setup();
      const inbound = await sim.sendInbound({ phoneNumberId: NUMBER_80 });
      expect(await graph.markRead(NUMBER_80, inbound.messageId)).toEqual({ success: true });
      expect(sim.requests({ target: NUMBER_80 }).at(-1)).toMatchObject({ outcome: 'read', body: { status: 'read', message_id: inbound.messageId } });
    });
  });

  describe('errors', () => {
    it.each([
      [1, 500],
      [2, 503],
      [131000, 500],
    ])('maps transient code %i (HTTP %i) to a retryable transient error', async (code, httpStatus) => {
      const { graph, sim } = await setup();
      sim.setFault(NUMBER_80, { kind: 'http_5xx', code, next: 1 });
      const error = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())));
      expect(error).toMatchObject({ code, httpStatus, kind: 'transient', retryable: true, backoffMs: 1_000 });
      expect(error.fbtraceId).toMatch(/^.{11}$/);
      // The retry the worker would make now goes through.
      await expect(graph.sendMessage(NUMBER_80, helloWorld(recipient()))).resolves.toMatchObject({ messages: [{ id: expect.any(String) }] });
    });

    it('maps an invalid parameter to terminal 100 with Meta’s details', async () => {
      const { graph } = await setup();
      const error = await failure(() => graph.sendMessage(NUMBER_80, helloWorld('+55 11 98765-4321')));
      expect(error).toMatchObject({ code: 100, httpStatus: 400, kind: 'terminal', retryable: false, backoffMs: undefined, type: 'OAuthException' });
      expect(error.details).toMatch(/E\.164/);
    });

    it('maps 131026 to terminal, answered at once or reported later in a failed status', async () => {
      const { graph, sim, receiver } = await setup({ failureRatio: 1 });
      sim.setFault(NUMBER_80, { kind: 'error', code: 131026, next: 1, message: '(#131026) Message undeliverable' });
      expect(await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())))).toMatchObject({ code: 131026, kind: 'terminal', retryable: false });

      const sent = await graph.sendMessage(NUMBER_80, helloWorld(recipient()));
      const hook = await receiver.waitFor((h) => JSON.stringify(h.body).includes(sent.messages[0].id));
      const status = (hook.body as any).entry[0].changes[0].value.statuses[0];
      expect(status.status).toBe('failed');
      expect(MetaApiError.fromStatusError(status.errors[0])).toMatchObject({ code: 131026, kind: 'terminal', retryable: false, details: expect.any(String) });
    });

    it('maps 131047 to window_closed: no retry, a template is needed', async () => {
      const { graph } = await setup();
      const error = await failure(() => graph.sendMessage(NUMBER_80, { to: recipient(), type: 'text', text: { body: 'Oi' } }));
      expect(error).toMatchObject({ code: 131047, httpStatus: 400, kind: 'window_closed', retryable: false });
    });

    it.each([131048, 131049])('maps %i to policy_limited: stop and surface', async (code) => {
      const { graph, sim } = await setup();
      sim.setFault(NUMBER_80, { kind: 'error', code, next: 1 });
      expect(await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())))).toMatchObject({ code, kind: 'policy_limited', retryable: false });
    });

    it('maps 130429 to rate_limited_number when a tier-20 number is blasted', async () => {
      const { graph } = await setup({ pairRateWindowMs: 0, webhookUrl: null });
      const results = await Promise.allSettled(Array.from({ length: 30 }, () => graph.sendMessage(NUMBER_20, helloWorld(recipient()))));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as MetaApiError);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
      expect(rejected).toHaveLength(10);
      for (const error of rejected) expect(error).toMatchObject({ code: 130429, httpStatus: 400, kind: 'rate_limited_number', retryable: true, backoffMs: 1_000 });
    });

    it('maps 131056 to rate_limited_recipient with a 6 s hint', async () => {
      const { graph } = await setup();
      const to = recipient();
      await graph.sendMessage(NUMBER_80, helloWorld(to));
      const error = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(to)));
      expect(error).toMatchObject({ code: 131056, kind: 'rate_limited_recipient', retryable: true, backoffMs: 6_000 });
    });

    it('maps 190 (unknown, expired, expiring token) and 200 (no access) to token errors', async () => {
      const { graph, sim } = await setup();
      const expired = sim.createToken({ wabaIds: [WABA_A.id] });
      sim.expireToken(expired.token);
      const unknown = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient()), 'EAAunknown'));
      const old = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient()), expired.token));
      sim.setFault(NUMBER_80, { kind: 'token_expired', next: 1 });
      const faulted = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())));
      const denied = await failure(() => graph.sendMessage(NUMBER_B, helloWorld(recipient()), sim.createToken({ wabaIds: [WABA_A.id] }).token));
      expect(unknown).toMatchObject({ code: 190, httpStatus: 401, kind: 'token', retryable: false });
      expect(old).toMatchObject({ code: 190, subcode: 463, kind: 'token' });
      expect(faulted).toMatchObject({ code: 190, subcode: 463, kind: 'token' });
      expect(denied).toMatchObject({ code: 200, httpStatus: 403, kind: 'token' });
      // No secret ends up in an error: the message is Meta's, with no token in it.
      expect(JSON.stringify([unknown, old, denied].map((e) => e.toJSON()))).not.toContain(expired.token);
    });

    it('gives up on a slow answer at its deadline with a retryable network timeout', async () => {
      const { graph, sim } = await setup({}, { timeoutMs: 300 });
      sim.setFault(NUMBER_80, { kind: 'slow', delayMs: 1_500, next: 1 });
      const started = Date.now();
      const error = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())));
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(MetaNetworkError);
      expect(error).toMatchObject({ kind: 'network', reason: 'timeout', code: NETWORK_TIMEOUT_CODE, retryable: true, httpStatus: 0 });
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(1_200);
      // The pool is still usable after the aborted request.
      await expect(graph.sendMessage(NUMBER_80, helloWorld(recipient()))).resolves.toBeTruthy();
    });

    it('reports a dropped connection as a retryable network error, then works again', async () => {
      const { graph, sim } = await setup();
      sim.setFault(NUMBER_80, { kind: 'drop', next: 1 });
      const error = await failure(() => graph.sendMessage(NUMBER_80, helloWorld(recipient())));
      expect(error).toBeInstanceOf(MetaNetworkError);
      expect(error).toMatchObject({ kind: 'network', reason: 'connection', code: NETWORK_CONNECTION_CODE, retryable: true });
      await expect(graph.sendMessage(NUMBER_80, helloWorld(recipient()))).resolves.toBeTruthy();
    });

    it('reports a refused connection as a network error', async () => {
      const graph = new GraphClient({ baseUrl: 'http://127.0.0.1:9/v21.0', appId: 'a', appSecret: 's', systemToken: 't', timeoutMs: 1_000 });
      cleanups.push(() => graph.close());
      expect(await failure(() => graph.listPhoneNumbers(WABA_A.id))).toMatchObject({ kind: 'network', reason: 'connection' });
    });
  });

  describe('onboarding (Embedded Signup)', () => {
    it('walks code → token → debug_token → numbers → subscribe (fails without app webhook, then succeeds) → register', async () => {
      // The app-level webhook is not configured yet: the step most onboardings trip over.
      const { graph, sim, receiver } = await setup({ webhookUrl: null });

      // 1. The client finishes the popup: a one-time code and the ids it chose (a brand-new WABA here).
      const popup = await fetch(`${sim.url}/dialog/embedded-signup`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ app_id: DEMO.appId, choice: 'new', business_name: 'Barbearia Navalha', redirect_uri: 'https://app.example/done' }),
      });
      const done = new URL(popup.headers.get('location')!);
      const [code, wabaId, phoneNumberId] = ['code', 'waba_id', 'phone_number_id'].map((k) => done.searchParams.get(k)!);

      // 2. Exchange: a business token for that client only; a code works once.
      const { access_token: token } = await graph.exchangeCode(code);
      expect(token).toMatch(/^EAA/);
      expect(await failure(() => graph.exchangeCode(code))).toMatchObject({ code: 100, subcode: 36009, kind: 'terminal' });

      // 3. debug_token: valid, and scoped to exactly the new WABA.
      const debug = await graph.debugToken(token);
      expect(debug).toMatchObject({ app_id: DEMO.appId, is_valid: true });
      expect(debug.granular_scopes).toContainEqual({ scope: 'whatsapp_business_messaging', target_ids: [wabaId] });
      expect(await failure(() => graph.listPhoneNumbers(wabaId))).toMatchObject({ code: 200, kind: 'token' }); // the system user was not granted it

      // 4. Numbers, with the client's token.
      const numbers = await graph.listPhoneNumbers(wabaId, token);
      // Embedded Signup verified the number (code_verification_status), but it is not on Cloud API yet.
      expect(numbers).toEqual([
        expect.objectContaining({ id: phoneNumberId, verified_name: 'Barbearia Navalha', quality_rating: 'GREEN', code_verification_status: 'VERIFIED', platform_type: 'NOT_APPLICABLE', throughput: { level: 'NOT_APPLICABLE' } }),
      ]);
      expect(numbers[0].display_phone_number).toMatch(/^\+55 11 /);

      // 5. Subscribe: Meta's (#100) until the app webhook exists.
      const refused = await failure(() => graph.subscribeApp(wabaId, {}, token));
      expect(refused).toMatchObject({ code: 100, kind: 'terminal' });
      expect(refused.message).toMatch(/^\(#100\)/);
      sim.configureApp({ webhookUrl: receiver.url });
      expect(await graph.subscribeApp(wabaId, {}, token)).toEqual({ success: true });
      expect(await graph.listSubscribedApps(wabaId, token)).toEqual([expect.objectContaining({ whatsapp_business_api_data: expect.objectContaining({ id: DEMO.appId }) })]);

      // 6. Register with a 6-digit PIN; a malformed one is refused (100).
      expect(await failure(() => graph.registerNumber(phoneNumberId, '12345', token))).toMatchObject({ code: 100, kind: 'terminal' });
      await expect(graph.getPhoneNumber(phoneNumberId, token)).resolves.toMatchObject({ status: 'PENDING' });
      expect(await graph.registerNumber(phoneNumberId, '246810', token)).toEqual({ success: true });
      await expect(graph.getPhoneNumber(phoneNumberId, token)).resolves.toMatchObject({ status: 'CONNECTED', platform_type: 'CLOUD_API' });
      expect(await failure(() => graph.registerNumber(phoneNumberId, '111111', token))).toMatchObject({ code: 133005 }); // the PIN is now set

      // Ready: a customer writes, the webhook arrives, and the business answers with its own token.
      const inbound = await sim.sendInbound({ phoneNumberId, from: '5511955554444', kind: 'text' });
      expect(inbound.delivery.acknowledged).toBe(true);
      await expect(graph.sendMessage(phoneNumberId, { to: '5511955554444', type: 'text', text: { body: 'Olá!' } }, token)).resolves.toBeTruthy();
    });

    it('subscribes with an override callback URL only after Meta’s handshake succeeds there', async () => {
      const { graph, sim } = await setup();
      const other = await startWebhookReceiver({ verifyToken: 'tenant-verify' });
      cleanups.push(() => other.close());
      const waba = sim.createWaba({ name: 'Override' });
      expect(await failure(() => graph.subscribeApp(waba.id, { overrideCallbackUri: other.url, verifyToken: 'wrong' }))).toMatchObject({ code: 2200, kind: 'terminal' });
      expect(await graph.subscribeApp(waba.id, { overrideCallbackUri: other.url, verifyToken: 'tenant-verify' })).toEqual({ success: true });
      const number = sim.createNumber({ wabaId: waba.id });
      await sim.sendInbound({ phoneNumberId: number.id });
      expect(other.received).toHaveLength(1);
    });

    it('refuses a code exchange with the wrong app secret, and debug_token reports an unknown token invalid', async () => {
      const { graph, sim } = await setup({}, { appSecret: 'not-the-secret' });
      const { code } = sim.createCode({ wabaId: WABA_A.id });
      expect(await failure(() => graph.exchangeCode(code))).toMatchObject({ code: 100, type: 'OAuthException' });
      // debug_token authenticates with the app token, built from the (wrong) secret: 190.
      expect(await failure(() => graph.debugToken(DEMO.systemToken))).toMatchObject({ code: 190, kind: 'token' });
      const right = new GraphClient({ baseUrl: sim.url, appId: DEMO.appId, appSecret: DEMO.appSecret, systemToken: DEMO.systemToken });
      cleanups.push(() => right.close());
      expect(await right.debugToken('EAAnothing')).toMatchObject({ is_valid: false, error: { code: 190 } });
      expect(await right.debugToken(DEMO.systemToken)).toMatchObject({ is_valid: true, type: 'SYSTEM_USER', granular_scopes: expect.arrayContaining([{ scope: 'whatsapp_business_management', target_ids: [WABA_A.id, WABA_B.id] }]) });
    });
  });

  describe('onboarding (quick setup)', () => {
    it('finds the owned WABAs, adds a number, requests and verifies its code, registers it and reads its state and health', async () => {
      const { graph, sim } = await setup();
      const owned = await graph.listOwnedWabas(DEMO.businessId);
      expect(owned.map((w) => w.id)).toEqual([WABA_A.id, WABA_B.id]);
      expect(await graph.listClientWabas(DEMO.businessId)).toEqual([]);
      const before = await graph.listPhoneNumbers(WABA_A.id, undefined, ['display_phone_number']);
      expect(before).toHaveLength(3);
      expect(before[0]).toEqual({ id: NUMBER_80, display_phone_number: '+1 555-078-3881' });

      const { id } = await graph.addPhoneNumber(WABA_A.id, { cc: '55', phoneNumber: '11987650001', verifiedName: 'Padaria Pão Quente' });
      await expect(graph.getPhoneNumber(id, undefined, ['code_verification_status', 'status'])).resolves.toEqual({ id, code_verification_status: 'NOT_VERIFIED', status: 'PENDING' });
      expect(await graph.requestVerificationCode(id, { method: 'SMS', language: 'pt_BR' })).toEqual({ success: true });
      const [sms] = sim.sms('+55 11 98765-0001');
      expect(sms).toMatchObject({ phoneNumberId: id, method: 'SMS', language: 'pt_BR', code: expect.stringMatching(/^\d{6}$/) });
      expect(await graph.verifyCode(id, sms.code)).toEqual({ success: true });
      expect(await graph.registerNumber(id, '246810')).toEqual({ success: true });

      const number = await graph.getPhoneNumber(id, undefined, ['status', 'code_verification_status', 'quality_rating', 'name_status', 'messaging_limit_tier', 'throughput', 'health_status']);
      expect(number).toMatchObject({ id, status: 'CONNECTED', code_verification_status: 'VERIFIED', quality_rating: 'UNKNOWN', messaging_limit_tier: 'TIER_250', throughput: { level: 'STANDARD' } });
      expect(number.health_status?.can_send_message).toBe('AVAILABLE');
      const health = await graph.getHealthStatus(id);
      expect(health.entities.map((e) => [e.entity_type, e.can_send_message])).toEqual([
        ['PHONE_NUMBER', 'AVAILABLE'],
        ['WABA', 'AVAILABLE'],
        ['BUSINESS', 'AVAILABLE'],
        ['APP', 'AVAILABLE'],
      ]);
      expect((await graph.listPhoneNumbers(WABA_A.id)).map((n) => n.id)).toContain(id);
    });

    it('turns Meta’s onboarding errors into terminal MetaApiErrors with Meta’s code and details', async () => {
      const { graph, sim } = await setup({ scenario: { maxCodeRequests: 1, maxVerifyAttempts: 2 } });
      sim.placeNumberElsewhere({ displayPhoneNumber: '5511987650002' });
      expect(await failure(() => graph.addPhoneNumber(WABA_A.id, { cc: '55', phoneNumber: '11987650002', verifiedName: 'Loja' }))).toMatchObject({
        code: 200000,
        kind: 'terminal',
        details: expect.stringMatching(/another WhatsApp Business Account/),
      });
      expect(await failure(() => graph.addPhoneNumber(WABA_A.id, { cc: '55', phoneNumber: '1', verifiedName: 'Loja' }))).toMatchObject({ code: 100, kind: 'terminal' });

      const { id } = await graph.addPhoneNumber(WABA_A.id, { cc: '55', phoneNumber: '11987650003', verifiedName: 'Loja' });
      expect(await failure(() => graph.registerNumber(id, '246810'))).toMatchObject({ code: 133006, kind: 'terminal' });
      await graph.requestVerificationCode(id);
      expect(await failure(() => graph.requestVerificationCode(id))).toMatchObject({ code: 136024, subcode: 2388091, kind: 'terminal' });
      const code = sim.sms('5511987650003')[0].code;
      const wrong = code === '000000' ? '111111' : '000000';
      expect(await failure(() => graph.verifyCode(id, wrong))).toMatchObject({ code: 136025, kind: 'terminal', details: expect.stringMatching(/does not match/) });
      expect(await failure(() => graph.verifyCode(id, wrong))).toMatchObject({ code: 136025, details: expect.stringMatching(/Too many incorrect codes/) });

      expect(await failure(() => graph.registerNumber(NUMBER_80, '000000'))).toMatchObject({ code: 133005, kind: 'terminal', message: '(#133005) Two step verification PIN Mismatch' });
      sim.setLimit(NUMBER_80, 'register', true);
      expect(await failure(() => graph.registerNumber(NUMBER_80, DEMO.pin))).toMatchObject({ code: 133016, kind: 'terminal' });
    });

    it('deregisters a number (its sends then fail with 133010), reads the app webhook, and unsubscribes the app from a WABA', async () => {
      const { graph, sim } = await setup();
      expect(await graph.deregisterNumber(NUMBER_B)).toEqual({ success: true });
      expect(await failure(() => graph.sendMessage(NUMBER_B, helloWorld(recipient())))).toMatchObject({ code: 133010, kind: 'terminal' });
      const health = await graph.getHealthStatus(NUMBER_B);
      expect(health.can_send_message).toBe('BLOCKED');
      expect(health.entities[0].errors).toEqual([expect.objectContaining({ error_code: 133010, possible_solution: expect.stringMatching(/register/) })]);
      expect(await graph.listAppSubscriptions()).toEqual([
        { object: 'whatsapp_business_account', callback_url: sim.app.webhookUrl, active: true, fields: expect.arrayContaining([{ name: 'messages', version: 'v21.0' }]) },
      ]);
      sim.configureApp({ webhookUrl: null });
      expect(await graph.listAppSubscriptions()).toEqual([]);
      expect(await failure(() => graph.subscribeApp(WABA_B.id))).toMatchObject({ code: 100 });
      expect(await graph.unsubscribeApp(WABA_B.id)).toEqual({ success: true });
      expect(await graph.listSubscribedApps(WABA_B.id)).toEqual([]);
      expect(sim.state.wabas.get(WABA_B.id)!.subscribed).toBe(false);
    });
  });

  describe('templates', () => {
    it('creates (PENDING), lists once approved, and deletes a template', async () => {
      const { graph, receiver } = await setup();
      const created = await graph.createTemplate(WABA_B.id, {
        name: 'confirmacao_consulta',
        language: 'pt_BR',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Olá {{1}}, confirma sua consulta em {{2}}?' }],
      });
      expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'PENDING', category: 'UTILITY' });
      await receiver.waitFor((h) => JSON.stringify(h.body).includes('"message_template_status_update"'));
      const listed = await graph.listTemplates(WABA_B.id);
      expect(listed.map((t) => [t.name, t.language, t.status])).toEqual(
        expect.arrayContaining([['confirmacao_consulta', 'pt_BR', 'APPROVED'], ['boas_vindas', 'pt_BR', 'APPROVED'], ['order_update', 'en_US', 'APPROVED']]),
      );
      expect(await graph.listTemplates(WABA_B.id, undefined, { name: 'confirmacao_consulta' })).toHaveLength(1);
      expect(await graph.deleteTemplate(WABA_B.id, 'confirmacao_consulta')).toEqual({ success: true });
      expect(await graph.listTemplates(WABA_B.id, undefined, { name: 'confirmacao_consulta' })).toEqual([]);
      expect(await failure(() => graph.deleteTemplate(WABA_B.id, 'confirmacao_consulta'))).toMatchObject({ code: 100, kind: 'terminal' });
    });

    it('refuses a malformed template with 100', async () => {
      const { graph } = await setup();
      expect(await failure(() => graph.createTemplate(WABA_A.id, { name: 'Com Espaço', language: 'pt_BR', category: 'MARKETING', components: [{ type: 'BODY', text: 'x' }] }))).toMatchObject({ code: 100 });
    });
  });
});
