import { createHmac, randomBytes, randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Wall-clock milliseconds with sub-millisecond precision. The throughput limiter and the request
 * log share this clock, so a test can recompute the limiter's sliding windows from the log.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Meta's webhook timestamps are whole seconds as decimal strings. */
export function unixSeconds(ms: number = Date.now()): string {
  return String(Math.floor(ms / 1000));
}

export function randomDigits(length: number): string {
  let out = String(1 + Math.floor(Math.random() * 9));
  while (out.length < length) out += String(Math.floor(Math.random() * 10));
  return out;
}

// Ids are made hundreds of times a second: take random bytes from a pool refilled 4 KB at a time
// rather than asking the system for a few bytes each time.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomPooled(bytes: number): Buffer {
  if (bytes > pool.length) return randomBytes(bytes);
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return Buffer.from(pool.subarray(poolOffset - bytes, poolOffset));
}

export function randomHex(bytes: number): string {
  return randomPooled(bytes).toString('hex');
}

let wamidCounter = 0;
/**
 * Meta's message ids are `wamid.` + base64 of an opaque binary blob that embeds the recipient.
 * Ours embed the recipient, a process-wide counter and random bytes, so they are unique and look alike.
 */
export function newWamid(recipient: string): string {
  wamidCounter += 1;
  const blob = Buffer.concat([
    Buffer.from(`HBgN${recipient}FQIAERgS`),
    Buffer.from(wamidCounter.toString(16).padStart(8, '0'), 'hex'),
    randomPooled(10),
  ]);
  return `wamid.${blob.toString('base64')}`;
}

/** Meta's trace ids: 11 url-safe base64 characters. */
export function fbtraceId(): string {
  return randomPooled(9).toString('base64url').slice(0, 11);
}

/**
 * The simulator signs like Meta: HMAC-SHA256 over the exact body bytes, keyed with the app secret.
 * It keeps its own signer on purpose: the simulator plays Meta and never imports wabahub's code.
 */
export function sign(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

export function chance(ratio: number): boolean {
  return ratio > 0 && Math.random() < ratio;
}

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: unknown };

export class BodyParseError extends Error {}

/**
 * The Graph API takes parameters as JSON or as form fields, and merges the query string into them.
 * An empty body is an empty object.
 */
export function parseParams(raw: Buffer, contentType: string | undefined): JsonObject {
  if (raw.length === 0) return {};
  const text = raw.toString('utf8');
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BodyParseError('body is not a JSON object');
    return parsed as JsonObject;
  } catch (error) {
    if (error instanceof BodyParseError) throw error;
    throw new BodyParseError('body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
