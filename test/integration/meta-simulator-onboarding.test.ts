import { afterEach, describe, expect, it } from 'vitest';
import { DEMO, MetaSimulator, startSimulator, startWebhookReceiver, type ReceivedWebhook, type SimulatorOptions } from '@wabahub/meta-simulator';

// The simulator's onboarding calls (issue 18), each with Meta's errors, over real HTTP.
// setup(): what is real here: the simulator on a free port and a node:http webhook receiver
// standing in for wabahub. Nothing else (no Postgres, no Redis). Delays are scaled down.

type Json = any;

const [WABA_A, WABA_B] = DEMO.wabas;
const NUMBER_A = WABA_A.numbers[0].id; // 106540352242922, registered, PIN 123456
const NUMBER_SHARED = WABA_A.numbers[2].id; // tier 20, shared with the WhatsApp Business app

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

let seq = 0;
/** A Brazilian mobile number (national part) nobody else in this file uses. */
const nationalNumber = () => `119${String(Date.now() % 10_000).padStart(4, '0')}${String(++seq).padStart(4, '0')}`;

async function setup(options: SimulatorOptions = {}) {
  const receiver = await startWebhookReceiver({ verifyToken: DEMO.verifyToken });
  const sim = await startSimulator({ quiet: true, webhookUrl: receiver.url, statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, templateReviewDelayMs: 20, ...options });
  cleanups.push(() => receiver.close(), () => sim.close());
  const graph = async (method: string, path: string, body?: unknown, token: string | null = DEMO.systemToken) => {
    const res = await fetch(`${sim.url}/v21.0/${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.controlUrl}/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as Json };
  };
  /** Adds a new Brazilian number to a WABA through the Graph API, as quick setup does. */
  const addNumber = async (wabaId: string = WABA_A.id, verifiedName = 'Padaria Pão Quente') => {
    const national = nationalNumber();
    const added = await graph('POST', `${wabaId}/phone_numbers`, { cc: '55', phone_number: national, verified_name: verifiedName });
    expect(added.status).toBe(200);
    return { id: added.body.id as string, digits: `55${national}` };
  };
  /** request_code, then the code the simulator "texted", read from the control API. */
  const requestCode = async (numberId: string, digits: string) => {
    expect((await graph('POST', `${numberId}/request_code`, { code_method: 'SMS', language: 'pt_BR' })).body).toEqual({ success: true });
    return (await control('GET', `sms?phone=${digits}`)).body.latest.code as string;
  };
  /** A number added, verified and registered with `pin`: what quick setup ends with. */
  const onboardedNumber = async (pin = '246810') => {
    const { id, digits } = await addNumber();
    const code = await requestCode(id, digits);
    expect((await graph('POST', `${id}/verify_code`, { code })).status).toBe(200);
    expect((await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin })).status).toBe(200);
    return { id, digits };
  };
  return { sim, receiver, graph, control, addNumber, requestCode, onboardedNumber };
}

/** Meta's error body, and the fields a client reads. */
function expectMetaError(answer: { status: number; body: Json }, status: number, code: number, extra: Record<string, unknown> = {}) {
  expect(answer.status).toBe(status);
  expect(answer.body.error).toMatchObject({ code, type: expect.any(String), message: expect.any(String), fbtrace_id: expect.any(String), ...extra });
}

const fieldIs = (field: string) => (hook: ReceivedWebhook) => (hook.body as Json).entry.some((e: Json) => e.changes.some((c: Json) => c.field === field));

describe(`${MetaSimulator.name} onboarding`, () => {
  describe('GET /{business-id}', () => {
    it('answers the business to a token of that business, and "does not exist" (100/33) to anyone else', async () => {
      const { graph, control } = await setup();
      expect((await graph('GET', DEMO.businessId)).body).toEqual({ id: DEMO.businessId, name: DEMO.businessName });
      const other = await control('POST', 'tokens', { kind: 'business', wabaIds: [WABA_A.id], businessId: '999000111222333' });
      expectMetaError(await graph('GET', DEMO.businessId, undefined, other.body.token), 400, 100, { error_subcode: 33 });
      expectMetaError(await graph('GET', DEMO.businessId, undefined, null), 401, 190);
    });
  });

  describe('GET /{business-id}/owned_whatsapp_business_accounts', () => {
    it('lists the WABAs the app’s business owns, paged with cursors, with the fields asked for', async () => {
      const { graph } = await setup();
      const all = await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts`);
      expect(all.status).toBe(200);
      expect(all.body.data).toEqual([
        { id: WABA_A.id, name: WABA_A.name, timezone_id: '1', message_template_namespace: `ns_${WABA_A.id}` },
        { id: WABA_B.id, name: WABA_B.name, timezone_id: '1', message_template_namespace: `ns_${WABA_B.id}` },
      ]);
      expect(all.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
      expect(all.body.paging.next).toBeUndefined();

      const first = await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts?limit=1&fields=name,currency`);
      expect(first.body.data).toEqual([{ name: WABA_A.name, currency: 'USD', id: WABA_A.id }]);
      expect(first.body.paging.next).toMatch(/after=/);
      const second = await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts?limit=1&fields=name,currency&after=${first.body.paging.cursors.after}`);
      expect(second.body.data).toEqual([{ name: WABA_B.name, currency: 'USD', id: WABA_B.id }]);
      expect(second.body.paging.next).toBeUndefined();
    });

    it('refuses a cursor it did not hand out, and a field WABAs do not have (100)', async () => {
      const { graph } = await setup();
      expectMetaError(await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts?after=bm9wZQ`), 400, 100);
      const bad = await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts?fields=name,favourite_colour`);
      expectMetaError(bad, 400, 100, { message: '(#100) Tried accessing nonexisting field (favourite_colour) on node type (WhatsAppBusinessAccount)' });
    });
  });

  describe('GET /{business-id}/client_whatsapp_business_accounts', () => {
    it('lists the WABAs clients shared with us through Embedded Signup, not our own', async () => {
      const { graph, sim } = await setup();
      expect((await graph('GET', `${DEMO.businessId}/client_whatsapp_business_accounts`)).body).toEqual({ data: [] });
      const popup = await fetch(`${sim.url}/dialog/embedded-signup`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ app_id: DEMO.appId, choice: 'new', business_name: 'Barbearia Navalha', redirect_uri: 'https://app.example/done' }),
      });
      const wabaId = new URL(popup.headers.get('location')!).searchParams.get('waba_id');
      const clients = await graph('GET', `${DEMO.businessId}/client_whatsapp_business_accounts?fields=id,name,owner_business_info`);
      expect(clients.body.data).toEqual([{ id: wabaId, name: 'Barbearia Navalha', owner_business_info: { id: expect.stringMatching(/^\d+$/), name: 'Barbearia Navalha' } }]);
      expect(clients.body.data[0].owner_business_info.id).not.toBe(DEMO.businessId);
      expect((await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts`)).body.data.map((w: Json) => w.id)).not.toContain(wabaId);
    });
  });

  describe('the Embedded Signup popup', () => {
    it("reports CANCEL with the screen the client left on, and issues no code", async () => {
      const { sim } = await setup();
      const post = (body: Record<string, string>) => fetch(`${sim.url}/dialog/embedded-signup`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ app_id: DEMO.appId, ...body }),
      });
      const page = await (await fetch(`${sim.url}/dialog/embedded-signup?app_id=${DEMO.appId}`)).text();
      expect(page).toContain('id="cancel"');
      const redirected = await post({ action: 'cancel', current_step: 'WABA_PHONE_SELECTION', redirect_uri: 'https://app.example/done', state: 's1' });
      expect(redirected.status).toBe(303);
      expect(Object.fromEntries(new URL(redirected.headers.get('location')!).searchParams)).toEqual({ error: 'access_denied', current_step: 'WABA_PHONE_SELECTION', state: 's1' });
      const popup = await (await post({ action: 'cancel', current_step: 'PHONE_NUMBER_VERIFICATION' })).text();
      expect(popup).toContain('"event":"CANCEL"');
      expect(popup).toContain('"current_step":"PHONE_NUMBER_VERIFICATION"');
      expect(sim.state.codes.size).toBe(0);
    });
  });

  describe('GET /{waba-id}/phone_numbers', () => {
    it('answers Meta’s fields for each number, or those asked for', async () => {
      const { graph } = await setup();
      const all = await graph('GET', `${WABA_A.id}/phone_numbers`);
      expect(all.body.data[0]).toEqual({
        id: NUMBER_A,
        display_phone_number: '+1 555-078-3881',
        verified_name: 'Loja Demo',
        code_verification_status: 'VERIFIED',
        quality_rating: 'GREEN',
        platform_type: 'CLOUD_API',
        throughput: { level: 'STANDARD' },
        status: 'CONNECTED',
        name_status: 'APPROVED',
        messaging_limit_tier: 'TIER_1K',
        throughput_mps: 80,
      });
      expect(all.body.data).toHaveLength(3);
      const some = await graph('GET', `${WABA_A.id}/phone_numbers?fields=display_phone_number,is_on_biz_app,throughput{level}&limit=2`);
      expect(some.body.data).toEqual([
        { display_phone_number: '+1 555-078-3881', is_on_biz_app: false, throughput: { level: 'STANDARD' }, id: NUMBER_A },
        { display_phone_number: '+1 555-078-3882', is_on_biz_app: false, throughput: { level: 'HIGH' }, id: WABA_A.numbers[1].id },
      ]);
      const rest = await graph('GET', `${WABA_A.id}/phone_numbers?fields=is_on_biz_app&limit=2&after=${some.body.paging.cursors.after}`);
      expect(rest.body.data).toEqual([{ is_on_biz_app: true, id: NUMBER_SHARED }]);
    });

    it('refuses a field numbers do not have (100) and a token without the WABA (200)', async () => {
      const { graph, control } = await setup();
      expectMetaError(await graph('GET', `${WABA_A.id}/phone_numbers?fields=owner_name`), 400, 100);
      const other = await control('POST', 'tokens', { wabaIds: [WABA_B.id] });
      expectMetaError(await graph('GET', `${WABA_A.id}/phone_numbers`, undefined, other.body.token), 403, 200);
    });
  });

  describe('POST /{waba-id}/phone_numbers', () => {
    it('adds the number unverified and unregistered, its name pending review until Meta approves it', async () => {
      // Long enough that the first read is before the review even on a loaded machine; idle() waits for it.
      const { graph, addNumber, sim } = await setup({ scenario: { nameReviewDelayMs: 1_000 } });
      const { id, digits } = await addNumber(WABA_A.id, 'Padaria Pão Quente');
      expect(id).toMatch(/^\d{15}$/);
      const fields = 'display_phone_number,verified_name,code_verification_status,status,platform_type,throughput,quality_rating,name_status,messaging_limit_tier';
      expect((await graph('GET', `${id}?fields=${fields}`)).body).toEqual({
        id,
        display_phone_number: `+55 ${digits.slice(2, 4)} ${digits.slice(4, 9)}-${digits.slice(9)}`,
        verified_name: 'Padaria Pão Quente',
        code_verification_status: 'NOT_VERIFIED',
        status: 'PENDING',
        platform_type: 'NOT_APPLICABLE',
        throughput: { level: 'NOT_APPLICABLE' },
        quality_rating: 'UNKNOWN',
        name_status: 'PENDING_REVIEW',
        messaging_limit_tier: 'TIER_250',
      });
      await sim.idle(5_000);
      expect((await graph('GET', `${id}?fields=name_status`)).body.name_status).toBe('APPROVED');
      expect((await graph('GET', `${WABA_A.id}/phone_numbers?fields=id`)).body.data.map((n: Json) => n.id)).toContain(id);
    });

    it('refuses an invalid number or a missing name with 100', async () => {
      const { graph } = await setup();
      for (const body of [
        { cc: '55', phone_number: '11 98765-4321', verified_name: 'X' },
        { cc: '+55', phone_number: '11987654321', verified_name: 'X' },
        { cc: '55', phone_number: '123', verified_name: 'X' },
        { cc: '999', phone_number: '1234567890123', verified_name: 'X' },
        { cc: '55', phone_number: '11987654321' },
      ]) {
        expectMetaError(await graph('POST', `${WABA_A.id}/phone_numbers`, body), 400, 100, { message: '(#100) Invalid parameter' });
      }
    });

    it('refuses a number already on another business’s WABA with 200000, and one already on this WABA with its id', async () => {
      const { graph, control, addNumber } = await setup();
      const elsewhere = await control('POST', 'numbers/elsewhere', { displayPhoneNumber: '+55 11 97777-0001' });
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.body.waba.ownerBusinessId).not.toBe(DEMO.businessId);
      const taken = await graph('POST', `${WABA_A.id}/phone_numbers`, { cc: '55', phone_number: '11977770001', verified_name: 'Loja Demo' });
      expectMetaError(taken, 400, 200000, { message: '(#200000) Cannot add phone number to WhatsApp Business Account' });
      expect(taken.body.error.error_data.details).toMatch(/another WhatsApp Business Account/);
      // Our system user cannot see that WABA at all.
      expectMetaError(await graph('GET', `${elsewhere.body.waba.id}/phone_numbers`), 403, 200);

      const { id, digits } = await addNumber();
      const again = await graph('POST', `${WABA_A.id}/phone_numbers`, { cc: '55', phone_number: digits.slice(2), verified_name: 'Padaria' });
      expectMetaError(again, 400, 200000);
      expect(again.body.error.error_data.details).toContain(id);
    });

    it('refuses a token without the WABA (200)', async () => {
      const { graph, control } = await setup();
      const other = await control('POST', 'tokens', { wabaIds: [WABA_B.id] });
      expectMetaError(await graph('POST', `${WABA_A.id}/phone_numbers`, { cc: '55', phone_number: nationalNumber(), verified_name: 'X' }, other.body.token), 403, 200);
    });
  });

  describe('POST /{phone-number-id}/request_code', () => {
    it('"texts" a 6-digit code that the control API shows as JSON and on a page', async () => {
      const { graph, control, addNumber } = await setup();
      const { id, digits } = await addNumber();
      expect((await graph('POST', `${id}/request_code`, { code_method: 'SMS', language: 'pt_BR' })).body).toEqual({ success: true });
      const sms = await control('GET', `sms?phone=%2B${digits}`);
      expect(sms.body).toEqual({
        phone: digits,
        latest: { phone: digits, phoneNumberId: id, code: expect.stringMatching(/^\d{6}$/), method: 'SMS', language: 'pt_BR', text: expect.stringContaining('WhatsApp Business'), sentAt: expect.any(String) },
        messages: [expect.objectContaining({ phoneNumberId: id })],
      });
      const code: string = sms.body.latest.code;
      expect(sms.body.latest.text).toContain(`${code.slice(0, 3)}-${code.slice(3)}`);
      const page = await control('GET', `sms.html?phone=${digits}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<!doctype html>');
      expect(page.body).toContain(`${code.slice(0, 3)}-${code.slice(3)}`);
      expect((await control('GET', 'sms?phone=5500000000')).body).toEqual({ phone: '5500000000', latest: null, messages: [] });
      // Requested again (by voice this time): a new code replaces the first.
      await graph('POST', `${id}/request_code?code_method=VOICE&language=en_US`);
      const again = await control('GET', `sms?phone=${digits}`);
      expect(again.body.messages).toHaveLength(2);
      expect(again.body.latest).toMatchObject({ method: 'VOICE', language: 'en_US' });
    });

    it('refuses an unknown code_method or language with 100', async () => {
      const { graph, addNumber } = await setup();
      const { id } = await addNumber();
      expectMetaError(await graph('POST', `${id}/request_code`, { code_method: 'EMAIL', language: 'en_US' }), 400, 100);
      expectMetaError(await graph('POST', `${id}/request_code`, { code_method: 'SMS' }), 400, 100);
    });

    it('refuses too many requests with 136024 (subcode 2388091), also when the control API uses the allowance up', async () => {
      const { graph, control, addNumber } = await setup({ scenario: { maxCodeRequests: 2 } });
      const { id } = await addNumber();
      for (let i = 0; i < 2; i += 1) expect((await graph('POST', `${id}/request_code`, { code_method: 'SMS', language: 'en_US' })).status).toBe(200);
      const refused = await graph('POST', `${id}/request_code`, { code_method: 'SMS', language: 'en_US' });
      expectMetaError(refused, 400, 136024, { message: '(#136024) Request code error', error_subcode: 2388091, error_user_title: 'Try again later' });
      expect((await control('POST', 'limits', { phoneNumberId: id, limit: 'request_code', exhausted: false })).status).toBe(200);
      expect((await graph('POST', `${id}/request_code`, { code_method: 'SMS', language: 'en_US' })).status).toBe(200);

      const other = (await addNumber()).id;
      await control('POST', 'limits', { phoneNumberId: other, limit: 'request_code' });
      expectMetaError(await graph('POST', `${other}/request_code`, { code_method: 'SMS', language: 'en_US' }), 400, 136024);
    });

    it('refuses a number that is already verified with 136024', async () => {
      const { graph } = await setup();
      const refused = await graph('POST', `${NUMBER_A}/request_code`, { code_method: 'SMS', language: 'en_US' });
      expectMetaError(refused, 400, 136024);
      expect(refused.body.error.error_data.details).toMatch(/already verified/);
    });
  });

  describe('POST /{phone-number-id}/verify_code', () => {
    it('refuses a wrong code with 136025 and keeps waiting; the right code verifies the number', async () => {
      const { graph, addNumber, requestCode } = await setup();
      const { id, digits } = await addNumber();
      const code = await requestCode(id, digits);
      const wrong = code === '000000' ? '111111' : '000000';
      const refused = await graph('POST', `${id}/verify_code`, { code: wrong });
      expectMetaError(refused, 400, 136025, { message: '(#136025) Verify code error', error_user_title: 'Incorrect code' });
      expect((await graph('GET', `${id}?fields=code_verification_status`)).body.code_verification_status).toBe('NOT_VERIFIED');
      expect((await graph('POST', `${id}/verify_code?code=${code}`)).body).toEqual({ success: true });
      expect((await graph('GET', `${id}?fields=code_verification_status,status`)).body).toEqual({ id, code_verification_status: 'VERIFIED', status: 'PENDING' });
      // Done once: verifying again is refused, and so is asking for a code.
      expectMetaError(await graph('POST', `${id}/verify_code`, { code }), 400, 136025);
    });

    it('voids the code after too many wrong ones (136025, "Too many attempts"): a new code is needed', async () => {
      const { graph, addNumber, requestCode } = await setup({ scenario: { maxVerifyAttempts: 3 } });
      const { id, digits } = await addNumber();
      const code = await requestCode(id, digits);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 2; i += 1) expectMetaError(await graph('POST', `${id}/verify_code`, { code: wrong }), 400, 136025, { error_user_title: 'Incorrect code' });
      expectMetaError(await graph('POST', `${id}/verify_code`, { code: wrong }), 400, 136025, { error_user_title: 'Too many attempts' });
      const late = await graph('POST', `${id}/verify_code`, { code });
      expectMetaError(late, 400, 136025);
      expect(late.body.error.error_data.details).toMatch(/request one/);
      const fresh = await requestCode(id, digits);
      expect((await graph('POST', `${id}/verify_code`, { code: fresh })).status).toBe(200);
    });

    it('refuses an expired code, and a code when none was requested, with 136025', async () => {
      const { graph, addNumber, requestCode } = await setup({ scenario: { codeTtlMs: 20 } });
      const { id, digits } = await addNumber();
      expectMetaError(await graph('POST', `${id}/verify_code`, { code: '123456' }), 400, 136025, { error_user_title: 'Request a new code' });
      const code = await requestCode(id, digits);
      await new Promise((r) => setTimeout(r, 40));
      expectMetaError(await graph('POST', `${id}/verify_code`, { code }), 400, 136025, { error_user_title: 'Code expired' });
    });

    it('refuses a code that is not 6 digits with 100', async () => {
      const { graph, addNumber } = await setup();
      const { id } = await addNumber();
      expectMetaError(await graph('POST', `${id}/verify_code`, { code: '123-456' }), 400, 100);
      expectMetaError(await graph('POST', `${id}/verify_code`, {}), 400, 100);
    });
  });

  describe('POST /{phone-number-id}/register', () => {
    it('refuses a number not verified yet with 133006', async () => {
      const { graph, addNumber } = await setup();
      const { id } = await addNumber();
      expectMetaError(await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '246810' }), 400, 133006, {
        message: '(#133006) Phone number re-verification needed',
      });
    });

    it('sets the two-step PIN the first time; later a different PIN is 133005 and the same one succeeds', async () => {
      const { graph, onboardedNumber } = await setup();
      const { id } = await onboardedNumber('246810');
      expect((await graph('GET', `${id}?fields=status,platform_type,throughput`)).body).toEqual({ id, status: 'CONNECTED', platform_type: 'CLOUD_API', throughput: { level: 'STANDARD' } });
      const mismatch = await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '111111' });
      expectMetaError(mismatch, 400, 133005, { message: '(#133005) Two step verification PIN Mismatch' });
      expect((await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '246810' })).body).toEqual({ success: true });
      // The demo numbers' PIN is documented.
      expectMetaError(await graph('POST', `${NUMBER_A}/register`, { messaging_product: 'whatsapp', pin: '654321' }), 400, 133005);
      expect((await graph('POST', `${NUMBER_A}/register`, { messaging_product: 'whatsapp', pin: DEMO.pin })).status).toBe(200);
    });

    it('refuses wabahub’s PIN with 133005 when the owner set another one before (control API)', async () => {
      const { graph, control, addNumber, requestCode } = await setup();
      const { id, digits } = await addNumber();
      await control('POST', 'numbers/update', { phoneNumberId: id, pin: '999999' });
      await graph('POST', `${id}/verify_code`, { code: await requestCode(id, digits) });
      expectMetaError(await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '246810' }), 400, 133005);
      expect((await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '999999' })).status).toBe(200);
    });

    it('refuses a malformed PIN or product with 100', async () => {
      const { graph } = await setup();
      expectMetaError(await graph('POST', `${NUMBER_A}/register`, { messaging_product: 'whatsapp', pin: '12345' }), 400, 100);
      expectMetaError(await graph('POST', `${NUMBER_A}/register`, { pin: DEMO.pin }), 400, 100);
    });

    it('refuses the 11th register/deregister within 72 h with 133016, and at once when the control API forces it', async () => {
      const { graph, control } = await setup();
      for (let i = 0; i < 10; i += 1) {
        const path = i % 2 === 0 ? `${NUMBER_A}/deregister` : `${NUMBER_A}/register`;
        expect((await graph('POST', path, i % 2 === 0 ? undefined : { messaging_product: 'whatsapp', pin: DEMO.pin })).status).toBe(200);
      }
      expectMetaError(await graph('POST', `${NUMBER_A}/register`, { messaging_product: 'whatsapp', pin: DEMO.pin }), 400, 133016, {
        message: '(#133016) Account register/deregister rate limit exceeded',
      });
      expectMetaError(await graph('POST', `${NUMBER_A}/deregister`), 400, 133016);

      const other = WABA_B.numbers[0].id;
      expect((await control('POST', 'limits', { phoneNumberId: other, limit: 'register' })).status).toBe(200);
      expectMetaError(await graph('POST', `${other}/register`, { messaging_product: 'whatsapp', pin: DEMO.pin }), 400, 133016);
      await control('POST', 'limits', { phoneNumberId: other, limit: 'register', exhausted: false });
      expect((await graph('POST', `${other}/register`, { messaging_product: 'whatsapp', pin: DEMO.pin })).status).toBe(200);
    });
  });

  describe('POST /{phone-number-id}/deregister', () => {
    it('takes the number off Cloud API: it reads PENDING and its sends are refused with 133010 until registered again', async () => {
      const { graph, sim } = await setup();
      sim.openWindow(NUMBER_A, '5511955550001');
      expect((await graph('POST', `${NUMBER_A}/deregister`)).body).toEqual({ success: true });
      expect((await graph('GET', `${NUMBER_A}?fields=status,platform_type`)).body).toEqual({ id: NUMBER_A, status: 'PENDING', platform_type: 'NOT_APPLICABLE' });
      const send = () => graph('POST', `${NUMBER_A}/messages`, { messaging_product: 'whatsapp', to: '5511955550001', type: 'text', text: { body: 'Olá' } });
      expectMetaError(await send(), 400, 133010, { message: '(#133010) Account not registered' });
      expect((await graph('POST', `${NUMBER_A}/register`, { messaging_product: 'whatsapp', pin: DEMO.pin })).status).toBe(200);
      expect((await send()).status).toBe(200);
    });

    it('also happens through the control API (Meta or the owner deregistered the number)', async () => {
      const { graph, control } = await setup();
      expect((await control('POST', 'numbers/update', { phoneNumberId: NUMBER_A, registered: false })).body).toMatchObject({ id: NUMBER_A, registered: false });
      expect((await graph('GET', `${NUMBER_A}?fields=status`)).body.status).toBe('PENDING');
    });
  });

  describe('GET /{phone-number-id}?fields=health_status,...', () => {
    it('reports a registered number AVAILABLE through every entity, with the other fields asked for', async () => {
      const { graph } = await setup();
      const fields = 'health_status,status,quality_rating,name_status,messaging_limit_tier,throughput,verified_name,code_verification_status';
      expect((await graph('GET', `${NUMBER_A}?fields=${fields}`)).body).toEqual({
        id: NUMBER_A,
        health_status: {
          can_send_message: 'AVAILABLE',
          entities: [
            { entity_type: 'PHONE_NUMBER', id: NUMBER_A, can_send_message: 'AVAILABLE' },
            { entity_type: 'WABA', id: WABA_A.id, can_send_message: 'AVAILABLE' },
            { entity_type: 'BUSINESS', id: DEMO.businessId, can_send_message: 'AVAILABLE' },
            { entity_type: 'APP', id: DEMO.appId, can_send_message: 'AVAILABLE' },
          ],
        },
        status: 'CONNECTED',
        quality_rating: 'GREEN',
        name_status: 'APPROVED',
        messaging_limit_tier: 'TIER_1K',
        throughput: { level: 'STANDARD' },
        verified_name: 'Loja Demo',
        code_verification_status: 'VERIFIED',
      });
    });

    it('reports an unverified, unregistered number BLOCKED, with each error and its possible solution', async () => {
      const { graph, addNumber } = await setup();
      const { id } = await addNumber();
      const health = (await graph('GET', `${id}?fields=health_status`)).body.health_status;
      expect(health.can_send_message).toBe('BLOCKED');
      expect(health.entities[0]).toEqual({
        entity_type: 'PHONE_NUMBER',
        id,
        can_send_message: 'BLOCKED',
        errors: [
          { error_code: 133006, error_description: expect.stringMatching(/not been verified/), possible_solution: expect.stringMatching(/request_code/) },
          { error_code: 133010, error_description: expect.stringMatching(/not registered/), possible_solution: expect.stringMatching(/register/) },
        ],
      });
      expect(health.entities.slice(1).map((e: Json) => e.can_send_message)).toEqual(['AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
    });

    it('reports the problems the control API sets on an entity (Meta’s payment-method error here), until cleared', async () => {
      const { graph, control } = await setup();
      const issue = {
        entityType: 'WABA',
        id: WABA_A.id,
        canSendMessage: 'LIMITED',
        errorCode: 141006,
        errorDescription: 'There is an error with the payment method. This will block business initiated conversations.',
        possibleSolution: 'There was an error with your payment method. Please add a new payment method to the account.',
      };
      expect((await control('POST', 'health', issue)).body).toEqual(issue);
      const health = (await graph('GET', `${NUMBER_A}?fields=health_status`)).body.health_status;
      expect(health.can_send_message).toBe('LIMITED');
      expect(health.entities[1]).toEqual({
        entity_type: 'WABA',
        id: WABA_A.id,
        can_send_message: 'LIMITED',
        errors: [{ error_code: 141006, error_description: issue.errorDescription, possible_solution: issue.possibleSolution }],
      });
      await control('POST', 'health', { entityType: 'APP', canSendMessage: 'BLOCKED', errorCode: 141000, errorDescription: 'App restricted', possibleSolution: 'Appeal' });
      expect((await graph('GET', `${NUMBER_A}?fields=health_status`)).body.health_status.can_send_message).toBe('BLOCKED');
      await control('DELETE', 'health');
      expect((await graph('GET', `${NUMBER_A}?fields=health_status`)).body.health_status.can_send_message).toBe('AVAILABLE');
      expect((await control('POST', 'health', { entityType: 'NUMBER', errorCode: 1 })).status).toBe(400);
    });

    it('answers health_status on a WABA too, without a PHONE_NUMBER entity', async () => {
      const { graph } = await setup();
      expect((await graph('GET', `${WABA_B.id}?fields=health_status`)).body.health_status.entities.map((e: Json) => e.entity_type)).toEqual(['WABA', 'BUSINESS', 'APP']);
    });

    it('answers 190 (subcode 463) to an expired token instead, and 100 to a field numbers do not have', async () => {
      const { graph, control } = await setup();
      const token = (await control('POST', 'tokens', { wabaIds: [WABA_A.id] })).body.token;
      expect((await graph('GET', `${NUMBER_A}?fields=health_status`, undefined, token)).status).toBe(200);
      await control('POST', 'tokens/expire', { token });
      expectMetaError(await graph('GET', `${NUMBER_A}?fields=health_status`, undefined, token), 401, 190, { error_subcode: 463 });
      expectMetaError(await graph('GET', `${NUMBER_A}?fields=health`), 400, 100, { message: '(#100) Tried accessing nonexisting field (health) on node type (WhatsAppBusinessPhoneNumber)' });
    });
  });

  describe('/{waba-id}/subscribed_apps', () => {
    it('POST fails with (#100) while the app has no webhook callback URL; then subscribes; GET lists; DELETE unsubscribes', async () => {
      const { graph, control, receiver, sim } = await setup();
      const waba = (await control('POST', 'wabas', { name: 'Nova Loja' })).body;
      await control('POST', 'app', { webhookUrl: null });
      const refused = await graph('POST', `${waba.id}/subscribed_apps`);
      expectMetaError(refused, 400, 100);
      expect(refused.body.error.message).toMatch(/^\(#100\) The app has no callback URL/);
      await control('POST', 'app', { webhookUrl: receiver.url });
      expect((await graph('GET', `${waba.id}/subscribed_apps`)).body).toEqual({ data: [] });
      expect((await graph('POST', `${waba.id}/subscribed_apps`)).body).toEqual({ success: true });
      expect((await graph('GET', `${waba.id}/subscribed_apps`)).body.data).toEqual([
        { whatsapp_business_api_data: { id: DEMO.appId, link: expect.any(String), name: expect.any(String) } },
      ]);
      expect((await graph('DELETE', `${waba.id}/subscribed_apps`)).body).toEqual({ success: true });
      expect((await graph('GET', `${waba.id}/subscribed_apps`)).body).toEqual({ data: [] });
      expect(sim.state.wabas.get(waba.id)!.subscribed).toBe(false);
    });

    it('also fails with (#100) when the app webhook does not listen to messages', async () => {
      const { graph, control } = await setup();
      await control('POST', 'app', { fields: ['account_update'] });
      expectMetaError(await graph('POST', `${WABA_A.id}/subscribed_apps`), 400, 100);
    });

    it('a WABA the control API unsubscribes gets no more webhooks, until subscribed again', async () => {
      const { graph, control, sim } = await setup();
      expect((await control('POST', 'wabas/update', { wabaId: WABA_A.id, subscribed: false })).body).toMatchObject({ subscribed: false });
      expect((await graph('GET', `${WABA_A.id}/subscribed_apps`)).body).toEqual({ data: [] });
      const skipped = await sim.sendInbound({ phoneNumberId: NUMBER_A });
      expect(skipped.delivery.skipped).toBe('waba_not_subscribed');
      await graph('POST', `${WABA_A.id}/subscribed_apps`);
      expect((await sim.sendInbound({ phoneNumberId: NUMBER_A })).delivery.acknowledged).toBe(true);
    });
  });

  describe('/{app-id}/subscriptions', () => {
    const appToken = `${DEMO.appId}|${DEMO.appSecret}`;

    it('reads the app webhook with the app token, removes it, and sets it again after Meta’s handshake', async () => {
      const { graph, receiver } = await setup();
      expect((await graph('GET', `${DEMO.appId}/subscriptions`, undefined, appToken)).body).toEqual({
        data: [{ object: 'whatsapp_business_account', callback_url: receiver.url, active: true, fields: expect.arrayContaining([{ name: 'messages', version: 'v21.0' }]) }],
      });
      expect((await graph('DELETE', `${DEMO.appId}/subscriptions?object=whatsapp_business_account`, undefined, appToken)).body).toEqual({ success: true });
      expect((await graph('GET', `${DEMO.appId}/subscriptions`, undefined, appToken)).body).toEqual({ data: [] });
      expectMetaError(await graph('POST', `${WABA_A.id}/subscribed_apps`), 400, 100);

      const set = { object: 'whatsapp_business_account', callback_url: receiver.url, fields: 'messages,account_update', verify_token: 'wrong' };
      expectMetaError(await graph('POST', `${DEMO.appId}/subscriptions`, set, appToken), 400, 2200);
      expect((await graph('POST', `${DEMO.appId}/subscriptions`, { ...set, verify_token: DEMO.verifyToken }, appToken)).body).toEqual({ success: true });
      expect((await graph('GET', `${DEMO.appId}/subscriptions`, undefined, appToken)).body.data[0].fields).toEqual([
        { name: 'messages', version: 'v21.0' },
        { name: 'account_update', version: 'v21.0' },
      ]);
      expect((await graph('POST', `${WABA_A.id}/subscribed_apps`)).body).toEqual({ success: true });
    });

    it('wants the app token: (#15) for a user or system token, 190 for a wrong one', async () => {
      const { graph } = await setup();
      expectMetaError(await graph('GET', `${DEMO.appId}/subscriptions`), 400, 15, { message: '(#15) This method must be called with an app access_token.' });
      expectMetaError(await graph('GET', `${DEMO.appId}/subscriptions`, undefined, `${DEMO.appId}|nope`), 401, 190);
    });
  });

  describe('Embedded Signup: /oauth/access_token and /debug_token', () => {
    const exchange = (sim: MetaSimulator, code: string) =>
      fetch(`${sim.url}/v21.0/oauth/access_token?client_id=${DEMO.appId}&client_secret=${DEMO.appSecret}&code=${encodeURIComponent(code)}`).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));
    const debug = (sim: MetaSimulator, token: string) =>
      fetch(`${sim.url}/v21.0/debug_token?input_token=${token}`, { headers: { authorization: `Bearer ${DEMO.appId}|${DEMO.appSecret}` } }).then(async (r) => (await r.json()) as Json);

    it('trades a code for a business token whose granular_scopes name the WABA; a reused, unknown or expired code is 100', async () => {
      const { sim, control } = await setup();
      const { code } = (await control('POST', 'codes', { wabaId: WABA_B.id })).body;
      const token = (await exchange(sim, code)).body.access_token;
      expect((await debug(sim, token)).data).toMatchObject({
        is_valid: true,
        type: 'USER',
        scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'],
        granular_scopes: [
          { scope: 'whatsapp_business_management', target_ids: [WABA_B.id] },
          { scope: 'whatsapp_business_messaging', target_ids: [WABA_B.id] },
        ],
      });
      expectMetaError(await exchange(sim, code), 400, 100, { message: 'This authorization code has been used.', error_subcode: 36009 });
      expectMetaError(await exchange(sim, 'AQnotacode'), 400, 100, { error_subcode: 36008 });
      const stale = sim.createCode({ wabaId: WABA_B.id });
      stale.expiresAt = Date.now() - 1;
      expectMetaError(await exchange(sim, stale.code), 400, 100, { message: 'This authorization code has expired.', error_subcode: 36007 });
    });

    it('reports the system token’s WABAs and business; a WABA taken out of a token’s scopes leaves debug_token and answers 200', async () => {
      const { sim, graph, control } = await setup();
      expect((await debug(sim, DEMO.systemToken)).data.granular_scopes).toEqual([
        { scope: 'whatsapp_business_management', target_ids: [WABA_A.id, WABA_B.id] },
        { scope: 'whatsapp_business_messaging', target_ids: [WABA_A.id, WABA_B.id] },
        { scope: 'business_management', target_ids: [DEMO.businessId] },
      ]);
      const token = (await control('POST', 'tokens', { wabaIds: [WABA_A.id, WABA_B.id] })).body.token;
      // Messaging unticked on WABA A: it can still be managed, not messaged from.
      await control('POST', 'tokens/scopes', { token, wabaId: WABA_A.id, scopes: ['whatsapp_business_management'] });
      expect((await debug(sim, token)).data.granular_scopes).toEqual([
        { scope: 'whatsapp_business_management', target_ids: [WABA_B.id, WABA_A.id] },
        { scope: 'whatsapp_business_messaging', target_ids: [WABA_B.id] },
      ]);
      expect((await graph('GET', `${WABA_A.id}/phone_numbers`, undefined, token)).status).toBe(200);
      sim.openWindow(NUMBER_A, '5511955550002');
      expectMetaError(await graph('POST', `${NUMBER_A}/messages`, { messaging_product: 'whatsapp', to: '5511955550002', type: 'text', text: { body: 'x' } }, token), 403, 200);
      // WABA A out of the token altogether.
      await control('POST', 'tokens/scopes', { token, wabaId: WABA_A.id, scopes: [] });
      expect((await debug(sim, token)).data.granular_scopes.every((g: Json) => !g.target_ids.includes(WABA_A.id))).toBe(true);
      expectMetaError(await graph('GET', `${WABA_A.id}/phone_numbers`, undefined, token), 403, 200);
      expect((await control('POST', 'tokens/scopes', { token, wabaId: WABA_A.id, scopes: ['ads_management'] })).status).toBe(400);
    });

    it('hands out a code whose token lacks the WABA (or its messaging scope) when the control API says so', async () => {
      const { sim, graph, control } = await setup();
      const bare = (await control('POST', 'codes', { wabaId: WABA_B.id, scopes: [] })).body.code;
      const token = (await exchange(sim, bare)).body.access_token;
      expect((await debug(sim, token)).data).toMatchObject({ is_valid: true, scopes: ['public_profile'], granular_scopes: [] });
      expectMetaError(await graph('GET', `${WABA_B.id}/phone_numbers`, undefined, token), 403, 200);
      const managing = (await control('POST', 'codes', { wabaId: WABA_B.id, scopes: ['whatsapp_business_management'] })).body.code;
      expect((await debug(sim, (await exchange(sim, managing)).body.access_token)).data.granular_scopes).toEqual([{ scope: 'whatsapp_business_management', target_ids: [WABA_B.id] }]);
      expect((await control('POST', 'codes', { wabaId: WABA_B.id, scopes: ['email'] })).status).toBe(400);
    });

    it('expires the business tokens of a WABA, which the test never saw', async () => {
      const { sim, graph, control } = await setup();
      const token = (await exchange(sim, (await control('POST', 'codes', { wabaId: WABA_B.id })).body.code)).body.access_token;
      expect((await graph('GET', `${WABA_B.id}/phone_numbers`, undefined, token)).status).toBe(200);
      expect((await control('POST', 'tokens/expire', { wabaId: WABA_B.id })).body).toEqual([expect.objectContaining({ token, kind: 'business' })]);
      expectMetaError(await graph('GET', `${WABA_B.id}/phone_numbers`, undefined, token), 401, 190, { error_subcode: 463 });
      expect((await graph('GET', `${WABA_B.id}/phone_numbers`)).status).toBe(200); // the system token is untouched
    });

    it('reports an expired token invalid with 190/463', async () => {
      const { sim, control } = await setup();
      const token = (await control('POST', 'tokens', { wabaIds: [WABA_A.id] })).body.token;
      await control('POST', 'tokens/expire', { token });
      expect((await debug(sim, token)).data).toMatchObject({ is_valid: false, error: { code: 190, subcode: 463 } });
    });
  });

  describe('control API', () => {
    it('sends the first customer message to a just-onboarded number on request (POST /_sim/inbound)', async () => {
      const { control, receiver, onboardedNumber } = await setup();
      const { id, digits } = await onboardedNumber();
      const first = await control('POST', 'inbound', { phoneNumberId: id, from: '5511955550003', text: 'Oi, vocês abrem hoje?', wait: true });
      expect(first.body).toMatchObject({ message_id: expect.stringMatching(/^wamid\./), from: '5511955550003', delivery: { acknowledged: true } });
      const hook = receiver.received.at(-1)!;
      expect((hook.body as Json).entry[0]).toMatchObject({
        id: WABA_A.id,
        changes: [{ field: 'messages', value: { metadata: { display_phone_number: digits, phone_number_id: id }, messages: [{ text: { body: 'Oi, vocês abrem hoje?' } }] } }],
      });
    });

    it('changes a number’s quality and limit tier, announcing each with a phone_number_quality_update webhook', async () => {
      const { graph, control, receiver } = await setup();
      await control('POST', 'numbers/update', { phoneNumberId: NUMBER_A, messagingLimitTier: 'TIER_10K' });
      const upgrade = await receiver.waitFor(fieldIs('phone_number_quality_update'));
      expect((upgrade.body as Json).entry[0]).toMatchObject({
        id: WABA_A.id,
        time: expect.any(Number),
        changes: [{ field: 'phone_number_quality_update', value: { display_phone_number: WABA_A.numbers[0].displayPhoneNumber, event: 'UPGRADE', current_limit: 'TIER_10K' } }],
      });
      await control('POST', 'numbers/update', { phoneNumberId: NUMBER_A, quality: 'RED', status: 'FLAGGED' });
      const flagged = await receiver.waitFor((h) => fieldIs('phone_number_quality_update')(h) && JSON.stringify(h.body).includes('FLAGGED'));
      expect((flagged.body as Json).entry[0].changes[0].value.event).toBe('FLAGGED');
      expect((await graph('GET', `${NUMBER_A}?fields=quality_rating,status,messaging_limit_tier`)).body).toEqual({ id: NUMBER_A, quality_rating: 'RED', status: 'FLAGGED', messaging_limit_tier: 'TIER_10K' });
      expect((await control('POST', 'numbers/update', { phoneNumberId: NUMBER_A, quality: 'PURPLE' })).status).toBe(400);
    });

    it('lists businesses, SMS and health issues in the state snapshot', async () => {
      const { control, addNumber, requestCode } = await setup();
      const { id, digits } = await addNumber();
      await requestCode(id, digits);
      const business = (await control('POST', 'businesses', { name: 'Cliente Ltda' })).body;
      const state = (await control('GET', 'state')).body;
      expect(state.businessId).toBe(DEMO.businessId);
      expect(state.businesses.map((b: Json) => b.id)).toEqual(expect.arrayContaining([DEMO.businessId, business.id]));
      expect(state.sms).toEqual([expect.objectContaining({ phone: digits })]);
      expect(state.healthIssues).toEqual([]);
    });
  });

  it('plays quick setup end to end: find the WABA, add the number, read the SMS, verify, register, hear the first customer, answer', async () => {
    const { graph, control, receiver, sim } = await setup();
    const owned = (await graph('GET', `${DEMO.businessId}/owned_whatsapp_business_accounts`)).body.data;
    const numbers = await Promise.all(owned.map(async (w: Json) => (await graph('GET', `${w.id}/phone_numbers?fields=display_phone_number`)).body.data));
    const national = nationalNumber();
    expect(numbers.flat().some((n: Json) => n.display_phone_number.replace(/\D/g, '') === `55${national}`)).toBe(false);
    const { id } = (await graph('POST', `${owned[0].id}/phone_numbers`, { cc: '55', phone_number: national, verified_name: 'Barbearia Navalha' })).body;
    await graph('POST', `${id}/request_code`, { code_method: 'SMS', language: 'pt_BR' });
    const code = (await control('GET', `sms?phone=55${national}`)).body.latest.code;
    expect((await graph('POST', `${id}/verify_code`, { code })).body).toEqual({ success: true });
    expect((await graph('POST', `${id}/register`, { messaging_product: 'whatsapp', pin: '975310' })).body).toEqual({ success: true });
    expect((await graph('GET', `${owned[0].id}/subscribed_apps`)).body.data).toHaveLength(1);
    expect((await graph('GET', `${id}?fields=health_status,status,verified_name`)).body).toMatchObject({ health_status: { can_send_message: 'AVAILABLE' }, status: 'CONNECTED', verified_name: 'Barbearia Navalha' });
    await sim.sendInbound({ phoneNumberId: id, from: '5511955550004', text: 'Tem horário amanhã?' });
    expect(receiver.received.at(-1)!.raw.toString()).toContain(id);
    expect((await graph('POST', `${id}/messages`, { messaging_product: 'whatsapp', to: '5511955550004', type: 'text', text: { body: 'Temos às 10h!' } })).status).toBe(200);
    // Every state-changing call once in the log: add number, request code, verify, register.
    const changing = sim.requests().filter((r) => r.method === 'POST' && /phone_numbers|request_code|verify_code|register/.test(r.path));
    expect(changing.map((r) => r.path.split('/').at(-1))).toEqual(['phone_numbers', 'request_code', 'verify_code', 'register']);
  });
});
