import { randomUUID } from 'node:crypto';
import { Topics, type RedisPubSub } from '../../graphql/pubsub.js';
import type { ActivityPayload } from './activity.types.js';

/** Publishes live activity on Redis pub/sub, where any server process picks it up for its sockets. */
export class ActivityPublisher {
  constructor(private readonly pubSub: RedisPubSub['pubSub']) {}

  publish(items: (Omit<ActivityPayload, 'id' | 'occurredAt'> & { id?: string; occurredAt?: Date | string })[]): void {
    for (const item of items) {
      const payload: ActivityPayload = {
        ...item,
        id: item.id ?? randomUUID(),
        occurredAt: (item.occurredAt instanceof Date ? item.occurredAt : new Date(item.occurredAt ?? Date.now())).toISOString(),
      };
      this.pubSub.publish(Topics.WebhookActivity, payload);
    }
  }
}

export function emptyActivity(): Omit<ActivityPayload, 'id' | 'occurredAt' | 'kind' | 'summary'> {
  return { direction: null, tenantId: null, instanceId: null, phoneNumberId: null, wabaId: null, messageId: null, wamid: null, contactWaId: null, contactName: null, messageType: null, status: null, webhookEventId: null };
}
