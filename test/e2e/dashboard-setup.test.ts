import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { startTestServer } from '../setup/server.js';
import { makeInstance, makeRuleTemplate, makeTenant, uniqueMetaId } from '../factories/index.js';
import { closeContext, ensureDashboardBuilt, launchBrowser, newContext, screenshot } from './browser.js';
import { startSimulator, DEMO, type Simulator } from '../meta-simulator/src/index.js';

// setup(): the built dashboard served by a real server (real Postgres and Redis), driven in a real
// chromium. Tenants are made through factories with unique names, so the shared database's other
// rows never matter: assertions search for the test's own names.
// The simulator plays Meta where a page's action asks it (a tenant's number must be its own).
let server: Awaited<ReturnType<typeof startTestServer>>;
let browser: Browser;
let sim: Simulator;
beforeAll(async () => {
  await ensureDashboardBuilt();
  sim = await startSimulator({ port: 0, quiet: true });
  server = await startTestServer({ META_GRAPH_URL: `${sim.url}/v21.0`, META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sim?.close();
});

describe('dashboard: setup pages', () => {
  it('rejects a bad key with the server error, signs in with the operator key and shows who is signed in', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/tenants`);
    await page.waitForURL(/\/sign-in/);
    await page.getByTestId('api-key').fill('whk_not-a-real-key');
    await page.getByTestId('sign-in').click();
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await error.textContent()).toContain('UNAUTHENTICATED');
    await screenshot(page, '01-sign-in-error');

    await page.getByTestId('api-key').fill(server.operatorKey);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/tenants$/); // back where the visit started
    expect(await page.getByTestId('viewer-name').textContent()).toBe('Operator');
    expect(await page.evaluate(() => localStorage.getItem('wabahub.apiKey'))).toBe(server.operatorKey);
    await closeContext(context);
  });

  it("lists the tenants the test made, then creates one through the form and its API key, showing the secret once", async () => {
    const marker = `E2E ${uniqueMetaId()}`;
    const a = await makeTenant(server.core.services, `${marker} Padaria`);
    const b = await makeTenant(server.core.services, `${marker} Farmácia`);
    const context = await newContext(browser, server.operatorKey);
    const page = await context.newPage();
    await page.goto(`${server.url}/tenants`);
    await page.getByTestId('tenant-search').fill(marker);
    await page.waitForFunction((m) => [...document.querySelectorAll('[data-testid=tenant-row]')].length === 2 && [...document.querySelectorAll('[data-testid=tenant-row]')].every((r) => r.textContent!.includes(m)), marker);
    const names = await page.getByTestId('tenant-row').locator('strong').allTextContents();
    expect(names).toEqual([b.tenant.name, a.tenant.name]); // newest first
    expect(await page.getByTestId('shown-count').textContent()).toBe('Showing 2 of 2 tenants');

    // Field-level error from VALIDATION_FAILED.
    await page.getByTestId('new-tenant').click();
    await page.getByTestId('tenant-name').fill('   ');
    await page.getByTestId('create-tenant').click();
    await page.getByTestId('error-tenant-name').waitFor();
    expect(await page.getByTestId('error-tenant-name').textContent()).toBe('must not be empty');

    const created = `${marker} Mercado`;
    await page.getByTestId('tenant-name').fill(created);
    await page.getByTestId('create-tenant').click();
    await page.getByTestId('new-tenant').waitFor();
    await page.locator('tr.highlight', { hasText: created }).waitFor();
    expect(await server.core.database.sql`select id from tenants where name = ${created}`).toHaveLength(1);

    // The new tenant's keys open by themselves: create one and see its secret once.
    await page.getByTestId('key-name').fill('CRM');
    await page.getByTestId('create-key').click();
    const secret = await page.getByTestId('secret').textContent();
    expect(secret).toMatch(/^whk_/);
    await screenshot(page, '02-tenants-created-key');
    // The secret works: it signs in as the new tenant.
    const viewer = await server.core.services.auth.authenticate(`Bearer ${secret}`);
    expect(viewer.kind).toBe('tenant');
    await closeContext(context);
  });

  it('shows a tenant key only its own tenant, and no operator-only controls', async () => {
    const marker = `E2E ${uniqueMetaId()}`;
    const mine = await makeTenant(server.core.services, `${marker} Mine`);
    await makeTenant(server.core.services, `${marker} Other`);
    const context = await newContext(browser, mine.key);
    const page = await context.newPage();
    await page.goto(`${server.url}/tenants`);
    await page.getByTestId('tenant-row').first().waitFor();
    expect(await page.getByTestId('viewer-name').textContent()).toBe(mine.tenant.name);
    expect(await page.getByTestId('tenant-row').locator('strong').allTextContents()).toEqual([mine.tenant.name]);
    expect(await page.getByTestId('new-tenant').count()).toBe(0);
    await screenshot(page, '03-tenants-as-tenant');
    await closeContext(context);
  });

  it('lists numbers and instances, adds a number with field errors, and applies a rule template with its variables', async () => {
    const { tenant, key } = await makeTenant(server.core.services, `E2E ${uniqueMetaId()} Loja`);
    const { instance } = await makeInstance(server.core.services, tenant.id);
    const template = await makeRuleTemplate(server.core.services);
    const context = await newContext(browser, key);
    const page = await context.newPage();

    await page.goto(`${server.url}/numbers`);
    await page.getByTestId('number-row').first().waitFor();
    expect(await page.getByTestId('number-row').count()).toBe(1);
    // The tenant's own number at Meta, and the business token Embedded Signup gave it.
    const waba = sim.createWaba({ id: uniqueMetaId(), subscribed: true });
    const own = sim.createNumber({ wabaId: waba.id, id: uniqueMetaId() });
    const token = sim.core.createToken({ kind: 'business', wabaIds: [waba.id] }).token;
    await page.getByTestId('add-number').click();
    await page.getByTestId('pn-id').fill(own.id);
    await page.getByTestId('pn-display').fill('12');
    await page.getByTestId('pn-waba').fill(waba.id);
    await page.getByTestId('submit-number').click();
    await page.getByTestId('error-pn-display').waitFor();
    expect(await page.getByTestId('error-pn-display').textContent()).toContain('is not a phone number in E.164 form');
    await screenshot(page, '04-numbers-field-error');
    await page.getByTestId('pn-display').fill('+55 11 3333-4444');
    // Without its business token a tenant cannot show the number is its own.
    await page.getByTestId('submit-number').click();
    await page.getByTestId('number-form').getByTestId('error').waitFor();
    expect(await page.getByTestId('number-form').getByTestId('error').textContent()).toContain('business token');
    await screenshot(page, '04b-numbers-token-required');
    await page.locator('#pn-token').fill(token);
    await page.getByTestId('submit-number').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=number-row]').length === 2);
    expect(await page.locator('tr.highlight').textContent()).toContain('+551133334444');

    await page.goto(`${server.url}/instances`);
    await page.getByTestId('instance-row').first().waitFor();
    expect(await page.getByTestId('instance-row').locator('strong').allTextContents()).toEqual([instance.name]);
    await screenshot(page, '05-instances');

    await page.goto(`${server.url}/templates?instance=${instance.id}&lang=all`);
    const card = page.getByTestId('template-card').filter({ hasText: template.name });
    await card.getByTestId('template-use').click();
    await page.waitForURL(/\/templates\/[^/]+\/use/);
    await page.getByTestId('use-form').waitFor();
    // The instance it came for is chosen (once the instance list has loaded).
    await page.waitForFunction((id) => (document.querySelector('[data-testid=use-instance]') as HTMLSelectElement | null)?.value === id, instance.id);
    await page.getByTestId('use-apply').click();
    await page.getByTestId('error-var-business_name').waitFor(); // required, checked before sending
    await page.getByTestId('var-business_name').fill('Padaria Real');
    await page.getByTestId('use-apply').click();
    await page.getByTestId('use-done').waitFor();
    expect(await page.getByTestId('use-done').textContent()).toContain('2 rules now answer customers');
    await screenshot(page, '06-template-applied');
    const rules = await server.core.services.automation.listForInstance(OPERATOR, instance.id);
    expect(rules.map((r) => r.name)).toEqual(['greet', 'human']);
    await closeContext(context);
  });

  it('signs out, forgetting the key', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in`);
    await page.getByTestId('api-key').fill(server.operatorKey);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/live$/);
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/sign-in/);
    expect(await page.evaluate(() => localStorage.getItem('wabahub.apiKey'))).toBeNull();
    await closeContext(context);
  });
});
