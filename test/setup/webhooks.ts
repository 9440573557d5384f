import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { signPayload } from '../../server/src/meta/signature.js';

// Meta's webhook bodies from ../shared/fixtures/webhooks, with their ids rewritten per test so
// tests never collide on globally unique ids (phone_number_id, wamid) in the shared database.
const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/webhooks/', import.meta.url));

export const FIXTURE_NUMBERS = { first: '106540352242922', second: '207651352242933' } as const;
export const FIXTURE_WABAS = { first: '102290129340398', second: '203310129340411' } as const;

export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}${name}.json`, 'utf8');
}

export interface Rewrite {
  numbers?: Record<string, string>;
  wabas?: Record<string, string>;
  /** Suffix added to every wamid. */
  tag?: string;
}

export function loadFixture(name: string, rewrite: Rewrite): string {
  let text = fixtureText(name);
  for (const [from, to] of Object.entries({ ...rewrite.numbers, ...rewrite.wabas })) text = text.split(`"${from}"`).join(`"${to}"`);
  if (rewrite.tag) text = text.replace(/"wamid\.([^"]+)"/g, `"wamid.$1.${rewrite.tag}"`);
  return text;
}

export function uniqueTag(): string {
  return randomBytes(6).toString('hex');
}

export async function postWebhook(baseUrl: string, body: string | Buffer, secret: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { 'x-hub-signature-256': signPayload(body, secret) } : {}), ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Polls until `check` returns a truthy value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
