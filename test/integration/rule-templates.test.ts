import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { makeTenant, uniqueE164 } from '../factories/index.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { STARTERS } from '../../server/src/modules/rule-templates/rule-templates.starters.js';

// setup(): the Meta simulator plays Meta (it reviews templates, its customers write in, it
// receives our replies); a real server and worker over the test Postgres and Redis. The operator
// publishes configuration templates through the API; tenants pick and apply them.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('rule-templates', { env: { OUTBOUND_RECIPIENT_GAP_MS: '0' }, sim: { pairRateWindowMs: 0 } });
});
afterAll(async () => h?.close(), 150_000);

type Sender = Awaited<ReturnType<typeof makeSender>>;
const op = () => h.server.operatorKey;
const TEMPLATE_FIELDS = 'id name locale latestVersion visibility variables { name type label required example default options } config sampleMessages versions { version notes }';

async function createTemplate(input: Record<string, unknown>) {
  return (await gqlOk(h.server.url, op(), `mutation($i: CreateRuleTemplateInput!) { createRuleTemplate(input: $i) { ${TEMPLATE_FIELDS} } }`, { i: input })).createRuleTemplate;
}
async function apply(key: string, input: Record<string, unknown>) {
  return gql(h.server.url, key, `mutation($i: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $i) { name ruleTemplateId ruleTemplateVersion } }`, { i: input });
}
async function applied(key: string, instanceId: string) {
  return (await gqlOk(h.server.url, key, `query($id: ID!) { instance(id: $id) { timezone replyLimitPerHour appliedTemplate { version variables upgradeAvailable heldRules { ruleName status reason fix } messageTemplates { name status rejectedReason } template { id } } automationRules { name ruleTemplateId } } }`, { id: instanceId })).instance;
}

/** Waits until the message with this wamid is processed: its hooks (automation) have run. */
async function processed(wamid: string) {
  return eventually(async () => (await h.server.core.database.sql`
    select 1 from messages m where m.wamid = ${wamid} and exists (select 1 from webhook_events e where position(convert_to(${wamid}, 'UTF8') in e.raw_body) > 0 and e.state = 'processed')`).length > 0, `${wamid} processed`);
}
/** "type: text" of what rules queued for one customer, in order. */
async function repliesTo(s: Sender, customer: string) {
  const rows = await h.server.core.database.sql`select m.type, m.text from messages m join contacts c on c.id = m.contact_id
    where m.tenant_id = ${s.tenant.id} and c.wa_id = ${customer} and m.direction = 'outbound' and m.automation_rule_id is not null order by m.created_at, m.id`;
  return rows.map((r) => `${r.type}: ${r.text}`);
}
async function customerSends(s: Sender, customer: string, sample: { text?: string; buttonId?: string; listRowId?: string }, name = 'Ana Souza') {
  const kind = sample.buttonId ? 'button' : sample.listRowId ? 'list' : 'text';
  const sent = await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, name, kind, text: sample.text, buttonId: sample.buttonId, listRowId: sample.listRowId });
  await processed(sent.messageId);
}

const SIMPLE_CONFIG = {
  rules: [{ name: 'Saudação', trigger: { type: 'keyword', keywords: ['oi'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Olá, aqui é {{business_name}}. Taxa: {{fee}}.' }] }],
  timezone: '{{zone}}', replyLimitPerHour: 7,
};
const SIMPLE_VARIABLES = [
  { name: 'business_name', type: 'text', label: 'Nome', example: 'Padaria' },
  { name: 'fee', type: 'money', label: 'Taxa', default: { amount: 5, currency: 'BRL' }, required: false },
  { name: 'zone', type: 'choice', label: 'Fuso', options: ['America/Sao_Paulo', 'America/Manaus'], default: 'America/Sao_Paulo', required: false },
];

describe('configuration templates', () => {
  it('applies a version with typed values, keeping the instance\'s own rules after the template\'s, and writing its settings', async () => {
    const s = await makeSender(h);
    const template = await createTemplate({ name: 'Simples', locale: 'pt-BR', variables: SIMPLE_VARIABLES, config: SIMPLE_CONFIG, sampleMessages: ['oi'] });
    await gqlOk(h.server.url, s.key, `mutation($i: CreateAutomationRuleInput!) { createAutomationRule(input: $i) { id } }`, { i: { instanceId: s.instance.id, name: 'Minha regra', trigger: { type: 'any_message' }, actions: [{ type: 'mark_read' }] } });

    const bad = await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: { business_name: 'Padaria Real', fee: { amount: 'five' } } });
    expect(codes(bad)).toEqual(['VALIDATION_FAILED']);
    expect(bad.errors![0].message).toMatch(/^variables\.fee: Taxa: expected an amount and a currency/);
    expect(codes(await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: {} }))).toEqual(['VALIDATION_FAILED']);

    const ok = await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: { business_name: 'Padaria Real', zone: 'America/Manaus' } });
    expect(ok.data!.applyRuleTemplate.map((r: { name: string }) => r.name)).toEqual(['Saudação', 'Minha regra']);
    const instance = await applied(s.key, s.instance.id);
    expect(instance).toMatchObject({ timezone: 'America/Manaus', replyLimitPerHour: 7, appliedTemplate: { version: 1, variables: { business_name: 'Padaria Real', zone: 'America/Manaus', fee: { amount: 5, currency: 'BRL' } }, upgradeAvailable: false, heldRules: [] } });
    const { testAutomationRules } = await gqlOk(h.server.url, s.key, `query($i: TestAutomationRulesInput!) { testAutomationRules(input: $i) { replies { text } } }`, { i: { instanceId: s.instance.id, text: 'oi' } });
    expect(testAutomationRules.replies[0].text.replace(/\s/g, ' ')).toBe('Olá, aqui é Padaria Real. Taxa: R$ 5,00.');
  });

  it('publishes versions that never change, previews an upgrade (rules added, removed, changed; new variables), upgrades keeping values, and unapplies', async () => {
    const s = await makeSender(h);
    const template = await createTemplate({ name: 'Versionado', locale: 'pt-BR', variables: SIMPLE_VARIABLES, config: SIMPLE_CONFIG });
    expect((await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: { business_name: 'Padaria Real' } })).errors).toBeUndefined();
    const v1 = (await gqlOk(h.server.url, op(), `query($id: ID!) { ruleTemplate(id: $id) { versions { version config variables { name } } } }`, { id: template.id })).ruleTemplate.versions[0];

    const v2Config = { ...SIMPLE_CONFIG, rules: [
      { ...SIMPLE_CONFIG.rules[0], actions: [{ type: 'reply_text', text: 'Oi! {{business_name}} em {{city}}.' }] },
      { name: 'Horário', trigger: { type: 'keyword', keywords: ['hora'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Das 7h às 19h.' }] },
    ] };
    const published = (await gqlOk(h.server.url, op(), `mutation($i: PublishRuleTemplateVersionInput!) { publishRuleTemplateVersion(input: $i) { latestVersion versions { version config } } }`, {
      i: { id: template.id, config: v2Config, variables: [...SIMPLE_VARIABLES, { name: 'city', type: 'text', label: 'Cidade', example: 'São Paulo' }], notes: 'mostra a cidade' },
    })).publishRuleTemplateVersion;
    expect(published.latestVersion).toBe(2);
    expect(published.versions.find((v: { version: number }) => v.version === 1).config).toEqual(v1.config); // version 1 as it was

    const instance = await applied(s.key, s.instance.id);
    expect(instance.appliedTemplate).toMatchObject({ version: 1, upgradeAvailable: true });
    const { templateUpgradePreview } = await gqlOk(h.server.url, s.key, `query($id: ID!) { templateUpgradePreview(instanceId: $id) { fromVersion toVersion rulesAdded rulesRemoved rulesChanged newVariables { name } missingValues notes } }`, { id: s.instance.id });
    expect(templateUpgradePreview).toEqual({ fromVersion: 1, toVersion: 2, rulesAdded: ['Horário'], rulesRemoved: [], rulesChanged: ['Saudação'], newVariables: [{ name: 'city' }], missingValues: ['city'], notes: ['v2: mostra a cidade'] });

    expect(codes(await gql(h.server.url, s.key, `mutation($i: UpgradeInstanceTemplateInput!) { upgradeInstanceTemplate(input: $i) { name } }`, { i: { instanceId: s.instance.id } }))).toEqual(['VALIDATION_FAILED']);
    const { upgradeInstanceTemplate } = await gqlOk(h.server.url, s.key, `mutation($i: UpgradeInstanceTemplateInput!) { upgradeInstanceTemplate(input: $i) { name ruleTemplateVersion } }`, { i: { instanceId: s.instance.id, variables: { city: 'Campinas' } } });
    expect(upgradeInstanceTemplate).toEqual([{ name: 'Saudação', ruleTemplateVersion: 2 }, { name: 'Horário', ruleTemplateVersion: 2 }]);
    expect((await applied(s.key, s.instance.id)).appliedTemplate.variables).toMatchObject({ business_name: 'Padaria Real', city: 'Campinas' });

    const { unapplyRuleTemplate } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { unapplyRuleTemplate(instanceId: $id) { name } }`, { id: s.instance.id });
    expect(unapplyRuleTemplate).toEqual([]);
    expect((await applied(s.key, s.instance.id)).appliedTemplate).toBeNull();
  });

  it('shows a template only to the tenants it is published to, and refuses every edit by a tenant', async () => {
    const chosen = await makeTenant(h.server.core.services);
    const other = await makeTenant(h.server.core.services);
    const template = await createTemplate({ name: 'Exclusivo', variables: SIMPLE_VARIABLES, config: SIMPLE_CONFIG, visibility: 'chosen', tenantIds: [chosen.tenant.id] });
    const read = (key: string) => gql(h.server.url, key, `query($id: ID!) { ruleTemplate(id: $id) { name tenantIds } }`, { id: template.id });
    expect((await read(chosen.key)).data).toEqual({ ruleTemplate: { name: 'Exclusivo', tenantIds: [] } });
    expect(codes(await read(other.key))).toEqual(['NOT_FOUND']);
    const listed = async (key: string) => (await gqlOk(h.server.url, key, `{ ruleTemplates(first: 100, filter: { search: "Exclusivo" }) { edges { node { id } } } }`)).ruleTemplates.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(await listed(chosen.key)).toContain(template.id);
    expect(await listed(other.key)).not.toContain(template.id);

    for (const [query, variables] of [
      [`mutation($i: CreateRuleTemplateInput!) { createRuleTemplate(input: $i) { id } }`, { i: { name: 'x', variables: SIMPLE_VARIABLES, config: SIMPLE_CONFIG } }],
      [`mutation($i: PublishRuleTemplateVersionInput!) { publishRuleTemplateVersion(input: $i) { id } }`, { i: { id: template.id, notes: 'x' } }],
      [`mutation($id: ID!) { cloneRuleTemplate(id: $id) { id } }`, { id: template.id }],
      [`mutation($i: SetRuleTemplateVisibilityInput!) { setRuleTemplateVisibility(input: $i) { id } }`, { i: { id: template.id, visibility: 'all' } }],
    ] as const) {
      expect(codes(await gql(h.server.url, chosen.key, query, variables))).toEqual(['FORBIDDEN']);
    }
    const { setRuleTemplateVisibility } = await gqlOk(h.server.url, op(), `mutation($i: SetRuleTemplateVisibilityInput!) { setRuleTemplateVisibility(input: $i) { visibility } }`, { i: { id: template.id, visibility: 'all' } });
    expect(setRuleTemplateVisibility.visibility).toBe('all');
    expect(await listed(other.key)).toContain(template.id);
    const { cloneRuleTemplate } = await gqlOk(h.server.url, op(), `mutation($id: ID!) { cloneRuleTemplate(id: $id) { name latestVersion visibility } }`, { id: template.id });
    expect(cloneRuleTemplate).toEqual({ name: 'Exclusivo (copy)', latestVersion: 1, visibility: 'chosen' });
  });

  it('submits the Meta template a rule needs, holds the rule while Meta reviews it, runs it once APPROVED, and shows a REJECTED one with Meta\'s reason', async () => {
    const s = await makeSender(h);
    h.sim.setScenario({ templateReviewDelayMs: 600_000 }); // Meta takes its time: this test decides
    try {
      const component = (text: string) => [{ type: 'BODY', text, example: { body_text: [['Ana']] } }];
      const template = await createTemplate({
        name: 'Com template da Meta', variables: [{ name: 'business_name', type: 'text', label: 'Nome', example: 'Loja' }],
        config: {
          messageTemplates: [
            { name: 'pedido_recebido', language: 'pt_BR', category: 'UTILITY', components: component('Olá {{1}}, recebemos seu pedido.') },
            { name: 'promo_rejeitada', language: 'pt_BR', category: 'MARKETING', components: component('Promoção para {{1}}!') },
          ],
          rules: [
            { name: 'Pedido', trigger: { type: 'keyword', keywords: ['pedido'], match: 'contains' }, actions: [{ type: 'reply_template', template: 'pedido_recebido', language: 'pt_BR', parameters: ['{{contact.first_name}}'] }] },
            { name: 'Promo', trigger: { type: 'keyword', keywords: ['promo'], match: 'contains' }, actions: [{ type: 'reply_template', template: 'promo_rejeitada', language: 'pt_BR', parameters: ['{{contact.first_name}}'] }] },
          ],
        },
      });
      expect((await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: { business_name: 'Loja' } })).errors).toBeUndefined();
      const submitted = h.sim.requests().filter((r) => r.method === 'POST' && r.path.endsWith(`${s.waba.id}/message_templates`));
      expect(submitted.map((r) => (r.body as { name: string }).name).sort()).toEqual(['pedido_recebido', 'promo_rejeitada']);
      let instance = await applied(s.key, s.instance.id);
      expect(instance.appliedTemplate.heldRules).toEqual([
        expect.objectContaining({ ruleName: 'Pedido', status: 'PENDING', reason: expect.stringContaining("waiting for Meta's approval") }),
        expect.objectContaining({ ruleName: 'Promo', status: 'PENDING' }),
      ]);

      // Held: the customer's "pedido" is processed and nothing is sent.
      const customer = uniqueE164().slice(1);
      await customerSends(s, customer, { text: 'Cadê meu pedido?' });
      expect(await repliesTo(s, customer)).toEqual([]);

      // Meta decides; its status webhooks reach wabahub.
      await h.sim.setTemplateStatus({ wabaId: s.waba.id, name: 'pedido_recebido', language: 'pt_BR', status: 'APPROVED' });
      await h.sim.setTemplateStatus({ wabaId: s.waba.id, name: 'promo_rejeitada', language: 'pt_BR', status: 'REJECTED', reason: 'PROMOTIONAL' });
      instance = await eventually(async () => {
        const now = await applied(s.key, s.instance.id);
        return now.appliedTemplate.heldRules.length === 1 && now.appliedTemplate.heldRules[0].status === 'REJECTED' && now;
      }, 'the status webhooks applied');
      expect(instance.appliedTemplate.heldRules[0]).toMatchObject({ ruleName: 'Promo', reason: expect.stringContaining('PROMOTIONAL'), fix: expect.stringContaining('publish a new version') });
      expect(instance.appliedTemplate.messageTemplates).toEqual(expect.arrayContaining([{ name: 'pedido_recebido', status: 'APPROVED', rejectedReason: null }, { name: 'promo_rejeitada', status: 'REJECTED', rejectedReason: 'PROMOTIONAL' }]));

      await customerSends(s, customer, { text: 'e o pedido?' });
      expect(await repliesTo(s, customer)).toEqual(['template: Olá Ana, recebemos seu pedido.']);
      await customerSends(s, customer, { text: 'tem promo?' });
      expect(await repliesTo(s, customer)).toEqual(['template: Olá Ana, recebemos seu pedido.']);
      await eventually(async () => h.sim.messages({ phoneNumberId: s.simNumber.id, to: customer }).length === 1, 'the template at Meta');
    } finally {
      h.sim.setScenario({ templateReviewDelayMs: 300 });
    }
  });

  describe('the starter gallery', () => {
    it('has every starter in both languages, in every install', async () => {
      const s = await makeSender(h);
      const { ruleTemplates } = await gqlOk(h.server.url, s.key, `{ ruleTemplates(first: 100) { edges { node { name locale sampleMessages } } } }`);
      const names = ruleTemplates.edges.map((e: { node: { name: string; locale: string } }) => `${e.node.locale} ${e.node.name}`);
      for (const starter of STARTERS) for (const lang of ['pt-BR', 'en'] as const) expect(names).toContain(`${lang} ${starter.name[lang]}`);
    });

    // Each starter applied with its examples to an instance of its own; a customer sends each of
    // its sample messages in turn; the replies queued are the ones its preview shows.
    for (const starter of STARTERS) {
      for (const lang of ['pt-BR', 'en'] as const) {
        it(`${starter.key} (${lang}): a customer sending its samples gets the replies its preview shows`, async () => {
          const s = await makeSender(h);
          const { ruleTemplates } = await gqlOk(h.server.url, s.key, `query($q: String) { ruleTemplates(first: 5, filter: { search: $q, locale: "${lang}" }) { edges { node { id name variables { name example default } sampleMessages } } } }`, { q: starter.name[lang] });
          const template = ruleTemplates.edges.map((e: { node: { name: string } }) => e.node).find((t: { name: string }) => t.name === starter.name[lang]);
          const values = Object.fromEntries(template.variables.filter((v: { example: unknown }) => v.example !== null).map((v: { name: string; example: unknown }) => [v.name, v.example]));
          expect((await apply(s.key, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: values })).errors).toBeUndefined();
          // Its Meta templates approved first (the simulator reviews in 300 ms), so no rule is held.
          await eventually(async () => (await applied(s.key, s.instance.id)).appliedTemplate.heldRules.length === 0, 'no rule held');

          const { previewRuleTemplate } = await gqlOk(h.server.url, s.key, `query($i: PreviewRuleTemplateInput!) { previewRuleTemplate(input: $i) { messages { from type text note } } }`, { i: { ruleTemplateId: template.id, variables: values } });
          const expected = previewRuleTemplate.messages.filter((m: { from: string; type: string; note: string | null }) => m.from === 'business' && m.type !== 'handoff' && !m.note).map((m: { type: string; text: string }) => `${m.type}: ${m.text}`);
          expect(expected.length).toBeGreaterThan(0);

          const customer = uniqueE164().slice(1);
          // Named as the preview's customer is, so {{contact.first_name}} reads the same.
          for (const sample of template.sampleMessages) await customerSends(s, customer, sample, lang === 'pt-BR' ? 'Ana Souza' : 'Alex Smith');
          expect(await repliesTo(s, customer)).toEqual(expected);
          await eventually(async () => h.sim.messages({ phoneNumberId: s.simNumber.id, to: customer }).length === expected.length, 'every reply at Meta');
        });
      }
    }
  });
});
