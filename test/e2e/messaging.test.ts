import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makeSender, startOutboundHarness, waitForStatus, type OutboundHarness } from '../setup/outbound.js';
import { uniqueE164 } from '../factories/index.js';
import { closeContext, ensureDashboardBuilt, launchBrowser, newContext, screenshot } from './browser.js';

// setup(): the built dashboard, the Meta simulator playing Meta, a real server and worker (real
// Postgres and Redis, a queue prefix of this file's own), and chromium. Each test makes its own
// tenant with a simulator WABA, number and approved templates (see test/setup/outbound.ts).
let h: OutboundHarness;
let browser: Browser;
beforeAll(async () => {
  await ensureDashboardBuilt();
  h = await startOutboundHarness('e2e-messaging');
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('dashboard: messaging', () => {
  it("composes an approved template with its variables, and names the window when free text is refused", async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/compose`);
    await page.getByTestId('c-instance').selectOption(s.instance.id);
    const to = uniqueE164();
    await page.getByTestId('c-to').fill(to);

    // Free text to a customer who never wrote: WINDOW_CLOSED, with the templates to use instead.
    await page.getByTestId('c-text').fill('Oi!');
    await page.getByTestId('c-send').click();
    await page.getByTestId('window-closed').waitFor();
    expect(await page.getByTestId('window-closed').textContent()).toContain('boas_vindas (pt_BR)');

    await page.getByTestId('c-kind-template').click();
    await page.getByTestId('c-template').locator('option', { hasText: 'boas_vindas' }).waitFor({ state: 'attached' });
    await page.getByTestId('c-template').selectOption({ label: 'boas_vindas (pt_BR)' });
    await page.getByTestId('c-var-0').fill('Ana');
    expect(await page.getByTestId('preview').textContent()).toContain('Olá Ana! Seja bem-vindo(a).');
    await page.getByTestId('c-send').click();
    await page.getByTestId('sent').waitFor();
    const [row] = await h.server.core.database.sql`select id, text from messages where tenant_id = ${s.tenant.id} and direction = 'outbound'`;
    expect(row.text).toBe('Olá Ana! Seja bem-vindo(a). Como podemos ajudar hoje?');
    // The recent-sends list follows the message to Meta's read receipt.
    await waitForStatus(h, row.id, ['read']);
    await page.getByTestId('recent-sends').locator('.pill', { hasText: 'read' }).waitFor({ timeout: 10_000 });
    await screenshot(page, '11-composer');
    await closeContext(context);
  });

  it('sends a campaign from the form and follows its progress live to completion, with the number against its tier', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/campaigns`);
    await page.getByTestId('new-campaign').click();
    await page.getByTestId('cp-instance').selectOption(s.instance.id);
    await page.getByTestId('cp-template').locator('option', { hasText: 'order_update' }).waitFor({ state: 'attached' });
    await page.getByTestId('cp-template').selectOption({ label: 'order_update (en_US)' });
    await page.getByTestId('cp-name').fill('Black Friday');
    const recipients = Array.from({ length: 30 }, (_, i) => `${uniqueE164()}, Cliente ${i}, #${1000 + i}`);
    await page.getByTestId('cp-recipients').fill(['not-a-number, x, y', ...recipients].join('\n'));
    await page.getByTestId('cp-send').click();
    await page.getByTestId('error-cp-recipients').waitFor(); // caught before sending
    expect(await page.getByTestId('error-cp-recipients').textContent()).toContain('line 1');
    await page.getByTestId('cp-recipients').fill(recipients.join('\n'));
    await page.getByTestId('cp-send').click();

    await page.waitForURL(/\/campaigns\/[^/]+$/);
    expect(await page.getByTestId('campaign-name').textContent()).toContain('Black Friday');
    // Counts arrive over the campaignProgress subscription: the page never reloads.
    await page.getByTestId('done-percent').filter({ hasText: '100%' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('count-read').filter({ hasText: '30' }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('campaign-state').textContent()).toBe('completed');
    expect(await page.getByTestId(`rate-${s.phoneNumber.phoneNumberId}`).textContent()).toContain('/ 80/s');
    await screenshot(page, '12-campaign');

    await page.goto(`${h.server.url}/campaigns`);
    await page.getByTestId('campaign-row').first().waitFor();
    expect(await page.getByTestId('campaign-row').count()).toBe(1);
    await screenshot(page, '13-campaigns');
    await closeContext(context);
  });
});
