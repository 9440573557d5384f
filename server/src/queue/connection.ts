import { Redis, type RedisOptions } from 'ioredis';
import { throttledLog } from '../lib/throttled-log.js';

// BullMQ needs `maxRetriesPerRequest: null` on its connections so blocking commands wait out a
// Redis restart instead of failing; everything in Redis is rebuildable from Postgres anyway.
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
  // ioredis reconnects by itself; without a listener each failed attempt is an "unhandled" error.
  redis.on('error', logRedisError);
  return redis;
}

const logRedis = throttledLog(5_000, (_count, message) => console.error(`[redis] ${message} (retrying)`));
/** At most one line every 5 s while Redis is unreachable. */
export function logRedisError(error: Error): void {
  logRedis(error.message);
}

/** Keys of one deployment (or one test run) stay apart; the braces keep a queue in one Cluster slot. */
export function queuePrefix(namespace = process.env.WABAHUB_QUEUE_PREFIX ?? 'wabahub'): string {
  return `{${namespace}}`;
}
