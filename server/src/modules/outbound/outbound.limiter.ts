import type { Redis } from 'ioredis';
import type { Env } from '../../config/env.js';
import { queuePrefix } from '../../queue/connection.js';
import { SendLimiter } from './limiter.js';

/** The limiter every worker and the API share: keys under the queue prefix, Redis from Core. */
export function createSendLimiter(deps: { redis: Redis; env: Pick<Env, 'OUTBOUND_RECIPIENT_GAP_MS'> }): SendLimiter {
  return new SendLimiter(deps.redis, { prefix: queuePrefix(), recipientGapMs: deps.env.OUTBOUND_RECIPIENT_GAP_MS });
}
