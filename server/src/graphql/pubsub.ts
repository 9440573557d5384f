import { createRedis } from '../queue/connection.js';
import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';

// Typed topics: every event published by any worker reaches sockets held by any server process
// through Redis pub/sub. Payloads always carry tenantId so subscriptions filter on the server.
export const Topics = {
  WebhookActivity: 'WEBHOOK_ACTIVITY',
  CampaignProgress: 'CAMPAIGN_PROGRESS',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export interface RedisPubSub {
  pubSub: ReturnType<typeof createPubSub>;
  close(): Promise<void>;
}

export function createRedisPubSub(redisUrl: string, prefix = 'wabahub'): RedisPubSub {
  // Auto-pipelining: the items a job publishes leave in one write, not one write each.
  const publishClient = createRedis(redisUrl, { enableAutoPipelining: true });
  const subscribeClient = createRedis(redisUrl);
  // Channel names are prefixed so several deployments (or test runs) can share one Redis.
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const pubSub = createPubSub({ eventTarget });
  // publish(topic, payload) or publish(topic, id, payload); subscribe(topic, id?): an id narrows a
  // topic to one Redis channel (e.g. one tenant's activity), so a process only hears its sockets' events.
  const prefixed = {
    publish: (topic: string, ...args: unknown[]) => (pubSub.publish as (...a: unknown[]) => void)(`${prefix}:${topic}`, ...args),
    subscribe: (topic: string, id?: string) => (pubSub.subscribe as (...a: unknown[]) => unknown)(`${prefix}:${topic}`, ...(id === undefined ? [] : [id])),
  } as unknown as ReturnType<typeof createPubSub>;
  return {
    pubSub: prefixed,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
