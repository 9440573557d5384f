import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { startWebhookReceiver, type WebhookReceiver } from '../setup/webhook-receiver.js';
import { closeContext, ensureDashboardBuilt, launchBrowser, newContext, screenshot } from './browser.js';

// setup(): the built dashboard served by a real server, a real worker delivering webhooks to a
// real HTTP receiver on this machine, the simulator as Meta, driven in a real chromium signed in
// with a tenant's key. Screenshots in /tmp/screenshots (tenant-webhooks-*).
let h: OutboundHarness;
let browser: Browser;
let receiver: WebhookReceiver;
beforeAll(async () => {
  await ensureDashboardBuilt();
  receiver = await startWebhookReceiver();
  h = await startOutboundHarness('e2e-webhooks', { env: { SECRETS_KEY: randomBytes(32).toString('base64') } });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await receiver?.close();
}, 150_000);

describe('dashboard: webhooks and API keys', () => {
  it('creates an endpoint showing its secret once, sends a test, shows the delivery in the log with its status, and redelivers it', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/webhooks`);
    await page.getByTestId('new-endpoint').click();
    await page.getByTestId('endpoint-url').fill(`${receiver.url}/e2e`);
    await page.getByTestId('endpoint-description').fill('CRM da loja');
    await page.getByTestId('event-handoff.started').check();
    await screenshot(page, 'tenant-webhooks-1-new-endpoint');
    await page.getByTestId('create-endpoint').click();

    // The secret, once.
    const secret = (await page.getByTestId('secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await page.getByTestId('endpoint-row').first().waitFor();
    expect(await page.getByTestId('endpoint-row').first().textContent()).toContain('handoff.started');
    await screenshot(page, 'tenant-webhooks-2-secret-once');
    await page.reload();
    await page.getByTestId('endpoint-row').first().waitFor();
    expect(await page.getByTestId('endpoint-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // A test event: delivered, signed with that secret, shown in the log.
    const [{ id: endpointId }] = await h.server.core.database.sql`select id from webhook_endpoints where tenant_id = ${s.tenant.id}`;
    await page.getByTestId(`test-${endpointId}`).click();
    await page.locator('[data-testid=delivery-row][data-status=succeeded]').first().waitFor({ timeout: 15_000 });
    const row = await page.getByTestId('delivery-row').first().textContent();
    expect(row).toContain('webhook.test');
    expect(row).toContain('HTTP 200');
    await page.getByTestId('delivery-row').first().click();
    await screenshot(page, 'tenant-webhooks-3-delivery-log');
    const [request] = receiver.at('/e2e');
    const header = String(request.headers['x-wabahub-signature']);
    const t = /t=(\d+)/.exec(header)![1];
    expect(header).toContain(`v1=${createHmac('sha256', secret).update(`${t}.${request.rawBody}`).digest('hex')}`);

    // Redeliver: a second delivery of the same event, succeeded too.
    const [{ id: deliveryId }] = await h.server.core.database.sql`select id from webhook_deliveries where endpoint_id = ${endpointId}`;
    await page.getByTestId(`redeliver-${deliveryId}`).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=delivery-row][data-status=succeeded]').length === 2, undefined, { timeout: 15_000 });
    expect(await page.getByTestId('delivery-row').first().textContent()).toContain('redelivery');
    expect(receiver.at('/e2e').map((r) => r.headers['x-wabahub-delivery'])).toEqual([request.headers['x-wabahub-delivery'], request.headers['x-wabahub-delivery']]);
    await screenshot(page, 'tenant-webhooks-4-redelivered');

    // Disable it: the switch, and the row says so.
    await page.getByTestId(`toggle-${endpointId}`).uncheck({ force: true });
    await page.locator('[data-testid=endpoint-row] .pill', { hasText: 'disabled' }).waitFor();
    expect((await h.server.core.database.sql`select enabled from webhook_endpoints where id = ${endpointId}`)[0].enabled).toBe(false);
    await closeContext(context);
  }, 90_000);

  it('shows an endpoint wabahub disabled as an alert with its reason', async () => {
    const s = await makeSender(h);
    await h.server.core.database.sql`insert into webhook_endpoints (tenant_id, url, events, enabled, secret, disabled_reason, disabled_at)
      values (${s.tenant.id}, 'https://down.example.com/hook', '{message.received}', false, ${JSON.stringify({ v: 1, iv: '', tag: '', data: '' })}::jsonb, 'every delivery failed since 2026-12-05 10:00 UTC (last: HTTP 500); fix the endpoint and enable it again', now())`;
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/webhooks`);
    const alert = page.getByTestId('endpoint-alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('every delivery failed since 2026-12-05 10:00 UTC (last: HTTP 500)');
    await screenshot(page, 'tenant-webhooks-5-disabled-alert');
    await closeContext(context);
  });

  it('lists API keys with prefix, name, scope and last use, creates a read key showing its secret once, and revokes it', async () => {
    const s = await makeSender(h);
    const context = await newContext(browser, s.key);
    const page = await context.newPage();
    await page.goto(`${h.server.url}/api-keys`);
    await page.getByTestId('key-row').first().waitFor();
    await page.getByTestId('key-name').fill('Relatórios (somente leitura)');
    await page.getByTestId('key-scope').selectOption('read');
    await page.getByTestId('create-key').click();
    const secret = (await page.getByTestId('secret').textContent())!;
    expect(secret).toMatch(/^whk_/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=key-row]').length === 2);
    const rows = await page.getByTestId('key-row').allTextContents();
    expect(rows[1]).toContain('Relatórios (somente leitura)');
    expect(rows[1]).toContain('read');
    expect(rows[1]).toContain(secret.slice(0, 12));
    expect(rows[0]).toMatch(/full|read/);
    await screenshot(page, 'tenant-webhooks-6-api-keys');
    const [{ id }] = await h.server.core.database.sql`select id from api_keys where tenant_id = ${s.tenant.id} and scope = 'read'`;
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId(`revoke-${id}`).click();
    await page.locator('[data-testid=key-row]', { hasText: 'revoked' }).waitFor();
    await closeContext(context);
  });
});
