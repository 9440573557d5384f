import { Arg, Resolver, Root, Subscription } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { Topics } from '../../graphql/pubsub.js';
import type { ActivityPayload } from './activity.types.js';
import { WebhookActivity, WebhookActivityFilter } from './activity.types.js';

/** Whether a subscriber may receive an activity item: the tenant check happens here, on the server. */
export function activityVisible(payload: ActivityPayload, context: AppContext, filter: WebhookActivityFilter | null | undefined): boolean {
  const viewer = context.viewer;
  if (viewer.kind === 'tenant' && payload.tenantId !== viewer.tenantId) return false;
  if (filter?.tenantId && payload.tenantId !== filter.tenantId) return false;
  if (filter?.phoneNumberId && payload.phoneNumberId !== filter.phoneNumberId) return false;
  if (filter?.kinds?.length && !filter.kinds.includes(payload.kind)) return false;
  return true;
}

@Resolver()
export class ActivityResolver {
  @Subscription(() => WebhookActivity, {
    description: 'Live traffic as it is processed. The operator sees everything; a tenant key only its own tenant.',
    topics: Topics.WebhookActivity,
    // A tenant listens on its own tenant's channel (and an operator filtering by tenant on that
    // one); the filter below still checks every item.
    topicId: ({ args, context }: { args: { filter?: WebhookActivityFilter | null }; context: AppContext }) =>
      context.viewer.kind === 'tenant' ? context.viewer.tenantId : (args.filter?.tenantId ?? undefined),
    filter: ({ payload, args, context }: { payload: ActivityPayload; args: { filter?: WebhookActivityFilter | null }; context: AppContext }) => activityVisible(payload, context, args.filter),
  })
  webhookActivity(@Root() payload: ActivityPayload, @Arg('filter', () => WebhookActivityFilter, { nullable: true, description: 'Narrows the feed to a tenant, number or kinds; everything the caller may see when absent.' }) _filter: WebhookActivityFilter | null): WebhookActivity {
    return Object.assign(new WebhookActivity(), payload, { occurredAt: new Date(payload.occurredAt) });
  }
}
