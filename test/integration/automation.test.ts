import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '@wabahub/meta-simulator';
import { AutomationService } from '../../server/src/modules/automation/automation.service.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually, postWebhook } from '../setup/webhooks.js';
import { makeTenant, uniqueE164 } from '../factories/index.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';

// setup(): the Meta simulator plays Meta (its customers write in; it receives our replies); a real
// server and a real worker run over the test Postgres and Redis. Each test makes its own tenant,
// number and instance, writes rules through the API, and judges by what reached the simulator.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('automation');
});
afterAll(async () => h?.close(), 150_000);

const CREATE = `mutation($input: CreateAutomationRuleInput!) { createAutomationRule(input: $input) { id name position stop enabled trigger conditions actions runCount lastRunAt } }`;
type Sender = Awaited<ReturnType<typeof makeSender>>;

async function rule(s: Sender, input: Record<string, unknown>) {
  return (await gqlOk(h.server.url, s.key, CREATE, { input: { instanceId: s.instance.id, ...input } })).createAutomationRule as { id: string; name: string };
}

/** What the simulator (Meta) accepted from this number to this customer, oldest first. */
function repliesTo(s: Sender, customer: string) {
  return h.sim.messages({ phoneNumberId: s.simNumber.id, to: customer }).sort((a, b) => a.acceptedAt - b.acceptedAt);
}
const bodyText = (m: { body: unknown }) => {
  const b = m.body as { text?: { body: string }; interactive?: { body: { text: string } }; template?: { name: string } };
  return b.text?.body ?? b.interactive?.body.text ?? `template:${b.template?.name}`;
};

/**
 * The inbound message with this wamid is stored and its webhook event processed: its after-commit
 * hooks (automation among them) have returned, so any reply it causes is queued by now.
 */
async function processed(wamid: string): Promise<string> {
  return eventually(async () => {
    const [row] = await h.server.core.database.sql`
      select m.id from messages m where m.wamid = ${wamid}
        and exists (select 1 from webhook_events e where position(convert_to(${wamid}, 'UTF8') in e.raw_body) > 0 and e.state = 'processed')`;
    return row?.id as string | undefined;
  }, `message ${wamid} processed`);
}

/** A customer writes; resolves once the message is processed (rules decided), with its id. */
async function customerWrites(s: Sender, from: string, text: string) {
  const sent = await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from, text, name: 'Ana Souza' });
  return { wamid: sent.messageId, id: await processed(sent.messageId) };
}

/** Replies queued for a customer by rules (whether or not Meta has them yet). */
async function queuedReplies(s: Sender, customer: string) {
  return h.server.core.database.sql`
    select m.id, m.text, m.automation_rule_id from messages m join contacts c on c.id = m.contact_id
    where m.tenant_id = ${s.tenant.id} and c.wa_id = ${customer} and m.direction = 'outbound' and m.automation_rule_id is not null order by m.created_at`;
}

/** Meta's webhook for one inbound text, built as the simulator builds it, to deliver the same message as often as a test needs. */
function inboundBody(s: Sender, from: string, wamid: string, text: string, seconds = Math.floor(Date.now() / 1000), extra: object = {}) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: s.waba.id, changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: s.simNumber.displayPhoneNumber, phone_number_id: s.simNumber.id },
      contacts: [{ profile: { name: 'Bruno' }, wa_id: from }], messages: [{ from, id: wamid, timestamp: String(seconds), type: 'text', text: { body: text } }], ...extra,
    } }] }],
  });
}

describe(AutomationService.name, () => {
  describe('the engine in the worker', () => {
    it('answers a customer who writes "cardapio" with the configured reply, once, and records the run', async () => {
      const s = await makeSender(h);
      const menu = await rule(s, { name: 'Cardápio', trigger: { type: 'keyword', keywords: ['cardápio', 'menu'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Olá {{contact.first_name}}! Nosso cardápio: https://example.com/menu' }] });
      const customer = uniqueE164().slice(1);
      const inbound = await customerWrites(s, customer, 'Oi, me manda o cardapio por favor');

      const [reply] = await eventually(async () => repliesTo(s, customer).length > 0 && repliesTo(s, customer), 'the reply at Meta');
      expect(bodyText(reply)).toBe('Olá Ana! Nosso cardápio: https://example.com/menu');
      const { message } = await gqlOk(h.server.url, s.key, `query($id: ID!) { message(id: $id) { answeredBy { ruleName status matched actions outboundMessageIds } } }`, { id: inbound.id });
      expect(message.answeredBy).toHaveLength(1);
      expect(message.answeredBy[0]).toMatchObject({ ruleName: 'Cardápio', status: 'done', matched: expect.stringContaining('cardápio') });
      expect(message.answeredBy[0].actions[0]).toMatchObject({ type: 'reply_text', outcome: 'queued' });
      const { instance } = await gqlOk(h.server.url, s.key, `query($id: ID!) { instance(id: $id) { automationRules { id runCount lastRunAt } } }`, { id: s.instance.id });
      expect(instance.automationRules).toEqual([{ id: menu.id, runCount: 1, lastRunAt: expect.any(String) }]);
    });

    it('replies once to a message Meta delivers three times, re-batched differently each time', async () => {
      const s = await makeSender(h);
      await rule(s, { name: 'Horário', trigger: { type: 'keyword', keywords: ['horario'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Abrimos às 9h.' }] });
      const customer = uniqueE164().slice(1);
      const wamid = `wamid.triple.${customer}`;
      // Posted by the test, not sent through the simulator: tell it the customer wrote (its window).
      h.sim.openWindow(s.simNumber.id, customer);
      const bodies = [
        inboundBody(s, customer, wamid, 'Qual o horário?'),
        inboundBody(s, customer, wamid, 'Qual o horário?', undefined, { statuses: [] }),
        inboundBody(s, customer, wamid, 'Qual o horário?', undefined, { errors: [] }),
      ];
      // At once, as Meta retries when our answer is slow: separate events, possibly separate jobs.
      const answers = await Promise.all(bodies.map((body) => postWebhook(h.server.url, body, DEMO.appSecret)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      await processed(wamid);
      await eventually(async () => {
        const events = await h.server.core.database.sql`select state from webhook_events where position(convert_to(${wamid}, 'UTF8') in raw_body) > 0`;
        return events.length === 3 && events.every((e) => e.state === 'processed');
      }, 'all three deliveries processed');
      await eventually(async () => repliesTo(s, customer).length === 1, 'the reply at Meta');
      expect(await queuedReplies(s, customer)).toHaveLength(1);
      expect((await h.server.core.database.sql`select count(*)::int as n from rule_runs r join messages m on m.id = r.message_id where m.wamid = ${wamid}`)[0].n).toBe(1);
    });

    it('hands a conversation to a person: no automated reply until the handoff is resolved', async () => {
      const s = await makeSender(h);
      await rule(s, { name: 'Atendente', trigger: { type: 'keyword', keywords: ['atendente'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Um momento, vou chamar alguém.' }, { type: 'handoff', note: 'pediu atendente' }] });
      await rule(s, { name: 'Cardápio', trigger: { type: 'keyword', keywords: ['cardapio'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Eis o cardápio.' }] });
      const customer = uniqueE164().slice(1);

      await customerWrites(s, customer, 'quero falar com um atendente');
      const { conversations } = await gqlOk(h.server.url, s.key, `query($f: ConversationFilter) { conversations(filter: $f) { edges { node { id state unreadCount contact { waId inHandoff handoffNote } lastMessage { direction } } } } }`, { f: { instanceId: s.instance.id, state: 'handoff' } });
      expect(conversations.edges.map((e: { node: { contact: { waId: string } } }) => e.node.contact.waId)).toEqual([customer]);
      expect(conversations.edges[0].node).toMatchObject({ state: 'handoff', contact: { inHandoff: true, handoffNote: 'pediu atendente' } });
      const contactId = conversations.edges[0].node.id;

      // While a person has it, "cardapio" gets nothing: the message is processed, no reply queued.
      await customerWrites(s, customer, 'cardapio');
      expect((await queuedReplies(s, customer)).map((r) => r.text)).toEqual(['Um momento, vou chamar alguém.']);

      const { resolveHandoff } = await gqlOk(h.server.url, s.key, `mutation($c: ID!) { resolveHandoff(contactId: $c) { inHandoff } }`, { c: contactId });
      expect(resolveHandoff.inHandoff).toBe(false);
      await customerWrites(s, customer, 'cardapio');
      expect((await queuedReplies(s, customer)).map((r) => r.text)).toEqual(['Um momento, vou chamar alguém.', 'Eis o cardápio.']);
      await eventually(async () => repliesTo(s, customer).length === 2, 'both replies at Meta');

      const { conversation } = await gqlOk(h.server.url, s.key, `query($c: ID!) { conversation(contactId: $c) { messages { direction text status automationRuleId answeredBy { ruleName } } } }`, { c: contactId });
      expect(conversation.messages.map((m: { direction: string; text: string }) => `${m.direction}: ${m.text}`)).toEqual([
        'inbound: quero falar com um atendente', 'outbound: Um momento, vou chamar alguém.', 'inbound: cardapio', 'inbound: cardapio', 'outbound: Eis o cardápio.',
      ]);
      expect(conversation.messages[0].answeredBy).toEqual([{ ruleName: 'Atendente' }]);
      expect(conversation.messages[2].answeredBy).toEqual([]);
    });

    it("outside the customer's 24-hour window skips free-form replies, with the reason, and still sends a template", async () => {
      const s = await makeSender(h);
      await rule(s, { name: 'Boas-vindas', trigger: { type: 'any_message' }, actions: [
        { type: 'reply_text', text: 'Oi!' },
        { type: 'reply_template', template: 'boas_vindas', language: 'pt_BR', parameters: ['{{contact.first_name}}'] },
      ] });
      const customer = uniqueE164().slice(1);
      const wamid = `wamid.late.${customer}`;
      // A message Meta delivers 25 hours late: the customer's window closed long ago.
      expect((await postWebhook(h.server.url, inboundBody(s, customer, wamid, 'oi', Math.floor(Date.now() / 1000) - 25 * 3600), DEMO.appSecret)).status).toBe(200);
      const id = await processed(wamid);
      const [run] = await h.server.core.database.sql`select actions from rule_runs where message_id = ${id}`;
      expect(run.actions).toEqual([
        expect.objectContaining({ type: 'reply_text', outcome: 'skipped', reason: expect.stringContaining('24-hour window') }),
        expect.objectContaining({ type: 'reply_template', outcome: 'queued' }),
      ]);
      await eventually(async () => repliesTo(s, customer).length === 1, 'the template at Meta');
      expect(bodyText(repliesTo(s, customer)[0])).toBe('template:boas_vindas');
    });

    it('sends at most the instance\'s automated replies per customer per hour, and records the rest as skipped', async () => {
      const s = await makeSender(h);
      await gqlOk(h.server.url, s.key, `mutation($i: UpdateInstanceInput!) { updateInstance(input: $i) { replyLimitPerHour } }`, { i: { id: s.instance.id, replyLimitPerHour: 2 } });
      await rule(s, { name: 'Eco', trigger: { type: 'any_message' }, actions: [{ type: 'reply_text', text: 'Recebido.' }] });
      const customer = uniqueE164().slice(1);
      const ids = [];
      for (const text of ['um', 'dois', 'três']) ids.push((await customerWrites(s, customer, text)).id);
      expect(await queuedReplies(s, customer)).toHaveLength(2);
      const [third] = await h.server.core.database.sql`select actions from rule_runs where message_id = ${ids[2]}`;
      expect(third.actions[0]).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('per customer per hour (2)') });
    });

    it('does nothing for a paused instance', async () => {
      const s = await makeSender(h);
      await rule(s, { name: 'Eco', trigger: { type: 'any_message' }, actions: [{ type: 'reply_text', text: 'Recebido.' }] });
      await gqlOk(h.server.url, s.key, `mutation($i: UpdateInstanceInput!) { updateInstance(input: $i) { status } }`, { i: { id: s.instance.id, status: 'paused' } });
      const customer = uniqueE164().slice(1);
      const { id } = await customerWrites(s, customer, 'olá');
      expect(await queuedReplies(s, customer)).toHaveLength(0);
      expect((await h.server.core.database.sql`select count(*)::int as n from rule_runs where message_id = ${id}`)[0].n).toBe(0);
    });

    it('tags, untags, and lets a later rule read the tag on the next message', async () => {
      const s = await makeSender(h);
      await rule(s, { name: 'VIP', trigger: { type: 'keyword', keywords: ['vip'], match: 'exact' }, actions: [{ type: 'add_tag', tag: 'VIP' }, { type: 'reply_text', text: 'Você agora é VIP.' }] });
      await rule(s, { name: 'Saudação VIP', trigger: { type: 'any_message' }, conditions: [{ type: 'contact_has_tag', tag: 'vip' }], actions: [{ type: 'reply_text', text: 'Olá, cliente VIP!' }] });
      const customer = uniqueE164().slice(1);
      await customerWrites(s, customer, 'VIP');
      await customerWrites(s, customer, 'bom dia');
      expect((await queuedReplies(s, customer)).map((r) => r.text)).toEqual(['Você agora é VIP.', 'Olá, cliente VIP!']);
      const [contact] = await h.server.core.database.sql`select id, tags from contacts where tenant_id = ${s.tenant.id} and wa_id = ${customer}`;
      expect(contact.tags).toEqual(['vip']);
      const { untagContact } = await gqlOk(h.server.url, s.key, `mutation($c: ID!) { untagContact(contactId: $c, tag: "VIP") { tags } }`, { c: contact.id });
      expect(untagContact.tags).toEqual([]);
    });
  });

  describe('the API', () => {
    it('refuses a rule with the first bad path named: a regex RE2 cannot compile, four buttons, an unknown placeholder', async () => {
      const s = await makeSender(h);
      const bad = async (input: Record<string, unknown>) => {
        const response = await gql(h.server.url, s.key, CREATE, { input: { instanceId: s.instance.id, name: 'x', trigger: { type: 'any_message' }, actions: [{ type: 'reply_text', text: 'ok' }], ...input } });
        expect(codes(response)).toEqual(['VALIDATION_FAILED']);
        return response.errors![0].message;
      };
      expect(await bad({ trigger: { type: 'keyword', keywords: ['(unclosed'], match: 'regex' } })).toMatch(/^input\.trigger\.keywords\[0\]/);
      expect(await bad({ actions: [{ type: 'reply_buttons', text: 'Escolha', buttons: [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` })) }] })).toMatch(/^input\.actions\[0\]\.buttons/);
      expect(await bad({ actions: [{ type: 'reply_text', text: 'Olá {{contact.cpf}}' }] })).toMatch(/^input\.actions\[0\]\.text/);
    });

    it('updates, reorders and deletes rules; another tenant sees none of them', async () => {
      const s = await makeSender(h);
      const a = await rule(s, { name: 'A', trigger: { type: 'any_message' }, actions: [{ type: 'mark_read' }] });
      const b = await rule(s, { name: 'B', trigger: { type: 'first_message' }, actions: [{ type: 'reply_text', text: 'Bem-vindo' }], stop: false });
      const { updateAutomationRule } = await gqlOk(h.server.url, s.key, `mutation($i: UpdateAutomationRuleInput!) { updateAutomationRule(input: $i) { name enabled stop } }`, { i: { id: b.id, name: 'B2', enabled: false } });
      expect(updateAutomationRule).toEqual({ name: 'B2', enabled: false, stop: false });
      const { reorderAutomationRules } = await gqlOk(h.server.url, s.key, `mutation($i: ID!, $r: [ID!]!) { reorderAutomationRules(instanceId: $i, ruleIds: $r) { id position } }`, { i: s.instance.id, r: [b.id, a.id] });
      expect(reorderAutomationRules).toEqual([{ id: b.id, position: 0 }, { id: a.id, position: 1 }]);
      expect(codes(await gql(h.server.url, s.key, `mutation($i: ID!, $r: [ID!]!) { reorderAutomationRules(instanceId: $i, ruleIds: $r) { id } }`, { i: s.instance.id, r: [a.id] }))).toEqual(['VALIDATION_FAILED']);

      const other = await makeTenant(h.server.core.services);
      for (const [query, variables] of [
        [`mutation($i: UpdateAutomationRuleInput!) { updateAutomationRule(input: $i) { id } }`, { i: { id: a.id, name: 'taken' } }],
        [`mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id: a.id }],
        [`query($i: TestAutomationRulesInput!) { testAutomationRules(input: $i) { verdicts { name } } }`, { i: { instanceId: s.instance.id, text: 'oi' } }],
      ] as const) {
        expect(codes(await gql(h.server.url, other.key, query, variables))).toEqual(['NOT_FOUND']);
      }
      expect(await gqlOk(h.server.url, s.key, `mutation($id: ID!) { deleteAutomationRule(id: $id) }`, { id: a.id })).toEqual({ deleteAutomationRule: a.id });
    });

    it('dry-runs a message: which rules fire, why the others do not, and each reply as it would be sent, sending nothing', async () => {
      const s = await makeSender(h);
      await gqlOk(h.server.url, s.key, `mutation($i: UpdateInstanceInput!) { updateInstance(input: $i) { id } }`, { i: { id: s.instance.id, timezone: 'America/Sao_Paulo', businessHours: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '18:00' })) } });
      await rule(s, { name: 'Fora do horário', trigger: { type: 'outside_business_hours' }, actions: [{ type: 'reply_text', text: 'Estamos fechados. Hoje: {{business.hours_today}}.' }], stop: false });
      await rule(s, { name: 'Cardápio', trigger: { type: 'keyword', keywords: ['cardapio'], match: 'contains' }, actions: [{ type: 'reply_buttons', text: 'O que deseja, {{contact.first_name}}?', buttons: [{ id: 'menu', title: 'Ver cardápio' }, { id: 'pedido', title: 'Fazer pedido' }] }] });
      await rule(s, { name: 'Qualquer', trigger: { type: 'any_message' }, actions: [{ type: 'reply_text', text: 'Recebido.' }] });
      const before = h.sim.messages({ phoneNumberId: s.simNumber.id }).length;
      // Sunday 2026-12-06, 21:00 in São Paulo: closed.
      const { testAutomationRules } = await gqlOk(h.server.url, s.key, `query($i: TestAutomationRulesInput!) { testAutomationRules(input: $i) { verdicts { name outcome reason } replies { ruleName type text payload sent skipReason } } }`,
        { i: { instanceId: s.instance.id, text: 'Cardápio, por favor', at: '2026-12-07T00:00:00Z' } });
      expect(testAutomationRules.verdicts.map((v: { name: string; outcome: string }) => `${v.name}: ${v.outcome}`)).toEqual(['Fora do horário: fired', 'Cardápio: fired', 'Qualquer: not_reached']);
      expect(testAutomationRules.replies).toEqual([
        expect.objectContaining({ ruleName: 'Fora do horário', type: 'reply_text', text: expect.stringMatching(/^Estamos fechados\. Hoje: /), sent: true }),
        expect.objectContaining({ ruleName: 'Cardápio', type: 'reply_buttons', text: 'O que deseja, cliente?', sent: true, payload: expect.objectContaining({ type: 'interactive' }) }),
      ]);
      expect(h.sim.messages({ phoneNumberId: s.simNumber.id })).toHaveLength(before);
      expect((await h.server.core.database.sql`select count(*)::int as n from rule_runs where instance_id = ${s.instance.id}`)[0].n).toBe(0);
    });
  });
});
