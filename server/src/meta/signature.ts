import { createHmac, timingSafeEqual } from 'node:crypto';

// Meta signs every webhook POST: `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw
// request bytes keyed with the app secret. Verify over the bytes as received, before any JSON parsing:
// re-serialising parsed JSON changes the bytes (key order, escapes, whitespace) and the HMAC with them.

const PREFIX = 'sha256=';

export function signPayload(rawBody: Buffer | string, appSecret: string): string {
  return PREFIX + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}

/** True only for the exact signature of these bytes; compares in constant time, whatever the header's length or content. */
export function verifySignature(rawBody: Buffer | string, header: string | string[] | undefined | null, appSecret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith(PREFIX)) return false;
  const given = header.slice(PREFIX.length);
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}
