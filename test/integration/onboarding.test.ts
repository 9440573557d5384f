import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '@wabahub/meta-simulator';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { makeRuleTemplate, makeTenant } from '../factories/index.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { subscribeLive } from '../setup/subscriptions.js';
import { publishProgress } from '../../server/src/modules/onboarding/onboarding.runner.js';
import {
  EMBEDDED_SIGNUP, RETRY, SUBMIT_CODE, readRun, smsCode, startQuickSetup, stateChangingCalls, stateIs, typedBrazilianNumber, waitForRun, type RunView,
} from '../setup/onboarding.js';

// Onboarding a client, both paths, against the simulator (Meta) with a real server, worker,
// Postgres and Redis. Each failure Meta can answer ends the run with an error naming its step and
// the fix; then the fix and retryOnboarding finish the run, and the simulator's log shows that no
// finished step was redone (each state-changing call made once).
// setup(): startOutboundHarness (simulator on a free port whose app webhook is the server's,
// server and worker in-process, this file's own queue prefix). Runs use the demo business and
// its first WABA as the operator's (the test environment's META_BUSINESS_ID / META_OPERATOR_WABA_ID).

let h: OutboundHarness;
let op: string;
let url: string;
beforeAll(async () => {
  h = await startOutboundHarness('onboarding', { sim: { templateReviewDelayMs: 20, scenario: { nameReviewDelayMs: 20 } } as never });
  op = h.server.operatorKey;
  url = h.server.url;
});
afterAll(async () => h?.close(), 60_000);

const OPERATOR_WABA = DEMO.wabas[0].id;
const stepOf = (run: RunView, name: string) => run.steps.find((s) => s.name === name)!;

/** Quick setup of a fresh number up to waiting_for_code. */
async function quickSetupWaitingForCode(extra: Record<string, unknown> = {}) {
  const { typed, digits } = typedBrazilianNumber();
  const started = await startQuickSetup(url, op, { businessName: 'Padaria Pão Quente', phoneNumber: typed, country: 'BR', ...extra });
  const waiting = await waitForRun(url, op, started.id, stateIs('waiting_for_code', 'failed'), 'the run waits for the SMS code');
  return { run: waiting, digits };
}

describe('onboarding: quick setup', () => {
  it('onboards a typed number Meta does not know: added to our WABA, code by SMS, registered, tenant and instance made, template applied, first message answered', async () => {
    const template = await makeRuleTemplate(h.server.core.services);
    const since = h.sim.requests().at(-1)?.seq ?? 0;
    const { run, digits } = await quickSetupWaitingForCode({ ruleTemplateId: template.id });
    expect(run.state).toBe('waiting_for_code');
    expect(run.wabaId).toBe(OPERATOR_WABA);
    expect(stepOf(run, 'find_number').state).toBe('succeeded');
    expect(stepOf(run, 'add_number').state).toBe('succeeded');
    expect(stepOf(run, 'verify_code').state).toBe('waiting');

    // A wrong code: a clear error naming the step; the run keeps waiting.
    const right = smsCode(h.sim, digits);
    const wrong = right === '000000' ? '111111' : '000000';
    const refused = await gql(url, op, SUBMIT_CODE, { runId: run.id, code: wrong });
    expect(codes(refused)).toEqual(['META_ERROR']);
    expect(refused.errors![0].message).toMatch(/^verify_code: .*136025.*Fix: /);
    const still = await readRun(url, op, run.id);
    expect(still.state).toBe('waiting_for_code');
    expect(stepOf(still, 'verify_code').error).toMatchObject({ step: 'verify_code', code: 136025 });

    await gqlOk(url, op, SUBMIT_CODE, { runId: run.id, code: right.replace(/(\d{3})(\d{3})/, '$1-$2') });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the run succeeds');
    expect(done.state).toBe('succeeded');
    expect(done.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'find_number:succeeded', 'add_number:succeeded', 'request_code:succeeded', 'verify_code:succeeded', 'register:succeeded', 'subscribe_app:skipped',
      'read_number:succeeded', 'create_tenant:succeeded', 'apply_template:succeeded', 'verify_first_message:succeeded',
    ]);
    // The API key's secret, once.
    const secretQuery = `query($id: ID!) { onboardingRun(id: $id) { apiKeySecret tenant { name } phoneNumber { phoneNumberId status qualityRating nameStatus messagingLimitTier throughputTier } instance { id name } } }`;
    const first = (await gqlOk(url, op, secretQuery, { id: run.id })).onboardingRun;
    expect(first.apiKeySecret).toMatch(/^whk_/);
    expect(first.tenant.name).toBe('Padaria Pão Quente');
    expect(first.phoneNumber).toMatchObject({ phoneNumberId: done.metaPhoneNumberId, status: 'connected', messagingLimitTier: 'TIER_250', throughputTier: 80 });
    expect((await gqlOk(url, op, secretQuery, { id: run.id })).onboardingRun.apiKeySecret).toBeNull();
    // The new key works, and sees its tenant's run.
    const tenantView = await gqlOk(url, first.apiKeySecret, `query { onboardingRuns { edges { node { id state } } } }`);
    expect(tenantView.onboardingRuns.edges).toEqual([{ node: { id: run.id, state: 'succeeded' } }]);
    // The instance answered its first customer (the template's greeting).
    await eventually(async () => h.sim.messages({ phoneNumberId: done.metaPhoneNumberId! }).some((m) => JSON.stringify(m.body).includes('Bem-vindo à Padaria Pão Quente')), 'the greeting reaches the customer');
    expect(stateChangingCalls(h.sim, { wabaId: OPERATOR_WABA, phoneNumberId: done.metaPhoneNumberId }, since)).toMatchObject({
      addNumber: { all: 1, ok: 1 }, requestCode: { all: 1, ok: 1 }, register: { all: 1, ok: 1 }, subscribe: { all: 0 }, verifyCode: { all: 2, ok: 1 },
    });
  });

  it('parses "+55 11 9 8765 4321" and finds a number already on a WABA the system user sees: nothing added, no code asked', async () => {
    const { digits } = typedBrazilianNumber();
    const waba = h.sim.createWaba({ name: 'Cliente Existente', subscribed: false });
    const number = h.sim.createNumber({ wabaId: waba.id, displayPhoneNumber: digits, verifiedName: 'Ótica Central', registered: false });
    const typed = `+${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 5)} ${digits.slice(5, 9)} ${digits.slice(9)}`;
    const since = h.sim.requests().at(-1)?.seq ?? 0;
    const run = await startQuickSetup(url, op, { businessName: 'Ótica Central', phoneNumber: typed });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the run succeeds');
    expect(done.state).toBe('succeeded');
    expect(done.metaPhoneNumberId).toBe(number.id);
    expect(done.steps.filter((s) => s.state === 'skipped').map((s) => s.name)).toEqual(['add_number', 'request_code', 'apply_template']);
    expect(stateChangingCalls(h.sim, { wabaId: waba.id, phoneNumberId: number.id }, since)).toMatchObject({
      addNumber: { all: 0 }, requestCode: { all: 0 }, register: { all: 1, ok: 1 }, subscribe: { all: 1, ok: 1 },
    });
  });

  it('refuses a number that cannot be one, naming the field', async () => {
    const answer = await gql(url, op, `mutation($input: QuickSetupInput!) { quickSetup(input: $input) { id } }`, { input: { businessName: 'X', phoneNumber: '(11) 1234', country: 'BR' } });
    expect(codes(answer)).toEqual(['VALIDATION_FAILED']);
    expect(answer.errors![0].message).toMatch(/^phoneNumber: /);
  });

  it('a number on another business\'s WABA fails at add_number with the fix; once freed there, retry finishes without redoing find_number', async () => {
    const { digits } = typedBrazilianNumber();
    const elsewhere = h.sim.placeNumberElsewhere({ displayPhoneNumber: digits });
    const run = await startQuickSetup(url, op, { businessName: 'Loja da Esquina', phoneNumber: `+${digits}` });
    const failed = await waitForRun(url, op, run.id, stateIs('failed', 'waiting_for_code'), 'the run fails');
    expect(failed.state).toBe('failed');
    expect(failed.currentStep).toBe('add_number');
    expect(stepOf(failed, 'add_number').error).toMatchObject({ step: 'add_number', code: 200000, fix: expect.stringMatching(/another business/) });
    // The fix: its owner deletes it there.
    h.sim.state.numbers.delete(elsewhere.number.id);
    const since = h.sim.requests().at(-1)?.seq ?? 0;
    await gqlOk(url, op, RETRY, { runId: run.id });
    const waiting = await waitForRun(url, op, run.id, stateIs('waiting_for_code', 'failed'), 'the retried run waits for its code');
    expect(waiting.state).toBe('waiting_for_code');
    expect(stepOf(waiting, 'find_number').attempts).toBe(1);
    const after = h.sim.requests({ since });
    expect(after.some((e) => e.path.includes('owned_whatsapp_business_accounts'))).toBe(false);
  });

  it('the app webhook missing fails at subscribe_app with the fix; set, retry finishes, registering once', async () => {
    const { digits } = typedBrazilianNumber();
    const waba = h.sim.createWaba({ name: 'Sem Webhook', subscribed: false });
    const number = h.sim.createNumber({ wabaId: waba.id, displayPhoneNumber: digits, verifiedName: 'Sem Webhook', registered: false });
    h.sim.configureApp({ webhookUrl: null });
    let run: RunView;
    try {
      run = await startQuickSetup(url, op, { businessName: 'Sem Webhook', phoneNumber: `+${digits}` });
      const failed = await waitForRun(url, op, run.id, stateIs('failed'), 'the run fails at subscribe_app');
      expect(failed.currentStep).toBe('subscribe_app');
      expect(stepOf(failed, 'subscribe_app').error).toMatchObject({ step: 'subscribe_app', code: 100, fix: expect.stringMatching(/webhook/) });
    } finally {
      h.sim.configureApp({ webhookUrl: `${url}/webhooks/whatsapp` });
    }
    await gqlOk(url, op, RETRY, { runId: run.id });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the retried run succeeds');
    expect(done.state).toBe('succeeded');
    expect(stateChangingCalls(h.sim, { wabaId: waba.id, phoneNumberId: number.id })).toMatchObject({ register: { all: 1, ok: 1 }, subscribe: { all: 2, ok: 1 } });
  });

  it('a wrong two-step PIN fails at register (133005) with the fix; retry with the PIN finishes', async () => {
    const { digits } = typedBrazilianNumber();
    const waba = h.sim.createWaba({ name: 'Com PIN', subscribed: true });
    const number = h.sim.createNumber({ wabaId: waba.id, displayPhoneNumber: digits, verifiedName: 'Com PIN', registered: false, pin: '424242' });
    const run = await startQuickSetup(url, op, { businessName: 'Com PIN', phoneNumber: `+${digits}` });
    const failed = await waitForRun(url, op, run.id, stateIs('failed'), 'the run fails at register');
    expect(stepOf(failed, 'register').error).toMatchObject({ step: 'register', code: 133005, fix: expect.stringMatching(/PIN/) });
    await gqlOk(url, op, RETRY, { runId: run.id, pin: '424242' });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the retried run succeeds');
    expect(done.state).toBe('succeeded');
    expect(stateChangingCalls(h.sim, { wabaId: waba.id, phoneNumberId: number.id })).toMatchObject({ register: { all: 2, ok: 1 } });
  });

  it("Meta's register rate limit fails at register (133016) with the fix; once restored, retry finishes", async () => {
    const { digits } = typedBrazilianNumber();
    const waba = h.sim.createWaba({ name: 'Limite', subscribed: true });
    const number = h.sim.createNumber({ wabaId: waba.id, displayPhoneNumber: digits, verifiedName: 'Limite', registered: false });
    h.sim.setLimit(number.id, 'register', true);
    const run = await startQuickSetup(url, op, { businessName: 'Limite', phoneNumber: `+${digits}` });
    const failed = await waitForRun(url, op, run.id, stateIs('failed'), 'the run fails at register');
    expect(stepOf(failed, 'register').error).toMatchObject({ step: 'register', code: 133016, fix: expect.stringMatching(/72 hours/) });
    h.sim.setLimit(number.id, 'register', false);
    await gqlOk(url, op, RETRY, { runId: run.id });
    expect((await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the retried run succeeds')).state).toBe('succeeded');
  });

  it('is the operator\'s: a tenant key cannot start one', async () => {
    const { key } = await makeTenant(h.server.core.services);
    const answer = await gql(url, key, `mutation { quickSetup(input: { businessName: "X", phoneNumber: "+5511987654321" }) { id } }`);
    expect(codes(answer)).toEqual(['FORBIDDEN']);
  });
});

/** A client's own WABA (its own business, shared with ours through Embedded Signup) with one unregistered number, and a fresh code. */
function clientSignup(scopes?: string[]) {
  const business = h.sim.createBusiness({ name: 'Cliente ES' });
  const waba = h.sim.createWaba({ name: 'Doceria Açúcar', ownerBusinessId: business.id, partnerBusinessIds: [DEMO.businessId], grantTo: [] });
  const number = h.sim.createNumber({ wabaId: waba.id, displayPhoneNumber: typedBrazilianNumber().digits, verifiedName: 'Doceria Açúcar', registered: false });
  const code = h.sim.createCode({ wabaId: waba.id, phoneNumberId: number.id, ...(scopes ? { scopes } : {}) });
  return { waba, number, code: code.code };
}

async function startSignup(key: string, input: { code: string; wabaId: string; phoneNumberId: string }, extra: Record<string, unknown> = {}) {
  return (await gqlOk<{ startEmbeddedSignup: RunView }>(url, key, EMBEDDED_SIGNUP, { input: { ...input, businessName: 'Doceria Açúcar', ...extra } })).startEmbeddedSignup;
}

describe('onboarding: Embedded Signup', () => {
  it("exchanges the code, checks the token's scopes, subscribes, registers, keeps the business token on the number; the doctor then finds and fixes an unsubscribed WABA and an unregistered number, and reports an expired token", async () => {
    const { waba, number, code } = clientSignup();
    const run = await startSignup(op, { code, wabaId: waba.id, phoneNumberId: number.id });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the run succeeds');
    expect(done.steps.map((s) => `${s.name}:${s.state}`)).toEqual([
      'exchange_code:succeeded', 'check_token:succeeded', 'read_numbers:succeeded', 'subscribe_app:succeeded', 'register:succeeded', 'read_number:succeeded',
      'create_tenant:succeeded', 'apply_template:skipped', 'verify_first_message:succeeded',
    ]);
    const [row] = await h.server.core.database.sql`select access_token, two_step_pin from phone_numbers where phone_number_id = ${number.id}`;
    expect(row.access_token).toMatchObject({ v: 1, data: expect.any(String) });
    expect(row.two_step_pin).toMatchObject({ v: 1 });
    // Meta's calls were made with the client's business token.
    const register = h.sim.requests({ target: number.id }).find((e) => e.path.endsWith('/register'))!;
    expect(register.auth).toBe('business');

    // The doctor: all is well...
    const DIAGNOSE = `query($id: ID!) { diagnosePhoneNumber(id: $id) { status checks { name status summary fix fixAction } phoneNumber { status metaStatus } } }`;
    const FIX = `mutation($id: ID!, $action: String!) { fixPhoneNumber(id: $id, action: $action) { status checks { name status summary fix fixAction } } }`;
    type Check = { name: string; status: string; summary: string; fix: string | null; fixAction: string | null };
    const checkOf = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;
    const healthy = (await gqlOk(url, op, DIAGNOSE, { id: number.id })).diagnosePhoneNumber;
    expect(healthy.checks.filter((c: Check) => c.status === 'fail')).toEqual([]);
    expect(healthy.checks.map((c: Check) => c.name)).toEqual(['token', 'app_webhook', 'waba_subscribed', 'registered', 'quality_and_name', 'messaging_limit', 'health_status', 'templates', 'last_webhook']);
    // ...until the WABA drops our app and the number is deregistered.
    h.sim.updateWaba(waba.id, { subscribed: false });
    h.sim.updateNumber(number.id, { registered: false });
    const sick = (await gqlOk(url, op, DIAGNOSE, { id: number.id })).diagnosePhoneNumber;
    expect(sick.status).toBe('fail');
    expect(checkOf(sick.checks, 'waba_subscribed')).toMatchObject({ status: 'fail', fixAction: 'subscribe' });
    expect(checkOf(sick.checks, 'registered')).toMatchObject({ status: 'fail', fixAction: 'register' });
    expect(checkOf(sick.checks, 'health_status').status).not.toBe('ok');
    expect(sick.phoneNumber.status).toBe('pending');
    const subscribed = (await gqlOk(url, op, FIX, { id: number.id, action: 'subscribe' })).fixPhoneNumber;
    expect(checkOf(subscribed.checks, 'waba_subscribed').status).toBe('ok');
    const registered = (await gqlOk(url, op, FIX, { id: number.id, action: 'register' })).fixPhoneNumber;
    expect(checkOf(registered.checks, 'registered').status).toBe('ok');
    expect(registered.checks.filter((c: Check) => c.status === 'fail')).toEqual([]);
    // An expired business token: reported with its fix.
    h.sim.expireBusinessTokens(waba.id);
    const expired = (await gqlOk(url, op, DIAGNOSE, { id: number.id })).diagnosePhoneNumber;
    expect(checkOf(expired.checks, 'token')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/Connect WhatsApp again/) });
    expect(checkOf(expired.checks, 'waba_subscribed')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/190/) });
    // The doctor is the operator's.
    const { key } = await makeTenant(h.server.core.services);
    expect(codes(await gql(url, key, DIAGNOSE, { id: number.id }))).toEqual(['FORBIDDEN']);
  });

  it('a reused code fails at exchange_code (100/36009) with the fix; retry with a new code finishes, subscribing and registering once', async () => {
    const first = clientSignup();
    await waitForRun(url, op, (await startSignup(op, { code: first.code, wabaId: first.waba.id, phoneNumberId: first.number.id })).id, stateIs('succeeded', 'failed'), 'the first run ends');
    // The same code again, for another of the client's numbers.
    const other = h.sim.createNumber({ wabaId: first.waba.id, displayPhoneNumber: typedBrazilianNumber().digits, verifiedName: 'Doceria Filial', registered: false });
    const run = await startSignup(op, { code: first.code, wabaId: first.waba.id, phoneNumberId: other.id }, { businessName: 'Doceria Filial' });
    const failed = await waitForRun(url, op, run.id, stateIs('failed', 'succeeded'), 'the run fails');
    expect(failed.state).toBe('failed');
    expect(stepOf(failed, 'exchange_code').error).toMatchObject({ step: 'exchange_code', code: 100, fix: expect.stringMatching(/already used/) });
    const fresh = h.sim.createCode({ wabaId: first.waba.id, phoneNumberId: other.id });
    await gqlOk(url, op, RETRY, { runId: run.id, code: fresh.code });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the retried run succeeds');
    expect(done.state).toBe('succeeded');
    expect(stateChangingCalls(h.sim, { wabaId: first.waba.id, phoneNumberId: other.id })).toMatchObject({ register: { all: 1, ok: 1 } });
  });

  it("a token without the WABA in its scopes fails at check_token with the fix; a new code with the scopes finishes without redoing the exchange's later steps", async () => {
    const { waba, number, code } = clientSignup([]);
    const run = await startSignup(op, { code, wabaId: waba.id, phoneNumberId: number.id });
    const failed = await waitForRun(url, op, run.id, stateIs('failed', 'succeeded'), 'the run fails');
    expect(failed.currentStep).toBe('check_token');
    expect(stepOf(failed, 'check_token').error).toMatchObject({ step: 'check_token', message: expect.stringMatching(/no whatsapp_business_management on WABA/), fix: expect.stringMatching(/Connect WhatsApp again/) });
    expect(stepOf(failed, 'read_numbers').attempts).toBe(0);
    await gqlOk(url, op, RETRY, { runId: run.id, code: h.sim.createCode({ wabaId: waba.id, phoneNumberId: number.id }).code });
    const done = await waitForRun(url, op, run.id, stateIs('succeeded', 'failed'), 'the retried run succeeds');
    expect(done.state).toBe('succeeded');
    expect(stateChangingCalls(h.sim, { wabaId: waba.id, phoneNumberId: number.id })).toMatchObject({ register: { all: 1, ok: 1 }, subscribe: { all: 1, ok: 1 } });
  });
});

describe('onboarding: invites', () => {
  const CREATE_INVITE = `mutation($input: CreateOnboardingInviteInput) { createOnboardingInvite(input: $input) { id token businessName expiresAt simulatorSignupUrl } }`;

  it("an invite link runs one onboarding without a key, sees only its own run, and is spent by it", async () => {
    const invite = (await gqlOk(url, op, CREATE_INVITE, { input: { businessName: 'Floricultura', expiresInHours: 2 } })).createOnboardingInvite;
    expect(invite.token).toMatch(/^whi_/);
    expect(invite.simulatorSignupUrl).toContain('/dialog/embedded-signup?app_id=');
    const page = (await gqlOk(url, invite.token, `query { onboardingInvite { businessName usedAt runId } }`)).onboardingInvite;
    expect(page).toEqual({ businessName: 'Floricultura', usedAt: null, runId: null });
    // Nothing else runs with it.
    const other = await gql(url, invite.token, `query { tenants { totalCount } }`);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    const { waba, number, code } = clientSignup();
    const run = await startSignup(invite.token, { code, wabaId: waba.id, phoneNumberId: number.id }, { businessName: 'Floricultura' });
    const done = await waitForRun(url, invite.token, run.id, stateIs('succeeded', 'failed'), "the invite's run succeeds");
    expect(done.state).toBe('succeeded');
    const secret = (await gqlOk(url, invite.token, `query($id: ID!) { onboardingRun(id: $id) { apiKeySecret } }`, { id: run.id })).onboardingRun.apiKeySecret;
    expect(secret).toMatch(/^whk_/);
    // Single use.
    const again = await gql(url, invite.token, `mutation { quickSetup(input: { businessName: "X", phoneNumber: "+5511987654321" }) { id } }`);
    expect(codes(again)).toEqual(['CONFLICT']);
    // Another run is not the invite's.
    const foreign = (await startQuickSetup(url, op, { businessName: 'Outro', phoneNumber: typedBrazilianNumber().typed, country: 'BR' })).id;
    expect(codes(await gql(url, invite.token, RUN_QUERY, { id: foreign }))).toEqual(['NOT_FOUND']);
    await gqlOk(url, op, `mutation($id: ID!) { cancelOnboarding(runId: $id) { state } }`, { id: foreign });
    // An unknown or expired token is refused.
    expect(codes(await gql(url, 'whi_unknown', `query { onboardingInvite { id } }`))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('onboarding: progress', () => {
  it('onboardingProgress delivers the run as its steps move', async () => {
    const { run, digits } = await quickSetupWaitingForCode();
    let lastToken = 0;
    const live = subscribeLive<{ state: string; currentStep: string | null }>(url, op, { query: `subscription($id: ID!) { onboardingProgress(runId: $id) { state currentStep } }`, variables: { id: run.id }, field: 'onboardingProgress' }, {
      publish: async (token) => { lastToken = token; publishProgress(h.server.core.deps, { id: run.id, tenantId: null, state: 'waiting_for_code', inviteId: null }); },
      tokenOf: (item) => (item.state === 'waiting_for_code' ? lastToken : null),
    });
    try {
      await live.sync();
      await gqlOk(url, op, SUBMIT_CODE, { runId: run.id, code: smsCode(h.sim, digits) });
      await live.until((items) => items.some((i) => i.state === 'succeeded'), 'the run succeeds, live');
      expect(live.received.some((i) => i.state === 'running' && i.currentStep === 'register')).toBe(true);
    } finally {
      await live.close();
    }
  });
});

describe("a number's Meta state", () => {
  it('follows phone_number_quality_update webhooks: limit and quality re-read from Meta, the last webhook time recorded', async () => {
    const sender = await makeSender(h);
    h.sim.updateNumber(sender.simNumber.id, { quality: 'RED', messagingLimitTier: 'TIER_10K' });
    const row = await eventually(async () => {
      const [r] = await h.server.core.database.sql`select quality_rating, messaging_limit_tier, meta_status, last_webhook_at from phone_numbers where id = ${sender.phoneNumber.id}`;
      return r.quality_rating === 'RED' && r;
    }, 'the number shows RED');
    expect(row).toMatchObject({ quality_rating: 'RED', messaging_limit_tier: 'TIER_10K', meta_status: 'CONNECTED', last_webhook_at: expect.anything() });
  });
});

const RUN_QUERY = `query($id: ID!) { onboardingRun(id: $id) { id } }`;
