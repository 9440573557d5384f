import type { Redis } from 'ioredis';
import { RateLimitedError } from '../../lib/errors.js';
import type { Viewer } from './auth.viewer.js';

// A budget of calls per API key per minute, in Redis so every server process shares it: one
// counter per key per minute window (INCR, expiring with its window). Fixed windows can let twice
// the budget through across a window's edge; for a per-minute fairness limit that is acceptable,
// and it costs one round trip a call. The operator key is not limited: it is the platform's own.
export class ApiRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaultPerMinute: number,
  ) {}

  /** Counts one call of this viewer; throws RATE_LIMITED (with the seconds to wait) past its budget. */
  async take(viewer: Viewer, now = Date.now()): Promise<void> {
    if (viewer.kind !== 'tenant') return;
    const limit = viewer.rateLimitPerMinute ?? this.defaultPerMinute;
    const window = Math.floor(now / 60_000);
    const key = `${this.prefix}:ratelimit:${viewer.apiKeyId}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, 120_000).exec()) as [[Error | null, number], unknown];
    if (count > limit) throw new RateLimitedError(Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000)), limit);
  }
}
