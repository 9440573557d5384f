import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { verifySignature } from '../../meta/signature.js';
import { constantTimeEqual } from '../../lib/secrets.js';
import type { RawRoute } from '../../http/app.js';
import type { WebhookIngest } from './webhook-ingest.js';
import type { Counter } from 'prom-client';
import { logger } from '../../lib/logger.js';
import { throttledLog } from '../../lib/throttled-log.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
export const WEBHOOK_PATH = '/webhooks/whatsapp';

export interface WebhookReceiverDeps {
  appSecret: string;
  ingest: WebhookIngest;
  received?: Counter<'outcome'>;
}

/** The verification handshake Meta performs when the webhook URL is configured. */
export function webhookVerifyRoute(deps: { verifyToken: string }) {
  return (app: FastifyInstance) => {
    app.get(WEBHOOK_PATH, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const token = query['hub.verify_token'] ?? '';
      if (query['hub.mode'] === 'subscribe' && constantTimeEqual(token, deps.verifyToken) && query['hub.challenge'] !== undefined) {
        return reply.type('text/plain').send(query['hub.challenge']);
      }
      return reply.status(403).type('text/plain').send('verify token mismatch');
    });
  };
}

/**
 * Meta's webhook POSTs, the hottest route we have (a message we send brings three of them back).
 * It runs on Node's request handler ahead of Fastify: routing, hooks, content-type parsing and
 * reply serialisation were a tenth of the server's CPU per webhook, and this route needs none of
 * them. The signature is checked over the raw bytes before anything else; the raw event is
 * committed in Postgres before the 200; processing happens in the worker.
 */
export function webhookReceiver(deps: WebhookReceiverDeps): RawRoute {
  return {
    method: 'POST',
    path: WEBHOOK_PATH,
    handle: (request, response) => {
      const declared = Number(request.headers['content-length']);
      if (declared > WEBHOOK_BODY_LIMIT) return tooLarge(response, deps);
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > WEBHOOK_BODY_LIMIT) {
          request.off('data', onData);
          request.off('end', onEnd);
          return tooLarge(response, deps);
        }
        chunks.push(chunk);
      };
      const onEnd = () => {
        void receive(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), request, response, deps);
      };
      request.on('data', onData);
      request.on('end', onEnd);
      // A client that goes away mid-body sent nothing we can store: there is no one to answer.
      request.on('error', () => {});
    },
  };
}

async function receive(raw: Buffer, request: IncomingMessage, response: ServerResponse, deps: WebhookReceiverDeps): Promise<void> {
  const signature = request.headers['x-hub-signature-256'];
  if (!verifySignature(raw, signature, deps.appSecret)) {
    deps.received?.inc({ outcome: 'bad_signature' });
    // Nothing is stored: an unsigned body is not Meta's.
    return answer(response, 401, { error: signature ? 'invalid X-Hub-Signature-256' : 'missing X-Hub-Signature-256' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { entry?: unknown }).entry)) {
    const reason = parsed === undefined ? 'malformed JSON' : 'not a WhatsApp webhook: expected { object, entry: [...] }';
    try {
      const id = await deps.ingest.storeRejected(raw, reason);
      deps.received?.inc({ outcome: 'rejected' });
      return answer(response, 400, { error: reason, webhookEventId: id });
    } catch {
      return answer(response, 503, { error: 'storage unavailable, retry later' });
    }
  }
  try {
    const { id, duplicate } = await deps.ingest.store(raw);
    deps.received?.inc({ outcome: duplicate ? 'duplicate' : 'stored' });
    return answer(response, 200, { received: true, webhookEventId: id, duplicate });
  } catch (error) {
    // Postgres is down, refused or too slow: Meta retries a non-2xx for days, so nothing is lost.
    deps.received?.inc({ outcome: 'unavailable' });
    logUnavailable((error as Error).message);
    return answer(response, 503, { error: 'storage unavailable, retry later' });
  }
}

// While Postgres is away every webhook fails the same way, thousands a second: one line every 5 s.
const logUnavailable = throttledLog(5_000, (count, reason) => logger.error({ events: count, reason }, 'webhooks: could not store events; answered 503 so Meta retries'));

function tooLarge(response: ServerResponse, deps: WebhookReceiverDeps): void {
  deps.received?.inc({ outcome: 'too_large' });
  // Refused before reading the rest: close, or Node would read the whole body to reuse the connection.
  response.setHeader('connection', 'close');
  answer(response, 413, { error: `body exceeds ${WEBHOOK_BODY_LIMIT} bytes` });
}

function answer(response: ServerResponse, status: number, body: object): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
