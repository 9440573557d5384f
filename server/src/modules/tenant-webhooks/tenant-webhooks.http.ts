import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, guardedLookup, RefusedUrlError, type WebhookUrlPolicy } from './tenant-webhooks.ssrf.js';

// One POST to a tenant's endpoint, over kept-alive connections, with the SSRF guard in the
// connection's own DNS lookup. Never throws: the answer or the failure is what the retry policy
// (tenant-webhooks.retry.ts) decides on.

export type PostResult =
  | { kind: 'response'; statusCode: number; retryAfter: string | null; excerpt: string; latencyMs: number }
  | { kind: 'timeout' | 'network' | 'refused'; error: string; latencyMs: number };

/** How much of a receiver's answer the delivery log keeps. */
export const RESPONSE_EXCERPT_CHARS = 500;

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

export function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, policy: WebhookUrlPolicy, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = checkWebhookUrl(rawUrl, policy);
  } catch (error) {
    return Promise.resolve({ kind: 'refused', error: `refused: ${(error as Error).message}`, latencyMs: 0 });
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol as 'http:' | 'https:'],
      lookup: guardedLookup(policy),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'wabahub-webhooks/1', ...headers },
    }, (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        // Only the start is kept; the rest is read and dropped so the connection can be reused.
        if (kept < RESPONSE_EXCERPT_CHARS * 4) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      response.on('end', () => finish({
        kind: 'response', statusCode: response.statusCode ?? 0, retryAfter: headerOf(response.headers['retry-after']),
        excerpt: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_EXCERPT_CHARS), latencyMs: elapsed(),
      }));
      response.on('error', (error) => finish({ kind: 'network', error: error.message, latencyMs: elapsed() }));
    });
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', error: `no answer within ${timeoutMs} ms`, latencyMs: elapsed() });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error) => {
      const refused = error instanceof RefusedUrlError || (error as { cause?: unknown }).cause instanceof RefusedUrlError;
      finish({ kind: refused ? 'refused' : 'network', error: refused ? `refused: ${error.message}` : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`, latencyMs: elapsed() });
    });
    request.end(body);
  });
}

function headerOf(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
