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
  const publishClient = createRedis(redisUrl);
  const subscribeClient = createRedis(redisUrl);
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
