import { randomUUID } from 'node:crypto';
import { Topics, type Publisher } from '../../graphql/pubsub.js';
import type { ActivityPayload } from './activity.types.js';

export type ActivityItem = Omit<ActivityPayload, 'id' | 'occurredAt'> & { id?: string; occurredAt?: Date | string };

/**
 * Publishes live activity on Redis pub/sub, where any server process picks it up for its sockets:
 * every item on the topic itself (the operator's feed) and, when it has a tenant, on that tenant's
 * channel too, so a tenant's sockets are offered only their tenant's items. With 200 sockets,
 * offering each of them every item cost the server more than a core at 1,000 items/s.
 */
export function publishActivity(publisher: Publisher, items: ActivityItem[]): void {
  for (const item of items) {
    const payload: ActivityPayload = {
      ...item,
      id: item.id ?? randomUUID(),
      occurredAt: (item.occurredAt instanceof Date ? item.occurredAt : new Date(item.occurredAt ?? Date.now())).toISOString(),
    };
    publisher.publish(Topics.WebhookActivity, payload);
    if (payload.tenantId) publisher.publish(Topics.WebhookActivity, payload, payload.tenantId);
  }
}

export function emptyActivity(): Omit<ActivityPayload, 'id' | 'occurredAt' | 'kind' | 'summary'> {
  return { direction: null, tenantId: null, instanceId: null, phoneNumberId: null, wabaId: null, messageId: null, wamid: null, contactWaId: null, contactName: null, messageType: null, status: null, webhookEventId: null };
}
