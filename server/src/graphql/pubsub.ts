import { createRedis } from '../queue/connection.js';
import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';

// Typed topics: every event published by any worker reaches sockets held by any server process
// through Redis pub/sub. Payloads always carry tenantId so subscriptions filter on the server.
// Pub/sub may drop (a socket or a process away): what a tenant must receive goes through Postgres.
export const Topics = {
  WebhookActivity: 'WEBHOOK_ACTIVITY',
  CampaignProgress: 'CAMPAIGN_PROGRESS',
  OnboardingProgress: 'ONBOARDING_PROGRESS',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

/** What producers (jobs, services) use: publish a payload on a topic, or on one channel of it (e.g. a tenant's). */
export interface Publisher {
  publish(topic: Topic, payload: { tenantId: string | null }, channel?: string): void;
}

export interface RedisPubSub {
  pubSub: ReturnType<typeof createPubSub>;
  publisher: Publisher;
  close(): Promise<void>;
}

export function createRedisPubSub(redisUrl: string, prefix: string): RedisPubSub {
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
  const publisher: Publisher = {
    publish: (topic, payload, channel) => {
      if (channel === undefined) (prefixed.publish as (...a: unknown[]) => void)(topic, payload);
      else (prefixed.publish as (...a: unknown[]) => void)(topic, channel, payload);
    },
  };
  return {
    pubSub: prefixed,
    publisher,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
