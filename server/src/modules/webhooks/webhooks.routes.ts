import type { FastifyInstance } from 'fastify';
import { verifySignature } from '../../meta/signature.js';
import { constantTimeEqual } from '../../lib/secrets.js';
import type { WebhookIngest } from './webhook-ingest.js';
import type { Counter } from 'prom-client';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
export const WEBHOOK_PATH = '/webhooks/whatsapp';

export interface WebhookRouteDeps {
  appSecret: string;
  verifyToken: string;
  ingest: WebhookIngest;
  received?: Counter<'outcome'>;
}

/**
 * Meta's webhook endpoint. The signature is checked over the raw bytes before anything else;
 * the raw event is committed in Postgres before the 200; processing happens in the worker.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  return async (app: FastifyInstance) => {
    await app.register(async (scope) => {
      // Keep the bytes exactly as Meta sent them: the HMAC is over them, and so is dedup.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
      scope.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
        const status = error.statusCode ?? 500;
        deps.received?.inc({ outcome: status === 413 ? 'too_large' : 'error' });
        if (status >= 500) console.error('[webhooks] error', error);
        return reply.status(status).send({ error: status === 413 ? `body exceeds ${WEBHOOK_BODY_LIMIT} bytes` : status >= 500 ? 'internal error' : error.message });
      });

      // The verification handshake Meta performs when the webhook URL is configured.
      scope.get(WEBHOOK_PATH, async (request, reply) => {
        const query = request.query as Record<string, string | undefined>;
        const token = query['hub.verify_token'] ?? '';
        if (query['hub.mode'] === 'subscribe' && constantTimeEqual(token, deps.verifyToken) && query['hub.challenge'] !== undefined) {
          return reply.type('text/plain').send(query['hub.challenge']);
        }
        return reply.status(403).type('text/plain').send('verify token mismatch');
      });

      scope.post(WEBHOOK_PATH, { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = request.headers['x-hub-signature-256'];
        if (!verifySignature(raw, signature, deps.appSecret)) {
          deps.received?.inc({ outcome: 'bad_signature' });
          // Nothing is stored: an unsigned body is not Meta's.
          return reply.status(401).send({ error: signature ? 'invalid X-Hub-Signature-256' : 'missing X-Hub-Signature-256' });
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
            return reply.status(400).send({ error: reason, webhookEventId: id });
          } catch {
            return reply.status(503).send({ error: 'storage unavailable, retry later' });
          }
        }
        try {
          const { id, duplicate } = await deps.ingest.store(raw);
          deps.received?.inc({ outcome: duplicate ? 'duplicate' : 'stored' });
          return reply.status(200).send({ received: true, webhookEventId: id, duplicate });
        } catch (error) {
          // Postgres is down or refused: Meta retries a non-2xx for days, so nothing is lost.
          deps.received?.inc({ outcome: 'unavailable' });
          console.error('[webhooks] could not store event', (error as Error).message);
          return reply.status(503).send({ error: 'storage unavailable, retry later' });
        }
      });
    });
  };
}
