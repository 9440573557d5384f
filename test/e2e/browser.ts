import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// What the browser tests share: a dashboard build that matches web/src, and Debian's chromium
// driven by playwright-core (no downloaded browsers on these machines).

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const DIST_INDEX = join(WEB, 'dist/index.html');
const LOCK = join(tmpdir(), 'wabahub-web-build.lock');
export const SCREENSHOTS = '/tmp/screenshots';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function isStale(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const sources = Math.max(newestMtime(join(WEB, 'src')), newestMtime(join(WEB, 'index.html')), newestMtime(join(WEB, 'vite.config.ts')));
  return sources > statSync(DIST_INDEX).mtimeMs;
}

/**
 * Builds web/dist when it is missing or older than web/src. Test files run in parallel, so one
 * builds under a lock directory (mkdir is atomic) while the others wait and then find it fresh.
 * Call it before startTestServer(): the server serves the dashboard only if web/dist exists at boot.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!isStale()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another file is building; a lock older than 2 minutes is a leftover from a killed run.
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another dashboard build');
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (isStale()) execFileSync('pnpm', ['--filter', '@wabahub/web', 'build'], { cwd: join(WEB, '..'), stdio: 'pipe', timeout: 120_000 });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

const pageErrors = new WeakMap<BrowserContext, string[]>();

/**
 * A fresh browser profile at a laptop-sized viewport, optionally signed in with `key` (stored before
 * the first page loads). Uncaught errors in its pages are collected: closeContext() fails on them.
 */
export async function newContext(browser: Browser, key?: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  if (key) {
    await context.addInitScript((k) => {
      try {
        if (!localStorage.getItem('wabahub.apiKey')) localStorage.setItem('wabahub.apiKey', k);
      } catch {
        // about:blank has no storage; only the dashboard's origin matters
      }
    }, key);
  }
  const errors: string[] = [];
  pageErrors.set(context, errors);
  context.on('page', (page) => page.on('pageerror', (error) => errors.push(error.message)));
  return context;
}

/** Closes the context, failing the test if any of its pages threw an uncaught error. */
export async function closeContext(context: BrowserContext): Promise<void> {
  const errors = pageErrors.get(context) ?? [];
  await context.close();
  if (errors.length) throw new Error(`uncaught errors in the dashboard: ${errors.join(' | ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
