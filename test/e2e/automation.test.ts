import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { emptyActivity, publishActivity } from '../../server/src/modules/activity/activity.publisher.js';
import { makeSender, repliesAtMeta, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { eventually } from '../setup/webhooks.js';
import { uniqueE164 } from '../factories/index.js';
import { join } from 'node:path';
import { closeContext, ensureDashboardBuilt, launchBrowser, newContext, screenshot, SCREENSHOTS } from './browser.js';

// setup(): the built dashboard, the Meta simulator playing Meta (its customers write in, it
// receives our replies and sends their statuses back), a real server and worker over the test
// Postgres and Redis with a queue prefix of this file's own, and chromium. Each test makes its own
// tenant with a simulator WABA, number, instance and approved templates (test/setup/outbound.ts).
let h: OutboundHarness;
let browser: Browser;
beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startOutboundHarness('e2e-automation');
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

/** The rule editor's text of a reply: typed with a placeholder inserted from its hint. */
async function writeReply(page: Page, index: number, before: string, after: string): Promise<void> {
  const box = page.getByTestId(`action-${index}-text`);
  await box.fill(before);
  await page.getByTestId(`a${index}-text-ph-first-name`).click();
  await box.press('End');
  await box.pressSequentially(after);
}

describe('dashboard: automation', () => {
  it('writes a rule in the editor, dry-runs it, answers a customer live in the conversations page, and hands a conversation to a person until resolved', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();

    // The rule editor, from the Instances page.
    await page.goto(`${h.server.url}/instances`);
    await page.getByTestId('instance-rules').click();
    await page.waitForURL(/\/instances\/[^/]+\/rules$/);
    await page.getByTestId('empty').waitFor();
    await screenshot(page, '14-rules-empty');

    // A pattern the API refuses: its error shows under the keywords, naming the pattern.
    await page.getByTestId('new-rule').click();
    await page.getByTestId('rule-name').fill('Cardápio');
    await page.getByTestId('rt-match').selectOption('regex');
    await page.getByTestId('rt-keywords').fill('(cardápio');
    await page.getByTestId('rt-keywords').press('Enter');
    await writeReply(page, 0, 'Olá ', '! Nosso cardápio: https://example.com/menu');
    await page.getByTestId('save-rule').click();
    await page.getByTestId('error-rt-keywords').waitFor();
    expect(await page.getByTestId('error-rt-keywords').textContent()).toContain('"(cardápio"');
    await screenshot(page, '15-rule-validation');

    // Fixed: "contains cardápio", saved, listed.
    await page.getByTestId('rt-match').selectOption('contains');
    await page.getByRole('button', { name: 'Remove (cardápio' }).click();
    await page.getByTestId('rt-keywords').fill('cardápio');
    await page.getByTestId('rt-keywords').press('Enter');
    await page.getByTestId('save-rule').click();
    await page.getByTestId('rule-row').filter({ hasText: 'Cardápio' }).waitFor();
    await page.getByTestId('rule-editor').waitFor({ state: 'detached' });
    const [stored] = await h.server.core.services.automation.listForInstance(OPERATOR, s.instance.id);
    expect(stored).toMatchObject({
      name: 'Cardápio', enabled: true, stop: true, conditions: [],
      trigger: { type: 'keyword', keywords: ['cardápio'], match: 'contains' },
      actions: [{ type: 'reply_text', text: 'Olá {{contact.first_name}}! Nosso cardápio: https://example.com/menu' }],
    });
    await screenshot(page, '16-rule-saved');

    // The dry run: the rule fires, the reply as a bubble (a first-time customer has no name yet).
    await page.getByTestId('dr-text').fill('Oi! Me manda o cardapio?');
    await page.getByTestId('dr-run').click();
    const dryReply = page.getByTestId('dr-reply');
    await dryReply.waitFor();
    expect(await dryReply.getByTestId('bubble-text').textContent()).toBe('Olá cliente! Nosso cardápio: https://example.com/menu');
    expect(await page.getByTestId('dr-verdict').first().textContent()).toContain('Fires');
    await screenshot(page, '17-dry-run');

    // The conversations page, live: a customer writes "cardapio" and Meta receives the reply.
    await page.getByRole('link', { name: 'Conversations' }).first().click();
    await page.waitForURL(/\/conversations/);
    await page.getByTestId('empty').waitFor();
    await waitUntilLive(page, s);
    const customer = uniqueE164().slice(1);
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'Oi, me manda o cardapio por favor', name: 'Ana Souza' });
    await eventually(async () => atMeta(s, customer).length > 0, 'the reply at Meta', 20_000);
    expect(atMeta(s, customer)).toEqual(['Olá Ana! Nosso cardápio: https://example.com/menu']);

    const row = page.getByTestId('conversation-row').filter({ hasText: 'Ana Souza' });
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const thread = page.getByTestId('messages');
    await thread.locator('[data-dir="in"]').filter({ hasText: 'Oi, me manda o cardapio por favor' }).waitFor();
    await thread.getByTestId('answered-by').filter({ hasText: 'answered by rule «Cardápio»' }).waitFor();
    const reply = thread.locator('[data-dir="out"]').filter({ hasText: 'Olá Ana! Nosso cardápio' });
    await reply.waitFor();
    // Meta's statuses arrive while the thread is open: sent, delivered, then read (blue ticks).
    await reply.locator('[data-status="read"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('unread-count').count()).toBe(0); // opened, so read
    await screenshot(page, '18-conversation-live');

    // A person answers inside the 24-hour window; the tags are theirs to set.
    await page.getByTestId('window-open').waitFor();
    await page.getByTestId('reply-text').fill('Qualquer dúvida, estou aqui. Carla');
    await page.getByTestId('reply-text').press('Enter');
    await thread.locator('[data-dir="out"]').filter({ hasText: 'Qualquer dúvida, estou aqui. Carla' }).waitFor();
    await eventually(async () => atMeta(s, customer).length === 2, 'the person\'s reply at Meta', 20_000);
    await page.getByTestId('tag-input').fill('VIP');
    await page.getByTestId('tag-add').click();
    await page.getByTestId('tag').filter({ hasText: 'vip' }).waitFor();

    // A second rule hands the conversation to a person; it goes first in the order.
    const contactUrl = page.url();
    await page.goto(`${h.server.url}/instances/${s.instance.id}/rules`);
    await page.getByTestId('rule-row').first().waitFor();
    await page.getByTestId('new-rule').click();
    await page.getByTestId('rule-name').fill('Atendente');
    await page.getByTestId('rt-keywords').fill('atendente');
    await page.getByTestId('rt-keywords').press('Enter');
    await page.getByTestId('action-0-text').fill('Um momento, vou chamar alguém.');
    await page.getByTestId('add-action-handoff').click();
    await page.getByTestId('action-1-note').fill('pediu atendente');
    await page.getByTestId('save-rule').click();
    await page.getByTestId('rule-row').filter({ hasText: 'Atendente' }).waitFor();
    await page.getByTestId('rule-down').first().click();
    await page.getByTestId('rule-row').first().filter({ hasText: 'Atendente' }).waitFor();
    // The list moves at once; the order is the server's once reorderAutomationRules answers.
    await eventually(async () => (await h.server.core.services.automation.listForInstance(OPERATOR, s.instance.id)).map((r) => r.name).join() === 'Atendente,Cardápio', 'the new order stored');
    expect(await page.getByTestId('rule-stats').last().textContent()).toContain('1 run');
    await screenshot(page, '19-rules-reordered');

    // The customer asks for a person: the reply, then the handoff, live in the thread and the list.
    await page.goto(contactUrl);
    await page.getByTestId('thread-name').waitFor();
    await waitUntilLive(page, s);
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'quero falar com um atendente', name: 'Ana Souza' });
    await page.getByTestId('handoff-bar').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('handoff-bar').textContent()).toContain('pediu atendente');
    await thread.locator('[data-dir="out"]').filter({ hasText: 'Um momento, vou chamar alguém.' }).waitFor({ timeout: 15_000 });
    await row.getByTestId('handoff-badge').waitFor();
    // While a person has it, "cardapio" is not answered by the rules.
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'cardapio', name: 'Ana Souza' });
    await thread.locator('[data-dir="in"]').filter({ hasText: /^cardapio/ }).waitFor({ timeout: 15_000 });
    await eventually(async () => atMeta(s, customer).length === 3, 'the handoff reply at Meta', 20_000);
    await screenshot(page, '20-handoff');

    await page.getByTestId('resolve-handoff').click();
    await page.getByTestId('handoff-bar').waitFor({ state: 'detached' });
    await row.getByTestId('handoff-badge').waitFor({ state: 'detached' });
    expect(atMeta(s, customer)).toEqual(['Olá Ana! Nosso cardápio: https://example.com/menu', 'Qualquer dúvida, estou aqui. Carla', 'Um momento, vou chamar alguém.']);
    // Resolved: the rules answer again.
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'e o cardápio?', name: 'Ana Souza' });
    await eventually(async () => atMeta(s, customer).length === 4, 'the reply after the handoff at Meta', 20_000);
    await thread.locator('[data-dir="out"]').filter({ hasText: 'Olá Ana!' }).nth(1).waitFor({ timeout: 15_000 });
    await screenshot(page, '21-handoff-resolved');
    await closeContext(context);
  }, 180_000);

  it('builds a rule of every reply kind in the editor, and the dry run shows each reply as the customer will see it', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/instances/${s.instance.id}/rules`);
    await page.getByTestId('new-rule').click();
    await page.getByTestId('rule-name').fill('Boas-vindas');
    await page.getByTestId('rt-type').selectOption('first_message');
    await page.getByTestId('add-condition').click();
    await page.getByTestId('condition-0-type').selectOption('cooldown');
    await page.getByTestId('condition-0-hours').fill('12');

    // Buttons: at most three.
    await page.getByTestId('action-0-type').selectOption('reply_buttons');
    await writeReply(page, 0, 'Olá ', ', como podemos ajudar?');
    for (const [i, title] of ['Ver cardápio', 'Horários', 'Falar com alguém'].entries()) {
      if (i > 0) await page.getByTestId('action-0-add-button').click();
      await page.getByTestId(`action-0-button-${i}`).fill(title);
    }
    expect(await page.getByTestId('action-0-add-button').isDisabled()).toBe(true);
    // A list with two sections: section titles are required then.
    await page.getByTestId('add-action-reply_list').click();
    await page.getByTestId('action-1-text').fill('Nosso *cardápio* de hoje:');
    await page.getByTestId('action-1-list-button').fill('Ver pratos');
    await page.getByTestId('action-1-row-0-0').fill('Feijoada');
    await page.getByTestId('action-1-row-0-0-description').fill('Sábados');
    await page.getByRole('button', { name: 'Add section' }).click();
    await page.getByTestId('action-1-row-1-0').fill('Suco de caju');
    await page.getByTestId('save-rule').click();
    await page.locator('.field-error', { hasText: 'must be a non-empty string' }).first().waitFor();
    await page.getByPlaceholder('Section 1 title').fill('Pratos');
    await page.getByPlaceholder('Section 2 title').fill('Bebidas');
    // An approved template with a placeholder parameter, a document, a tag.
    await page.getByTestId('add-action-reply_template').click();
    await page.getByTestId('action-2-template').locator('option', { hasText: 'boas_vindas' }).waitFor({ state: 'attached' });
    await page.getByTestId('action-2-template').selectOption({ label: 'boas_vindas (pt_BR)' });
    await page.getByTestId('action-2-param-0').fill('{{contact.name}}');
    await page.getByTestId('add-action-reply_media').click();
    await page.getByTestId('action-3-media-type').selectOption('document');
    await page.getByTestId('action-3-link').fill('https://example.com/cardapio.pdf');
    await page.getByTestId('action-3-caption').fill('Cardápio completo');
    await page.getByTestId('action-3-filename').fill('cardapio.pdf');
    await page.getByTestId('add-action-add_tag').click();
    await page.getByTestId('action-4-tag').fill('novo');
    // The whole form: it is taller than the window, so the window grows for this picture.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await page.getByTestId('rule-editor').screenshot({ path: join(SCREENSHOTS, '24-editor-every-action.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByTestId('save-rule').click();
    await page.getByTestId('rule-row').filter({ hasText: 'Boas-vindas' }).waitFor();

    const [rule] = await h.server.core.services.automation.listForInstance(OPERATOR, s.instance.id);
    expect(rule).toMatchObject({
      trigger: { type: 'first_message' }, conditions: [{ type: 'cooldown', hours: 12 }],
      actions: [
        { type: 'reply_buttons', text: 'Olá {{contact.first_name}}, como podemos ajudar?', buttons: [{ id: 'ver_cardapio', title: 'Ver cardápio' }, { id: 'horarios', title: 'Horários' }, { id: 'falar_com_alguem', title: 'Falar com alguém' }] },
        { type: 'reply_list', button: 'Ver pratos', sections: [{ title: 'Pratos', rows: [{ id: 'feijoada', title: 'Feijoada', description: 'Sábados' }] }, { title: 'Bebidas', rows: [{ id: 'suco_de_caju', title: 'Suco de caju' }] }] },
        { type: 'reply_template', template: 'boas_vindas', language: 'pt_BR', parameters: ['{{contact.name}}'] },
        { type: 'reply_media', mediaType: 'document', link: 'https://example.com/cardapio.pdf', caption: 'Cardápio completo', filename: 'cardapio.pdf' },
        { type: 'add_tag', tag: 'novo' },
      ],
    });

    await page.getByTestId('dr-text').fill('Oi');
    await page.getByTestId('dr-run').click();
    await page.getByTestId('dr-reply').nth(3).waitFor();
    const replies = page.getByTestId('dr-reply');
    expect(await replies.nth(0).getByTestId('bubble-button').allTextContents()).toEqual(['Ver cardápio', 'Horários', 'Falar com alguém']);
    expect(await replies.nth(1).getByTestId('bubble-list').textContent()).toContain('Suco de caju');
    expect(await replies.nth(1).locator('strong').textContent()).toBe('cardápio');
    expect(await replies.nth(2).textContent()).toContain('Olá cliente! Seja bem-vindo(a).');
    expect(await replies.nth(3).textContent()).toContain('cardapio.pdf');
    await page.getByTestId('dry-run').scrollIntoViewIfNeeded();
    await screenshot(page, '25-dry-run-every-reply');
    await closeContext(context);
  }, 120_000);

  it('offers a template picker once the 24-hour window is closed, and sends the template', async () => {
    const s = await makeSender(h);
    const customer = uniqueE164().slice(1);
    await h.sim.sendInbound({ phoneNumberId: s.simNumber.id, from: customer, text: 'Bom dia', name: 'Bruno Lima' });
    const contact = await eventually(async () => {
      const [c] = await h.server.core.database.sql`select c.id from contacts c join messages m on m.contact_id = c.id where c.tenant_id = ${s.tenant.id} and c.wa_id = ${customer}`;
      return c as { id: string } | undefined;
    }, 'the customer stored', 15_000);
    // The customer last wrote 25 hours ago: only an approved template may go now.
    await h.server.core.database.sql`update contacts set last_inbound_at = now() - interval '25 hours' where id = ${contact.id}`;

    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/conversations/${contact.id}`);
    await page.getByTestId('window-closed-picker').waitFor();
    await page.getByTestId('reply-template').locator('option', { hasText: 'boas_vindas' }).waitFor({ state: 'attached' });
    await page.getByTestId('reply-template').selectOption({ label: 'boas_vindas (pt_BR)' });
    await page.getByTestId('reply-var-0').fill('Bruno');
    expect(await page.getByTestId('reply-preview').textContent()).toBe('Olá Bruno! Seja bem-vindo(a). Como podemos ajudar hoje?');
    await screenshot(page, '22-window-closed-template');
    await page.getByTestId('reply-send-template').click();
    await page.getByTestId('messages').locator('[data-dir="out"]').filter({ hasText: 'Template · boas_vindas' }).waitFor();
    await eventually(async () => atMeta(s, customer).includes('template:boas_vindas'), 'the template at Meta', 20_000);
    await screenshot(page, '23-template-sent');
    await closeContext(context);
  }, 120_000);
});
