import { createHmac, randomBytes } from 'node:crypto';

// `X-Wabahub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, Stripe's
// scheme: the timestamp is signed with the body, so a captured request cannot be replayed later
// with a fresh time. During a rotation both secrets sign (two v1 values) and a receiver holding
// either one verifies.

export const SIGNATURE_HEADER = 'X-Wabahub-Signature';
export const EVENT_HEADER = 'X-Wabahub-Event';
export const DELIVERY_HEADER = 'X-Wabahub-Delivery';

/** A new endpoint secret: `whsec_` and 32 random bytes, base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureOf(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value for a body signed at `timestamp` (unix seconds) with each secret, current first. */
export function signatureHeader(secrets: string[], timestamp: number, body: string | Buffer): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}
