import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { emptyActivity, publishActivity } from '../../server/src/modules/activity/activity.publisher.js';
import { makeSender, repliesAtMeta, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { eventually } from '../setup/webhooks.js';
import { uniqueE164 } from '../factories/index.js';
import { closeContext, ensureDashboardBuilt, launchBrowser, newContext, screenshot } from './browser.js';

// setup(): the built dashboard, the Meta simulator playing Meta (its customers write in, it
// receives our replies), a real server and worker over the test Postgres and Redis with a queue
// prefix of this file's own, and chromium. The starter gallery is seeded by the global setup, as
// every install seeds it; each test makes its own tenant with a simulator number and instance.
let h: OutboundHarness;
let browser: Browser;
beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startOutboundHarness('e2e-template-gallery');
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
}, 150_000);

type Sender = Awaited<ReturnType<typeof makeSender>>;
const atMeta = (s: Sender, customer: string) => repliesAtMeta(h, s, customer);


/**
 * graphql-ws says nothing when the server has registered a subscription, so before a customer
 * writes, the test publishes harmless activity for the tenant until the page reacts to one (it
 * reloads its list): from then on the page provably receives the tenant's live activity.
 */
async function waitUntilLive(page: Page, s: Sender): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const reloaded = page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('query Conversations'), { timeout: 1_500 });
    publishActivity(h.server.core.pubSub.publisher, [{ ...emptyActivity(), kind: 'handoff', tenantId: s.tenant.id, instanceId: s.instance.id, contactWaId: 'probe', summary: 'probe' }]);
    try {
      await reloaded;
      return;
    } catch {
      // not subscribed yet
    }
  }
  throw new Error('the conversations page never received live activity');
}

/** The replies of a preview on screen, as the customer reads them. */
async function previewReplies(page: Page, scope = page.getByTestId('use-conversation')): Promise<string[]> {
  return scope.getByTestId('preview-reply').getByTestId('bubble-text').allTextContents();
}

describe('dashboard: configuration template gallery', () => {
  it('as a client: picks «Restaurante» in the gallery, fills its fields watching the preview, applies it, and a customer asking for the menu gets it', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();

    // The gallery opens in the browser's language (English here): each card plays its sample conversation.
    await page.goto(`${h.server.url}/templates`);
    const restaurant = page.getByTestId('template-card').filter({ has: page.getByRole('heading', { name: 'Restaurant', exact: true }) });
    await restaurant.getByTestId('preview-reply').first().waitFor();
    expect(await page.getByTestId('template-card').locator('h2').allTextContents()).toEqual(expect.arrayContaining(['Restaurant', 'Clinic', 'Store']));
    expect(await page.getByTestId('template-card').locator('h2').allTextContents()).not.toContain('Restaurante');
    // The store sends order status by a Meta template: its card says so.
    const store = page.getByTestId('template-card').filter({ has: page.getByRole('heading', { name: 'Store', exact: true }) });
    expect(await store.getByTestId('template-meta').textContent()).toContain('order_status');
    expect(await restaurant.getByTestId('template-meta').count()).toBe(0);
    await screenshot(page, '40-gallery-en');

    // In Portuguese, searched: the restaurant's preview is the engine answering its samples with the examples.
    await page.getByTestId('template-language').selectOption('pt-BR');
    await page.getByTestId('template-search').fill('restaurante');
    const card = page.getByTestId('template-card').filter({ has: page.getByRole('heading', { name: 'Restaurante', exact: true }) });
    await card.getByTestId('preview-reply').first().waitFor();
    await eventually(async () => (await page.getByTestId('template-card').count()) === 1, 'the search narrowing the gallery to the restaurant');
    const samples = await previewReplies(page, card);
    expect(samples).toContain('Nosso cardápio 📖 https://example.com/cardapio');
    expect(samples.join('\n')).toContain('Bem-vindo(a) ao Cantina da Nona');
    expect(await card.getByTestId('preview-handoff').textContent()).toContain('Handed to a person: novo pedido');
    await screenshot(page, '41-gallery-restaurante');

    // "Use this template": a form generated from the variables' types, the preview beside it.
    await card.getByTestId('template-use').click();
    await page.waitForURL(/\/templates\/[^/]+\/use/);
    await page.getByTestId('use-conversation').getByTestId('preview-reply').first().waitFor();
    expect(await page.getByTestId('var-menu_url').getAttribute('placeholder')).toBe('https://example.com/cardapio');
    expect(await page.getByTestId('var-delivery_fee-currency').inputValue()).toBe('BRL');
    // A schedule has no placeholder: its example is offered under it.
    expect(await page.getByTestId('var-opening_hours').locator('..').textContent()).toContain('e.g. Tue–Sun 11:30–23:00');
    await screenshot(page, '42-use-form');

    // A value the API refuses is named beside its field while typing (the preview found it).
    await page.getByTestId('var-menu_url').fill('cardapio.pdf');
    await page.getByTestId('error-var-menu_url').waitFor();
    expect(await page.getByTestId('error-var-menu_url').textContent()).toContain('a web address starting with https://');
    await page.getByTestId('preview-stale').waitFor();
    await screenshot(page, '43-use-form-bad-url');

    // Filled in: each change plays the conversation again with the client's values.
    await page.getByTestId('var-business_name').fill('Cantina do Zé');
    await page.getByTestId('var-menu_url').fill('https://cantinadoze.example/cardapio');
    await page.getByTestId('error-var-menu_url').waitFor({ state: 'detached' });
    // Tuesday first; each day opened next starts with the hours set last.
    await page.getByTestId('var-opening_hours-day-2').check();
    await page.getByTestId('var-opening_hours-2-0-open').fill('11:00');
    await page.getByTestId('var-opening_hours-2-0-close').fill('23:00');
    for (const day of [3, 4, 5, 6, 0]) await page.getByTestId(`var-opening_hours-day-${day}`).check();
    await page.getByTestId('var-delivery_area').fill('Bela Vista e Liberdade');
    await page.getByTestId('var-delivery_fee').fill('6,50');
    // The last value typed reaches the preview once typing pauses; by then every earlier one has.
    await eventually(async () => /Taxa de entrega: R\$\s6,50/.test((await previewReplies(page)).join('\n')), 'the preview with the delivery fee typed', 15_000);
    const replies = await previewReplies(page);
    expect(replies).toContain('Nosso cardápio 📖 https://cantinadoze.example/cardapio');
    expect(replies.join('\n')).toContain('Bem-vindo(a) ao Cantina do Zé');
    expect(replies.join('\n')).toMatch(/Entregamos em: Bela Vista e Liberdade\. Taxa de entrega: R\$\s6,50\./);
    expect(replies.join('\n')).toContain('Funcionamos dom, ter, qua, qui, sex, sáb 11:00–23:00.');
    await screenshot(page, '44-use-form-filled');

    // Played at night, after the hours typed: the closed notice answers first.
    await page.getByTestId('preview-moment').selectOption('weekday-night');
    await eventually(async () => (await previewReplies(page)).some((text) => text.startsWith('Estamos fechados agora')), 'the preview at night', 15_000);
    expect((await previewReplies(page)).find((text) => text.startsWith('Estamos fechados agora'))).toContain('Funcionamos dom, ter, qua, qui, sex, sáb 11:00–23:00');
    await screenshot(page, '44b-use-form-at-night');
    await page.getByTestId('preview-moment').selectOption('weekday-noon');
    await eventually(async () => !(await previewReplies(page)).some((text) => text.startsWith('Estamos fechados agora')), 'the preview at noon', 15_000);

    // Applied to the client's instance.
    // The client has one number: its instance is the one chosen.
    expect(await page.getByTestId('use-instance').inputValue()).toBe(s.instance.id);
    await page.getByTestId('use-apply').click();
    await page.getByTestId('use-done').waitFor();
    expect(await page.getByTestId('use-done').textContent()).toContain('Applied «Restaurante» v');
    const rules = await h.server.core.services.automation.listForInstance(OPERATOR, s.instance.id);
    expect(rules.map((r) => r.name)).toContain('Cardápio');
    await screenshot(page, '45-use-applied');

    // A customer writes "cardápio": the menu reply reaches Meta and shows in the conversation.
    await page.getByTestId('use-done-conversations').click();
    await page.waitForURL(/\/conversations/);
    await page.getByTestId('empty').waitFor();
    await waitUntilLive(page, s);
    const customer = uniqueE164().slice(1);
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'cardápio', name: 'Bruna Lima' });
    await eventually(async () => atMeta(s, customer).includes('Nosso cardápio 📖 https://cantinadoze.example/cardapio'), 'the menu reply at Meta', 20_000);
    // A first message is greeted with the buttons too.
    await eventually(async () => atMeta(s, customer).some((text) => text.includes('Bem-vindo(a) ao Cantina do Zé')), 'the greeting at Meta', 20_000);

    const row = page.getByTestId('conversation-row').filter({ hasText: 'Bruna Lima' });
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const thread = page.getByTestId('messages');
    await thread.locator('[data-dir="in"]').filter({ hasText: 'cardápio' }).waitFor();
    await thread.locator('[data-dir="out"]').filter({ hasText: 'Nosso cardápio 📖 https://cantinadoze.example/cardapio' }).waitFor({ timeout: 15_000 });
    await screenshot(page, '46-conversation-menu');

    // The instances list says which template the number runs.
    await page.goto(`${h.server.url}/instances`);
    expect(await page.getByTestId('instance-template').textContent()).toMatch(/«Restaurante» v\d+/);
    await closeContext(context);
  }, 180_000);
  it('on the rules page: the applied template with its values, rules held for Meta (then rejected, with the reason and the fix), the upgrade with its diff, and remove', async () => {
    const s = await makeSender(h);
    h.sim.setScenario({ templateReviewDelayMs: 600_000 }); // Meta takes its time: this test decides
    try {
      const services = h.server.core.services;
      const component = (text: string) => [{ type: 'BODY', text, example: { body_text: [['Ana']] } }];
      const greeting = { name: 'Saudação', trigger: { type: 'first_message' }, actions: [{ type: 'reply_text', text: 'Olá! Aqui é a {{business_name}}.' }] };
      const order = { name: 'Pedido', trigger: { type: 'keyword', keywords: ['pedido'], match: 'contains' }, actions: [{ type: 'reply_template', template: 'pedido_recebido', language: 'pt_BR', parameters: ['{{contact.first_name}}'] }] };
      const promo = { name: 'Promo', trigger: { type: 'keyword', keywords: ['promo'], match: 'contains' }, actions: [{ type: 'reply_template', template: 'promo_rejeitada', language: 'pt_BR', parameters: ['{{contact.first_name}}'] }] };
      const messageTemplates = [
        { name: 'pedido_recebido', language: 'pt_BR', category: 'UTILITY', components: component('Olá {{1}}, recebemos seu pedido.') },
        { name: 'promo_rejeitada', language: 'pt_BR', category: 'MARKETING', components: component('Promoção para {{1}}!') },
      ];
      const template = await services.ruleTemplates.create(OPERATOR, {
        name: `Loja com pedidos ${s.tenant.id.slice(0, 6)}`, description: 'Pedidos por template da Meta', visibility: 'chosen', tenantIds: [s.tenant.id],
        variables: [{ name: 'business_name', type: 'text', label: 'Nome da loja', example: 'Loja' }, { name: 'delivery_fee', type: 'money', label: 'Frete', example: { amount: 10, currency: 'BRL' } }],
        config: { messageTemplates, rules: [greeting, order, promo] },
      });
      await services.templateApplications.apply(OPERATOR, { instanceId: s.instance.id, ruleTemplateId: template.id, variables: { business_name: 'Loja da Bia', delivery_fee: { amount: 12.5, currency: 'BRL' } } });
      const context = await newContext(browser, s.key);
      const page = await context.newPage();

      // Applied: version, values, and both rules held while Meta reviews their templates.
      await page.goto(`${h.server.url}/instances/${s.instance.id}/rules`);
      const panel = page.getByTestId('applied-template-panel');
      await panel.waitFor();
      expect(await panel.getByTestId('applied-version').textContent()).toBe('v1');
      expect(await panel.locator('[data-variable="business_name"]').textContent()).toBe('Loja da Bia');
      expect(await panel.locator('[data-variable="delivery_fee"]').textContent()).toMatch(/R\$\s12,50/);
      expect(await panel.getByTestId('held-rule').allTextContents()).toEqual([expect.stringContaining("Rule «Pedido» is on hold"), expect.stringContaining("Rule «Promo» is on hold")]);
      expect(await panel.getByTestId('held-rule').first().textContent()).toContain("waiting for Meta's approval");
      expect(await page.getByTestId('rule-held').count()).toBe(2);
      await screenshot(page, '47-applied-held');

      // Meta approves one and rejects the other: the rejected one says Meta's reason and what to change.
      await h.sim.setTemplateStatus({ wabaId: s.waba.id, name: 'pedido_recebido', language: 'pt_BR', status: 'APPROVED' });
      await h.sim.setTemplateStatus({ wabaId: s.waba.id, name: 'promo_rejeitada', language: 'pt_BR', status: 'REJECTED', reason: 'PROMOTIONAL' });
      await eventually(async () => {
        const instance = await services.instances.findOrFail(OPERATOR, s.instance.id);
        const applied = await services.templateApplications.applied(OPERATOR, instance);
        return applied?.heldRules.length === 1;
      }, 'the status webhooks applied');
      await page.reload();
      await panel.getByTestId('held-rule').filter({ hasText: 'Promo' }).waitFor();
      expect(await panel.getByTestId('held-rule').count()).toBe(1);
      expect(await panel.getByTestId('held-rule').textContent()).toContain('PROMOTIONAL');
      expect(await panel.getByTestId('held-fix').textContent()).toContain('publish a new version');
      expect(await panel.getByTestId('applied-meta-template').allTextContents()).toEqual([expect.stringMatching(/pedido_recebido.*approved/), expect.stringMatching(/promo_rejeitada.*rejected/)]);
      await screenshot(page, '48-applied-rejected');

      // The operator publishes version 2: the promotion goes, opening hours come, with a new field.
      await services.ruleTemplates.publishVersion(OPERATOR, {
        id: template.id, notes: 'Sem promoção; horário de funcionamento',
        variables: [
          { name: 'business_name', type: 'text', label: 'Nome da loja', example: 'Loja' }, { name: 'delivery_fee', type: 'money', label: 'Frete', example: { amount: 10, currency: 'BRL' } },
          { name: 'opening_time', type: 'time', label: 'Abre às', help: 'Hora em que a loja abre.', example: '09:00', required: true },
        ],
        config: { messageTemplates: messageTemplates.slice(0, 1), rules: [greeting, order, { name: 'Horário', trigger: { type: 'keyword', keywords: ['horário'], match: 'contains' }, actions: [{ type: 'reply_text', text: 'Abrimos às {{opening_time}}.' }] }] },
      });
      await page.reload();
      await panel.getByTestId('applied-upgrade').waitFor();
      await panel.getByTestId('applied-upgrade-preview').click();
      const diff = panel.getByTestId('applied-upgrade-diff');
      await diff.waitFor();
      expect(await diff.getByTestId('diff-added').allTextContents()).toEqual(['+ rule «Horário» added']);
      expect(await diff.getByTestId('diff-variable').allTextContents()).toEqual(['+ new field «Abre às» (needs a value)']);
      expect(await diff.getByTestId('diff-removed').allTextContents()).toEqual(['− rule «Promo» removed']);
      await panel.getByTestId('applied-upgrade-run').click();
      await panel.getByTestId('error-var-opening_time').waitFor(); // the new required field, asked for here
      await screenshot(page, '49-upgrade-diff');
      await panel.getByTestId('var-opening_time').fill('08:30');
      await panel.getByTestId('applied-upgrade-run').click();
      await eventually(async () => (await panel.getByTestId('applied-version').textContent()) === 'v2', 'the upgrade shown');
      expect(await panel.locator('[data-variable="business_name"]').textContent()).toBe('Loja da Bia'); // kept
      expect(await panel.locator('[data-variable="opening_time"]').textContent()).toBe('08:30');
      await page.getByTestId('rule-row').filter({ hasText: 'Horário' }).waitFor();
      expect(await page.getByTestId('rule-row').locator('[data-testid=rule-name-cell]').allTextContents()).toEqual(['Saudação', 'Pedido', 'Horário']);
      await screenshot(page, '50-upgraded');

      // Removed: its rules go.
      await panel.getByTestId('applied-remove').click();
      await panel.getByTestId('applied-remove-confirm').click();
      await panel.waitFor({ state: 'detached' });
      await page.getByTestId('empty').waitFor();
      expect(await services.automation.listForInstance(OPERATOR, s.instance.id)).toEqual([]);
      await screenshot(page, '51-template-removed');
      await closeContext(context);
    } finally {
      h.sim.setScenario({ templateReviewDelayMs: 300 });
    }
  }, 180_000);
  it('as the operator: clones a starter, adds a field and a rule in the editor, publishes the next version to one tenant, and that tenant\'s gallery plays it', async () => {
    const s = await makeSender(h);
    const name = `Bakery ${s.tenant.id.slice(0, 8)}`;
    const context = await newContext(browser, h.server.operatorKey);
    const page = await context.newPage();

    await page.goto(`${h.server.url}/templates?lang=en`);
    const starter = page.getByTestId('template-card').filter({ has: page.getByRole('heading', { name: 'After-hours auto-reply', exact: true }) });
    await starter.getByTestId('template-clone').click();
    await page.waitForURL(/\/templates\/[^/]+\/edit$/);
    await page.getByTestId('te-versions').waitFor();
    expect(await page.getByTestId('te-name').inputValue()).toBe('After-hours auto-reply (copy)');
    expect(await page.getByTestId('te-rule').count()).toBe(1);
    await screenshot(page, '52a-editor-cloned');
    await page.getByTestId('te-name').fill(name);

    // A rule written with the automation rule editor, using a field not declared yet.
    await page.getByTestId('te-add-rule').click();
    await page.getByTestId('rule-editor').waitFor();
    await screenshot(page, '52b-editor-rule');
    await page.getByTestId('rule-name').fill('Where');
    await page.getByTestId('rt-keywords').fill('where');
    await page.getByTestId('rt-keywords').press('Enter');
    // The template's own fields are offered with the engine's placeholders.
    await page.getByTestId('a0-text-ph-Business-name').click();
    await page.getByTestId('action-0-text').press('End');
    await page.getByTestId('action-0-text').pressSequentially(' is in {{city}}.');
    await page.getByTestId('save-rule').click();
    await page.getByTestId('rule-editor').waitFor({ state: 'detached' });
    expect(await page.getByTestId('te-rule').count()).toBe(2);
    await page.getByTestId('te-add-sample').click();
    await page.getByTestId('te-sample-1').fill('Where are you?');
    await page.getByTestId('te-notes').fill('Says where we are');
    await page.getByTestId('te-publish').click();
    await page.getByTestId('template-editor').getByTestId('error').waitFor();
    expect(await page.getByTestId('template-editor').getByTestId('error').textContent()).toContain('undeclared variables: city');
    await screenshot(page, '52-editor-undeclared');

    // The field, declared with its example; who sees it; published as version 2.
    await page.getByTestId('te-add-variable').click();
    await page.getByTestId('te-var-2-name').fill('city');
    await page.getByTestId('te-var-2-label').fill('City');
    await page.getByTestId('var-2-example').fill('Campinas');
    await page.getByTestId('te-visibility-chosen').check();
    await page.getByTestId(`te-tenant-${s.tenant.id}`).check();
    await page.getByTestId('te-visibility-save').click();
    await page.getByText('One tenant sees it.').waitFor();
    await page.getByTestId('te-publish').click();
    await page.getByTestId('te-published').waitFor();
    expect(await page.getByTestId('te-published').textContent()).toContain('Published version 2');
    expect(await page.getByTestId('te-versions').locator('li').allTextContents()).toEqual([expect.stringContaining('v2 Says where we are'), expect.stringContaining('v1')]);
    await screenshot(page, '53-editor-published');
    await closeContext(context);

    // The tenant's gallery has it, and its preview is the engine answering with the example.
    const client = await newContext(browser, s.key);
    const tenantPage = await client.newPage();
    await tenantPage.goto(`${h.server.url}/templates?lang=en`);
    const card = tenantPage.getByTestId('template-card').filter({ has: tenantPage.getByRole('heading', { name, exact: true }) });
    await card.getByTestId('preview-reply').filter({ hasText: 'Aurora Studio is in Campinas.' }).waitFor();
    expect(await card.locator('.badge').allTextContents()).toContain('v2');
    await screenshot(tenantPage, '54-gallery-published-template');
    await closeContext(client);
  }, 180_000);
});
