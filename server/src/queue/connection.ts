import { Redis, type RedisOptions } from 'ioredis';
import { throttledLog } from '../lib/throttled-log.js';
import { logger } from '../lib/logger.js';

// BullMQ needs `maxRetriesPerRequest: null` on its connections so blocking commands wait out a
// Redis restart instead of failing; everything in Redis is rebuildable from Postgres anyway.
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
  // ioredis reconnects by itself; without a listener each failed attempt is an "unhandled" error.
  redis.on('error', logRedisError);
  return redis;
}

const logRedis = throttledLog(5_000, (held, message) => logger.error({ held }, `redis: ${message} (retrying)`));
/** At most one line every 5 s while Redis is unreachable. */
export function logRedisError(error: Error): void {
  logRedis(error.message);
}

/**
 * Keys of one deployment (or one test run) stay apart (WABAHUB_QUEUE_PREFIX); the braces keep a
 * queue's keys in one Redis Cluster slot.
 */
export function queuePrefix(namespace: string): string {
  return `{${namespace}}`;
}
