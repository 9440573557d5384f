import { Redis, type RedisOptions } from 'ioredis';

// BullMQ needs `maxRetriesPerRequest: null` on its connections so blocking commands wait out a
// Redis restart instead of failing; everything in Redis is rebuildable from Postgres anyway.
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Keys of one deployment (or one test run) stay apart; the braces keep a queue in one Cluster slot. */
export function queuePrefix(namespace = process.env.WABAHUB_QUEUE_PREFIX ?? 'wabahub'): string {
  return `{${namespace}}`;
}
