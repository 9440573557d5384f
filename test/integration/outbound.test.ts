import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { OutboundService } from '../../server/src/modules/outbound/outbound.service.js';
import { INTERRUPTED_UNSENT, OutboundSender } from '../../server/src/modules/outbound/outbound.sender.js';
import { enqueueSends } from '../../server/src/modules/outbound/outbound.queue.js';
import { requeueStaleSends } from '../../server/src/modules/outbound/outbound.reconcile.js';
import { requeueStaleCampaigns } from '../../server/src/modules/campaigns/campaigns.jobs.js';
import { JobName } from '../../server/src/queue/names.js';
import { campaignJobId } from '../../server/src/modules/campaigns/campaigns.jobs.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { makeTenant, uniqueE164 } from '../factories/index.js';
import { acceptedFor, attemptsOf, makeSender, messageRow, sendMessage, SEND_MESSAGE, startOutboundHarness, waitForStatus, type OutboundHarness } from '../setup/outbound.js';
import { jobsThatMayRun, messageIdsOf, watchJobs } from '../setup/queues.js';
import { activityProbe, subscribeLive } from '../setup/subscriptions.js';

// setup(): the Meta simulator plays Meta; a real server (GraphQL, and the webhook route where the
// simulator's status callbacks land) and a real worker run over the test Postgres and Redis with a
// queue prefix of their own. Each test makes its own tenant, WABA and number. Faults are injected
// in the simulator, the way Meta would answer.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('outbound');
});
// Longer than the 60 s default: a close seen waiting that long in CI (the harness names the slow part).
afterAll(async () => h?.close(), 150_000);

const digits = (e164: string) => e164.slice(1);
const ms = (a: unknown, b: unknown) => new Date(b as string).getTime() - new Date(a as string).getTime();

describe(OutboundService.name, () => {
  describe('sendMessage', () => {
    it('queues an approved template, sends it once, and follows Meta\'s statuses to read', async () => {
      const s = await makeSender(h);
      const to = uniqueE164();
      const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to, template: { name: 'boas_vindas', language: 'pt_BR', variables: ['Ana'] } });
      expect(message).toMatchObject({ status: 'queued', type: 'template', text: 'Olá Ana! Seja bem-vindo(a). Como podemos ajudar hoje?' });
      await waitForStatus(h, message.id, ['read']);
      // Statuses arrive as separate webhooks and may be applied in any order: wait for all three.
      const read = await eventually(async () => { const r = await messageRow(h, message.id); return r.sent_at && r.delivered_at && r.read_at ? r : null; }, 'every status time');
      const accepted = acceptedFor(h.sim, message.id);
      expect(accepted).toHaveLength(1);
      expect(accepted[0].body).toMatchObject({ to: digits(to), type: 'template', template: { name: 'boas_vindas', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] } });
      expect(read.wamid).toBe(accepted[0].messageId);
      expect(read.sent_at).not.toBeNull();
      expect(read.delivered_at).not.toBeNull();
      expect(read.read_at).not.toBeNull();
      const attempts = await attemptsOf(h, message.id);
      expect(attempts.map((a) => a.outcome)).toEqual(['sent']);
      expect(attempts[0].wamid).toBe(read.wamid);
    });

    it('refuses free-form text outside the 24-hour window with WINDOW_CLOSED, naming the approved templates', async () => {
      const s = await makeSender(h);
      const response = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { instanceId: s.instance.id, to: uniqueE164(), text: 'Oi!' } });
      expect(codes(response)).toEqual(['WINDOW_CLOSED']);
      const error = response.errors![0];
      expect(error.message).toMatch(/24-hour window .* is closed/);
      expect(error.message).toContain('boas_vindas (pt_BR)');
      expect(error.message).toContain('order_update (en_US)');
      expect(error.message).not.toContain('promo_pausada'); // paused: cannot be sent either
      expect(error.extensions?.templates).toEqual(['boas_vindas (pt_BR)', 'hello_world (en_US)', 'order_update (en_US)']);
      const [{ n }] = await h.server.core.database.sql`select count(*)::int as n from messages where tenant_id = ${s.tenant.id}`;
      expect(n).toBe(0);
    });

    it('sends free-form text and reply buttons once the customer has written (the window is open)', async () => {
      const s = await makeSender(h);
      const to = uniqueE164();
      // The customer writes: the simulator opens its window and delivers the webhook, and the
      // inbound pipeline records contacts.last_inbound_at.
      await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: digits(to), name: 'Ana', text: 'Olá, quero ajuda' });
      await eventually(async () => {
        const [c] = await h.server.core.database.sql`select last_inbound_at from contacts where tenant_id = ${s.tenant.id} and wa_id = ${digits(to)}`;
        return c?.last_inbound_at;
      }, 'the inbound message to open the window');
      const text = await sendMessage(h, s.key, { instanceId: s.instance.id, to, text: 'Claro! Como posso ajudar?' });
      expect((await waitForStatus(h, text.id, ['sent', 'delivered', 'read'])).text).toBe('Claro! Como posso ajudar?');
      const buttons = await sendMessage(h, s.key, { instanceId: s.instance.id, to, interactive: { body: 'Escolha:', buttons: [{ id: 'a', title: 'Pedidos' }, { id: 'b', title: 'Atendente' }] } });
      await waitForStatus(h, buttons.id, ['sent', 'delivered', 'read']);
      expect(acceptedFor(h.sim, buttons.id)[0].body).toMatchObject({ type: 'interactive', interactive: { type: 'button', body: { text: 'Escolha:' }, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'Pedidos' } }, { type: 'reply', reply: { id: 'b', title: 'Atendente' } }] } } });
    });

    it('returns the first message for a repeated idempotency key, and CONFLICT for another message with that key', async () => {
      const s = await makeSender(h);
      const to = uniqueE164();
      const input = { instanceId: s.instance.id, to, template: { name: 'hello_world', language: 'en_US' }, idempotencyKey: 'order-42-confirmation' };
      const [a, b] = await Promise.all([sendMessage(h, s.key, input), sendMessage(h, s.key, input)]);
      expect(b.id).toBe(a.id);
      const c = await sendMessage(h, s.key, input);
      expect(c.id).toBe(a.id);
      const conflict = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { ...input, to: uniqueE164() } });
      expect(codes(conflict)).toEqual(['CONFLICT']);
      await waitForStatus(h, a.id, ['sent', 'delivered', 'read']);
      expect(acceptedFor(h.sim, a.id)).toHaveLength(1);
      const [{ n }] = await h.server.core.database.sql`select count(*)::int as n from messages where tenant_id = ${s.tenant.id}`;
      expect(n).toBe(1);
      // The key is per tenant: another tenant may use it.
      const other = await makeSender(h);
      const d = await sendMessage(h, other.key, { ...input, instanceId: other.instance.id });
      expect(d.id).not.toBe(a.id);
    });

    it('checks the template: exactly its variables, APPROVED, and known', async () => {
      const s = await makeSender(h);
      const base = { instanceId: s.instance.id, to: uniqueE164() };
      const fewer = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { ...base, template: { name: 'order_update', language: 'en_US', variables: ['Ana'] } } });
      expect(codes(fewer)).toEqual(['VALIDATION_FAILED']);
      expect(fewer.errors![0].message).toBe('template.variables: template "order_update" takes exactly 2 variables (got 1)');
      expect(fewer.errors![0].extensions).toMatchObject({ expected: 2, got: 1 });
      const more = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { ...base, template: { name: 'hello_world', language: 'en_US', variables: ['x'] } } });
      expect(more.errors![0].message).toMatch(/takes exactly 0 variables \(got 1\)/);
      const paused = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { ...base, template: { name: 'promo_pausada', language: 'pt_BR', variables: ['x'] } } });
      expect(paused.errors![0].message).toMatch(/is PAUSED; only APPROVED templates can be sent/);
      const unknown = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { ...base, template: { name: 'boas_vindas', language: 'en_US', variables: ['x'] } } });
      expect(unknown.errors![0].message).toMatch(/no template "boas_vindas" \(en_US\)/);
      const ok = await sendMessage(h, s.key, { ...base, template: { name: 'order_update', language: 'en_US', variables: ['Ana', '#1234'] } });
      expect(ok.text).toBe('Hi Ana, your order #1234 has been updated.');
    });

    it('checks the rest of the input: one kind of content, E.164, text and button limits, the instance', async () => {
      const s = await makeSender(h);
      const to = uniqueE164();
      const fail = async (input: Record<string, unknown>, message: RegExp, code = 'VALIDATION_FAILED') => {
        const response = await gql(h.server.url, s.key, SEND_MESSAGE, { input: { instanceId: s.instance.id, to, ...input } });
        expect(codes(response)).toEqual([code]);
        expect(response.errors![0].message).toMatch(message);
      };
      await fail({ text: 'a', template: { name: 'hello_world', language: 'en_US' } }, /exactly one of text, template or interactive/);
      await fail({}, /exactly one of text, template or interactive/);
      await fail({ to: '12345', text: 'a' }, /to: "12345" is not a phone number in E.164 form/);
      await fail({ text: 'x'.repeat(4097) }, /text: must be at most 4096 characters/);
      await fail({ interactive: { body: 'b', buttons: [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` })) } }, /must have 1 to 3 buttons \(got 4\)/);
      await fail({ interactive: { body: 'b', buttons: [{ id: 'a', title: 'x'.repeat(21) }] } }, /title: must be 1 to 20 characters/);
      await fail({ interactive: { body: 'b', buttons: [{ id: 'a', title: 'A' }, { id: 'a', title: 'B' }] } }, /is used by another button/);
      const stranger = await makeTenant(h.server.core.services);
      const response = await gql(h.server.url, stranger.key, SEND_MESSAGE, { input: { instanceId: s.instance.id, to, template: { name: 'hello_world', language: 'en_US' } } });
      expect(codes(response)).toEqual(['NOT_FOUND']);
    });
  });
});

describe(OutboundSender.name, () => {
  const template = { name: 'hello_world', language: 'en_US' };

  it('130429: backs the whole number off, shared by every worker, then sends', async () => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'error', code: 130429, status: 400, message: '(#130429) Rate limit hit', next: 1 });
    const first = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    const refused = await eventually(async () => (await attemptsOf(h, first.id)).find((a) => a.outcome === 'retry'), 'the 130429 attempt');
    expect(refused.error_code).toBe(130429);
    // Another recipient on the same number waits for the number's backoff too.
    const second = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    await waitForStatus(h, first.id, ['sent', 'delivered', 'read']);
    await waitForStatus(h, second.id, ['sent', 'delivered', 'read']);
    const [retry] = (await attemptsOf(h, first.id)).slice(1);
    const [secondAttempt] = await attemptsOf(h, second.id);
    expect(ms(refused.finished_at, retry.started_at)).toBeGreaterThanOrEqual(900);
    expect(ms(refused.finished_at, secondAttempt.started_at)).toBeGreaterThanOrEqual(700);
    expect(acceptedFor(h.sim, first.id)).toHaveLength(1);
  });

  it('131056: delays that recipient only; the number\'s other recipients go on', async () => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'error', code: 131056, status: 400, message: '(#131056) (Business Account, Consumer Account) pair rate limit hit', next: 1 });
    const paced = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    const refused = await eventually(async () => (await attemptsOf(h, paced.id)).find((a) => a.outcome === 'retry'), 'the 131056 attempt');
    expect(refused.error_code).toBe(131056);
    const other = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    const otherSent = await waitForStatus(h, other.id, ['sent', 'delivered', 'read']);
    const pacedSent = await waitForStatus(h, paced.id, ['sent', 'delivered', 'read']);
    expect(new Date(otherSent.sent_at).getTime()).toBeLessThan(new Date(pacedSent.sent_at).getTime());
    const [, retry] = await attemptsOf(h, paced.id);
    expect(ms(refused.finished_at, retry.started_at)).toBeGreaterThanOrEqual(5_900);
    expect(ms(refused.finished_at, otherSent.sent_at)).toBeLessThan(3_000);
  });

  it('5xx: retries with growing backoff, then sends', async () => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'http_5xx', code: 131000, next: 2 });
    const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    await waitForStatus(h, message.id, ['sent', 'delivered', 'read']);
    const attempts = await attemptsOf(h, message.id);
    expect(attempts.map((a) => [a.outcome, a.error_code])).toEqual([['retry', 131000], ['retry', 131000], ['sent', null]]);
    expect(ms(attempts[0].finished_at, attempts[1].started_at)).toBeGreaterThanOrEqual(1_000);
    expect(ms(attempts[1].finished_at, attempts[2].started_at)).toBeGreaterThanOrEqual(2_000);
    expect(acceptedFor(h.sim, message.id)).toHaveLength(1);
  });

  it('dropped connection: retries after a pause that lets Meta\'s statuses show it did not go, and sends once', async () => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'drop', next: 1 });
    const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    await waitForStatus(h, message.id, ['sent', 'delivered', 'read']);
    const attempts = await attemptsOf(h, message.id);
    expect(attempts.map((a) => [a.outcome, a.error_code])).toEqual([['retry', -2], ['sent', null]]);
    expect(ms(attempts[0].finished_at, attempts[1].started_at)).toBeGreaterThanOrEqual(3_000);
    expect(acceptedFor(h.sim, message.id)).toHaveLength(1);
  });

  it('timeout: Meta took the message after all; its status is found and adopted instead of sending again', { timeout: 40_000 }, async () => {
    const s = await makeSender(h);
    // Meta answers after the client's 10 s deadline, but accepts the message (and reports it).
    h.sim.setFault(s.simNumber.id, { kind: 'slow', delayMs: 10_500, next: 1 });
    const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    const done = await waitForStatus(h, message.id, ['sent', 'delivered', 'read'], 30_000);
    const accepted = acceptedFor(h.sim, message.id);
    expect(accepted).toHaveLength(1);
    expect(done.wamid).toBe(accepted[0].messageId);
    const attempts = await attemptsOf(h, message.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'sent', error_code: -1, wamid: done.wamid });
  });

  it('131047: fails at once with Meta\'s code and text when Meta says the window is closed', async () => {
    const s = await makeSender(h);
    const to = uniqueE164();
    // wabahub believes the window is open (say, a webhook Meta counted differently); Meta refuses.
    await h.server.core.database.sql`insert into contacts (tenant_id, phone_number_id, wa_id, last_inbound_at) values (${s.tenant.id}, ${s.phoneNumber.id}, ${digits(to)}, now())`;
    const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to, text: 'Oi' });
    const failed = await waitForStatus(h, message.id, ['failed']);
    expect(failed.error_code).toBe(131047);
    expect(failed.error_title).toMatch(/131047|Re-engagement/);
    expect((await attemptsOf(h, message.id)).map((a) => a.outcome)).toEqual(['failed']);
  });

  it.each([
    [100, '(#100) Invalid parameter'],
    [131026, '(#131026) Message undeliverable'],
  ])('%i: fails at once with Meta\'s code and text, never retried', async (code, text) => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'error', code, status: 400, message: text, next: 1 });
    const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    const failed = await waitForStatus(h, message.id, ['failed']);
    expect(failed).toMatchObject({ error_code: code, error_title: text });
    expect(failed.failed_at).not.toBeNull();
    expect((await attemptsOf(h, message.id)).map((a) => [a.outcome, a.error_code])).toEqual([['failed', code]]);
    expect(acceptedFor(h.sim, message.id)).toHaveLength(0);
  });

  it('131048: fails, and tells the tenant on the live feed', async () => {
    const s = await makeSender(h);
    // The tenant's own socket, live before the send (a probe came through it).
    const feed = subscribeLive<{ kind: string; status: string | null; direction: string | null; summary: string }>(h.server.url, s.key, {
      query: `subscription { webhookActivity { kind status direction summary } }`, field: 'webhookActivity',
    }, activityProbe(h.server.core, s.tenant.id));
    try {
      await feed.sync();
      h.sim.setFault(s.simNumber.id, { kind: 'error', code: 131048, status: 400, message: '(#131048) Spam rate limit hit', next: 1 });
      const message = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
      expect(await waitForStatus(h, message.id, ['failed'])).toMatchObject({ error_code: 131048 });
      await feed.until((items) => items.some((i) => i.kind === 'account_update'), 'the alert');
      expect(feed.received.find((i) => i.kind === 'account_update')).toMatchObject({ status: 'POLICY_LIMIT_131048', direction: 'out' });
    } finally {
      await feed.close();
    }
  });

  it('190: pauses every send of the number and alerts the operator; resumePhoneNumber sends what waited', async () => {
    const s = await makeSender(h);
    h.sim.setFault(s.simNumber.id, { kind: 'token_expired', next: 1 });
    const first = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    await eventually(async () => (await h.server.core.database.sql`select status from phone_numbers where id = ${s.phoneNumber.id}`)[0].status === 'paused', 'the number to be paused');
    const second = await sendMessage(h, s.key, { instanceId: s.instance.id, to: uniqueE164(), template });
    // A campaign started on the paused number waits too.
    const campaign = await h.server.core.services.campaigns.create(OPERATOR, { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: Array.from({ length: 30 }, () => ({ to: uniqueE164() })) });
    // Running, its ticker has enqueued its batches.
    await eventually(async () => (await h.server.core.database.sql`select state from campaigns where id = ${campaign.id}`)[0].state === 'running', 'the campaign to start');
    // Nothing leaves while paused: every send job the tenant has (the second message's, the
    // campaign's batches) runs now to its end, until none is left that could send; Meta has
    // accepted nothing from the number.
    const sends = await watchJobs(h.server.core.queues.outbound, (job) => job.data.tenantId === s.tenant.id && job.name !== JobName.Campaign);
    await sends.runToEnd();
    expect(h.sim.requests({ target: s.simNumber.id }).filter((r) => r.outcome === 'accepted')).toEqual([]);
    expect((await h.server.core.services.campaigns.progress(campaign)).queued).toBe(30);
    expect((await messageRow(h, first.id)).status).toBe('queued');
    expect((await messageRow(h, second.id)).status).toBe('queued');
    expect((await attemptsOf(h, first.id)).map((a) => [a.outcome, a.error_code])).toEqual([['retry', 190]]);
    const { numbers } = await gqlOk(h.server.url, s.key, `{ numbers: phoneNumbers { edges { node { id status } } } }`);
    expect(numbers.edges[0].node.status).toBe('paused');

    const { resumePhoneNumber } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { resumePhoneNumber(id: $id) { id status } }`, { id: s.phoneNumber.id });
    expect(resumePhoneNumber.status).toBe('connected');
    await waitForStatus(h, first.id, ['sent', 'delivered', 'read']);
    await waitForStatus(h, second.id, ['sent', 'delivered', 'read']);
    expect(acceptedFor(h.sim, first.id)).toHaveLength(1);
    expect(acceptedFor(h.sim, second.id)).toHaveLength(1);
    // The campaign's messages go out too, each once (in batches, on the number's schedule).
    // Not queued is not yet sent: a claimed send is `sending` until Meta answers.
    await eventually(async () => { const p = await h.server.core.services.campaigns.progress(campaign); return p.queued === 0 && p.sending === 0; }, 'the campaign to be sent after the resume', 20_000, 200);
    const campaignIds = (await h.server.core.database.sql`select id from messages where campaign_id = ${campaign.id}`).map((r) => r.id as string);
    for (const id of campaignIds) expect(acceptedFor(h.sim, id)).toHaveLength(1);
  });

  /** The state a worker killed mid-call leaves: the message `sending`, its attempt `pending` since `agoMs`. */
  async function interruptedSend(s: Awaited<ReturnType<typeof makeSender>>, to: string, agoMs: number) {
    const sql = h.server.core.database.sql;
    const [contact] = await sql`insert into contacts (tenant_id, phone_number_id, wa_id) values (${s.tenant.id}, ${s.phoneNumber.id}, ${digits(to)}) returning id`;
    const payload = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };
    const [message] = await sql`insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, type, text, payload, status)
      values (${s.tenant.id}, ${s.instance.id}, ${s.phoneNumber.id}, ${contact.id}, 'outbound', 'template', 'Hello World!', ${JSON.stringify(payload)}::jsonb, 'sending') returning id`;
    await sql`insert into message_attempts (tenant_id, message_id, attempt, outcome, started_at) values (${s.tenant.id}, ${message.id}, 1, 'pending', now() - ${`${agoMs} milliseconds`}::interval)`;
    return message.id as string;
  }

  it('a send interrupted mid-call that Meta never got (no status once every webhook is processed) is sent again, once', async () => {
    const s = await makeSender(h);
    const id = await interruptedSend(s, uniqueE164(), 30_000);
    await enqueueSends(h.server.core.queues.outbound, [{ tenantId: s.tenant.id, messageId: id }]);
    await waitForStatus(h, id, ['sent', 'delivered', 'read']);
    const attempts = await attemptsOf(h, id);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'sent']);
    expect(attempts[0].error_message).toBe(INTERRUPTED_UNSENT);
    expect(acceptedFor(h.sim, id)).toHaveLength(1);
  });

  it('a send interrupted mid-call and still unexplained long after is never sent again: unknown, and counted', async () => {
    const s = await makeSender(h);
    const id = await interruptedSend(s, uniqueE164(), 11 * 60_000);
    // The job runs again (BullMQ hands a dead worker's job to another one).
    await enqueueSends(h.server.core.queues.outbound, [{ tenantId: s.tenant.id, messageId: id }]);
    const unknown = await waitForStatus(h, id, ['unknown']);
    expect(unknown.wamid).toBeNull();
    expect((await attemptsOf(h, id)).map((a) => a.outcome)).toEqual(['unknown']);
    expect(h.sim.requests({ target: s.simNumber.id }).filter((r) => r.method === 'POST')).toHaveLength(0);
    const { outboundStats } = await gqlOk(h.server.url, s.key, `query($n: ID) { outboundStats(phoneNumberId: $n) { unknown unknownOutcomeAttempts queued sending } }`, { n: s.phoneNumber.id });
    expect(outboundStats).toEqual({ unknown: 1, unknownOutcomeAttempts: 1, queued: 0, sending: 0 });
    const timeline = await gqlOk(h.server.url, s.key, `query($id: ID!) { message(id: $id) { status timeline { status } } }`, { id });
    expect(timeline.message.status).toBe('unknown');
  });

  it('a send interrupted mid-call that Meta did take is recognised by its status and moves on', async () => {
    const s = await makeSender(h);
    const to = uniqueE164();
    const id = await interruptedSend(s, to, 30_000);
    // What the dead worker's request did: Meta accepted it, and reports its statuses by webhook.
    const answer = await h.server.core.graph.sendMessage(s.simNumber.id, { to: digits(to), type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    const wamid = answer.messages[0].id;
    await eventually(async () => (await h.server.core.database.sql`select 1 from message_status_events where wamid = ${wamid}`).length > 0, 'the status webhook');
    await enqueueSends(h.server.core.queues.outbound, [{ tenantId: s.tenant.id, messageId: id }]);
    const row = await waitForStatus(h, id, ['sent', 'delivered', 'read']);
    expect(row.wamid).toBe(wamid);
    await waitForStatus(h, id, ['read']);
    expect(h.sim.requests({ target: s.simNumber.id }).filter((r) => r.outcome === 'accepted')).toHaveLength(1);
  });

  it("an interrupted send never adopts the status of another message to the same recipient", async () => {
    const s = await makeSender(h);
    const to = uniqueE164();
    const id = await interruptedSend(s, to, 30_000);
    // Meta took a message to the same person, but Meta's status names that other message, not this one.
    const other = randomUUID();
    const answer = await h.server.core.graph.sendMessage(s.simNumber.id, { to: digits(to), type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } }, biz_opaque_callback_data: other });
    const wamid = answer.messages[0].id;
    await eventually(async () => (await h.server.core.database.sql`select 1 from message_status_events where wamid = ${wamid}`).length > 0, 'the status webhook');
    await enqueueSends(h.server.core.queues.outbound, [{ tenantId: s.tenant.id, messageId: id }]);
    // Without evidence of its own, it is taken as never received, and sent: a wamid of its own.
    const row = await waitForStatus(h, id, ['sent', 'delivered', 'read']);
    expect(row.wamid).not.toBe(wamid);
    expect(acceptedFor(h.sim, id)).toHaveLength(1);
  });
});

describe('jobs out of attempts', () => {
  // Out of attempts means Postgres refused every try (away for longer than the retries, say). Here a
  // job is made to fail for good by what it carries: a message id that is not a uuid, which Postgres
  // refuses on every read. The messages it was to send stay queued, with no job that will run again.
  const NOT_A_UUID = 'not-a-uuid';

  /** A message stored as `queued` with no job, as sendMessage and sendCampaign leave one before enqueueing it. */
  async function queuedMessage(s: Awaited<ReturnType<typeof makeSender>>, campaignId: string | null = null) {
    const sql = h.server.core.database.sql;
    const [contact] = await sql`insert into contacts (tenant_id, phone_number_id, wa_id) values (${s.tenant.id}, ${s.phoneNumber.id}, ${digits(uniqueE164())}) returning id`;
    const payload = { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } };
    const [message] = await sql`insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, type, text, payload, status, campaign_id)
      values (${s.tenant.id}, ${s.instance.id}, ${s.phoneNumber.id}, ${contact.id}, 'outbound', 'template', 'Hello World!', ${JSON.stringify(payload)}::jsonb, 'queued', ${campaignId}) returning id`;
    return message.id as string;
  }
  /** Aged past what the sweep looks at (nothing else in this test database is that old), then swept once. */
  async function sweepAged(ids: string[]) {
    await h.server.core.database.sql`update messages set updated_at = now() - interval '1 hour' where id in ${h.server.core.database.sql(ids)}`;
    const core = h.worker.core;
    return (await requeueStaleSends(core.database.db, core.queues.outbound, 30 * 60_000)) + (await requeueStaleCampaigns(core.deps, 30 * 60_000));
  }

  it('a send whose job failed for good is enqueued again by the sweeper, and sent once', async () => {
    const s = await makeSender(h);
    const id = await queuedMessage(s);
    const queue = h.server.core.queues.outbound;
    // Its job carries a tenant id that is not a uuid: the sender's every read fails.
    await queue.add('send', { tenantId: NOT_A_UUID, messageId: id }, { jobId: id, attempts: 1 });
    await eventually(async () => (await queue.getJobState(id)) === 'failed', 'the job to fail for good');
    // Left queued, and no job will run for it again: only the sweeper can pick it up now.
    expect((await messageRow(h, id)).status).toBe('queued');
    expect(await jobsThatMayRun(queue, (job) => messageIdsOf(job).includes(id))).toEqual([]);

    expect(await sweepAged([id])).toBe(1);
    await waitForStatus(h, id, ['sent', 'delivered', 'read']);
    expect(acceptedFor(h.sim, id)).toHaveLength(1);
    expect(await queue.getJobState(id)).not.toBe('failed');
  });

  it('a campaign batch that failed for good is replaced while its campaign ticks on, and its messages are sent once', async () => {
    const s = await makeSender(h);
    const sql = h.server.core.database.sql;
    const [campaign] = await sql`insert into campaigns (tenant_id, instance_id, name, template, state, recipient_count, started_at)
      values (${s.tenant.id}, ${s.instance.id}, 'out of attempts', ${JSON.stringify({ name: 'hello_world', language: 'en_US' })}::jsonb, 'running', 2, now()) returning id`;
    const ids = [await queuedMessage(s, campaign.id), await queuedMessage(s, campaign.id)];
    const queue = h.server.core.queues.outbound;
    // The campaign's ticker is alive (a job under its id, due later): the sweep must not take it as lost.
    await queue.add('campaign', { tenantId: s.tenant.id, campaignId: campaign.id }, { jobId: campaignJobId(campaign.id), delay: 10 * 60_000 });
    const batchId = `batch-${ids[0]}-broken`;
    await queue.add('send-batch', { tenantId: s.tenant.id, campaignId: campaign.id, messageIds: [...ids, NOT_A_UUID] }, { jobId: batchId, attempts: 1 });
    await eventually(async () => (await queue.getJobState(batchId)) === 'failed', 'the batch to fail for good');
    expect((await messageRow(h, ids[0])).status).toBe('queued');

    expect(await sweepAged(ids)).toBe(2);
    for (const id of ids) {
      await waitForStatus(h, id, ['sent', 'delivered', 'read']);
      expect(acceptedFor(h.sim, id)).toHaveLength(1);
    }
    expect(await queue.getJob(batchId)).toBeUndefined();
    // Swept again, nothing is left to do for them.
    expect(await sweepAged(ids)).toBe(0);
    await (await queue.getJob(campaignJobId(campaign.id)))?.remove();
  });
});
