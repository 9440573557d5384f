import { EventEmitter } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

// Test helpers that come with the simulator: a webhook receiver to capture what it delivers, and a
// structural comparison of a webhook body against Meta's fixture shapes.

export interface ReceivedWebhook {
  /** The exact bytes received (what the signature covers). */
  raw: Buffer;
  body: unknown;
  signature: string | undefined;
  headers: IncomingHttpHeaders;
  /** Epoch ms of arrival. */
  at: number;
  /** What the receiver answered. */
  status: number;
}

export type Responder = (hook: Omit<ReceivedWebhook, 'status'>, index: number) => number | Promise<number>;

export interface WebhookReceiver {
  url: string;
  /** Every POST received, oldest first. */
  received: ReceivedWebhook[];
  /** Decides each answer's HTTP status (default 200); `index` counts POSTs from 0. */
  respondWith(responder: Responder): void;
  /** Resolves with the first POST (already received or to come) that matches, or rejects at the deadline. */
  waitFor(predicate: (hook: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Resolves once `count` POSTs match. */
  waitForCount(predicate: (hook: ReceivedWebhook) => boolean, count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/** A node:http webhook receiver on a free port; it answers the GET handshake when given `verifyToken`. */
export async function startWebhookReceiver(options: { verifyToken?: string; path?: string } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let responder: Responder = () => 200;
  let index = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (req.method === 'GET') {
      const ok = options.verifyToken !== undefined && url.searchParams.get('hub.verify_token') === options.verifyToken && url.searchParams.get('hub.mode') === 'subscribe';
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
      res.end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      const hook = { raw, body, signature: req.headers['x-hub-signature-256'] as string | undefined, headers: req.headers, at: Date.now() };
      void Promise.resolve(responder(hook, index++)).then((status) => {
        const full: ReceivedWebhook = { ...hook, status };
        received.push(full);
        if (!res.destroyed) {
          res.writeHead(status);
          res.end();
        }
        events.emit('hook', full);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${options.path ?? '/webhooks/whatsapp'}`;

  const waitForCount = (predicate: (h: ReceivedWebhook) => boolean, count: number, timeoutMs = 5_000) =>
    new Promise<ReceivedWebhook[]>((resolve, reject) => {
      const check = () => {
        const matching = received.filter(predicate);
        if (matching.length >= count) {
          cleanup();
          resolve(matching.slice(0, count));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`webhook receiver: ${received.filter(predicate).length}/${count} matching POSTs after ${timeoutMs} ms (${received.length} received)`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        events.off('hook', check);
      };
      events.on('hook', check);
      check();
    });

  return {
    url,
    received,
    respondWith(r) {
      responder = r;
    },
    waitFor: async (predicate, timeoutMs) => (await waitForCount(predicate, 1, timeoutMs))[0],
    waitForCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Where `actual` differs in shape from `fixture`: every fixture key must be present with the same
 * JSON type, no other key may appear (unless named in `allowExtra`), arrays are compared element by
 * element with the fixture's (its last element standing for the rest), and a few string formats must
 * hold: digit strings stay digit strings (ids, timestamps) and `wamid.` ids stay `wamid.` ids.
 * Returns the list of problems, empty when the shapes agree.
 */
export function shapeMismatches(actual: unknown, fixture: unknown, options: { allowExtra?: string[] } = {}, path = '$'): string[] {
  const allowExtra = new Set(options.allowExtra ?? []);
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(actual) !== kind(fixture)) return [`${path}: expected ${kind(fixture)}, got ${kind(actual)}`];
  if (Array.isArray(fixture)) {
    const list = actual as unknown[];
    if (fixture.length > 0 && list.length === 0) return [`${path}: expected a non-empty array`];
    if (fixture.length === 0) return [];
    return list.flatMap((item, i) => shapeMismatches(item, fixture[Math.min(i, fixture.length - 1)], options, `${path}[${i}]`));
  }
  if (kind(fixture) === 'object') {
    const a = actual as Record<string, unknown>;
    const f = fixture as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(f)) {
      if (!(key in a)) problems.push(`${path}.${key}: missing`);
      else problems.push(...shapeMismatches(a[key], f[key], options, `${path}.${key}`));
    }
    for (const key of Object.keys(a)) if (!(key in f) && !allowExtra.has(key)) problems.push(`${path}.${key}: not in the fixture`);
    return problems;
  }
  if (typeof fixture === 'string') {
    const s = actual as string;
    if (/^\d+$/.test(fixture) && !/^\d+$/.test(s)) return [`${path}: expected a digit string, got ${JSON.stringify(s)}`];
    if (fixture.startsWith('wamid.') && !s.startsWith('wamid.')) return [`${path}: expected a wamid, got ${JSON.stringify(s)}`];
  }
  return [];
}
