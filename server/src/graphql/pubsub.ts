import { Redis } from 'ioredis';
import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';

// Typed topics: every event published by any worker reaches sockets held by any server process
// through Redis pub/sub. Payloads always carry tenantId so subscriptions filter on the server.
export const Topics = {
  WebhookActivity: 'WEBHOOK_ACTIVITY',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export interface RedisPubSub {
  pubSub: ReturnType<typeof createPubSub>;
  close(): Promise<void>;
}

export function createRedisPubSub(redisUrl: string, prefix = 'wabahub'): RedisPubSub {
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  // Channel names are prefixed so several deployments (or test runs) can share one Redis.
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  const pubSub = createPubSub({ eventTarget });
  const prefixed = {
    publish: (topic: string, payload: unknown) => pubSub.publish(`${prefix}:${topic}` as never, payload as never),
    subscribe: (topic: string) => pubSub.subscribe(`${prefix}:${topic}` as never),
  } as unknown as ReturnType<typeof createPubSub>;
  return {
    pubSub: prefixed,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
