import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A tenant's webhook receiver, as a client would run one: a real HTTP server on a free port that
// records every request (raw body and headers) and answers as the test tells it to.

export interface ReceivedWebhook {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; createdAt: string; tenantId: string; data: Record<string, any> };
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** How to answer a request; the default answers 200. Per path, so one receiver serves several endpoints. */
  answer: (request: ReceivedWebhook) => Answer;
  /** Requests to one path (an endpoint's own URL). */
  at(path: string): ReceivedWebhook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { record?: boolean } = {}): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    answer: () => ({ status: 200, body: 'ok' }),
    at: (path) => receiver.received.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: ReceivedWebhook['body'];
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = { id: '', type: '', createdAt: '', tenantId: '', data: {} };
      }
      const request: ReceivedWebhook = { at: Date.now(), path: req.url ?? '/', headers: req.headers, rawBody, body };
      if (options.record !== false) receiver.received.push(request);
      const answer = receiver.answer(request);
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
