import type { PostResult } from './tenant-webhooks.http.js';

// What an attempt's result means: delivered, try again later (and when), or give up. Retried:
// timeouts, network errors, 5xx, 408 and 429 (after Retry-After when the receiver says so);
// every other answer that is not 2xx is final, as is a URL the SSRF guard refuses.

export type AttemptVerdict =
  | { outcome: 'succeeded' }
  | { outcome: 'retry'; delayMs: number }
  | { outcome: 'failed'; reason: string };

export interface RetrySchedule {
  /** The first retry waits about this long; each next one twice as long. */
  baseMs: number;
  /** A single wait is never longer than this. */
  maxDelayMs: number;
  /** Retries stop this long after the delivery was made. */
  giveUpAfterMs: number;
}

export function retrySchedule(baseMs: number, giveUpAfterMs: number): RetrySchedule {
  return { baseMs, maxDelayMs: Math.max(baseMs, Math.min(3_600_000, giveUpAfterMs)), giveUpAfterMs };
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries of many deliveries spread out. */
export function backoffMs(attempt: number, schedule: RetrySchedule, random = Math.random): number {
  const step = Math.min(schedule.maxDelayMs, schedule.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function isRetryable(result: PostResult): boolean {
  if (result.kind === 'timeout' || result.kind === 'network') return true;
  if (result.kind !== 'response') return false;
  return result.statusCode >= 500 || result.statusCode === 408 || result.statusCode === 429;
}

/** The verdict on attempt number `attempt` (1 for the first) of a delivery made at `createdAt`. */
export function verdictOf(result: PostResult, attempt: number, createdAt: Date, now: Date, schedule: RetrySchedule, random = Math.random): AttemptVerdict {
  if (result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300) return { outcome: 'succeeded' };
  const what = result.kind === 'response' ? `HTTP ${result.statusCode}` : result.error;
  if (!isRetryable(result)) return { outcome: 'failed', reason: what };
  const asked = result.kind === 'response' ? retryAfterMs(result.retryAfter, now) : null;
  const delayMs = asked ?? backoffMs(attempt, schedule, random);
  const deadline = createdAt.getTime() + schedule.giveUpAfterMs;
  if (now.getTime() + delayMs > deadline) return { outcome: 'failed', reason: `${what}; retried for ${Math.round(schedule.giveUpAfterMs / 3_600_000 * 10) / 10} h, giving up` };
  return { outcome: 'retry', delayMs };
}
