import { Arg, Args, Ctx, Field, ID, InputType, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { UnroutedEvent, UnroutedEventConnection, WebhookEvent, WebhookEventConnection } from './webhooks.types.js';

@InputType({ description: 'Filters for raw webhook events.' })
export class WebhookEventFilter {
  @Field(() => String, { nullable: true, description: 'Only events in this state.' })
  state?: string | null;
}

@InputType({ description: 'Filters for unrouted events.' })
export class UnroutedEventFilter {
  @Field(() => Boolean, { nullable: true, description: 'Include the ones a replay already routed.' })
  includeResolved?: boolean | null;
}

@Resolver()
export class WebhookResolver {
  @Query(() => WebhookEventConnection, { description: 'Raw webhook events with their processing state, newest first. A tenant sees the events that concerned it.' })
  async webhookEvents(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => WebhookEventFilter, { nullable: true, description: 'Narrows the list; all stored events the caller may see when absent.' }) filter: WebhookEventFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.webhooks.listEvents(viewer, filter ?? {}, page), WebhookEvent.from);
  }

  @Query(() => WebhookEvent, { description: 'One raw webhook event.' })
  async webhookEvent(@Arg('id', () => ID, { description: 'The stored event id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return WebhookEvent.from(await services.webhooks.findEventOrFail(viewer, id));
  }

  @Mutation(() => WebhookEvent, { description: 'Process a stored webhook event again (operator). Idempotent: only what is missing is applied.' })
  async replayWebhookEvent(@Arg('id', () => ID, { description: 'The stored event to process again.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return WebhookEvent.from(await services.webhooks.replay(viewer, id));
  }

  @Query(() => UnroutedEventConnection, { description: 'Changes for phone numbers nobody registered, with the fix (operator).' })
  async unroutedEvents(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => UnroutedEventFilter, { nullable: true, description: 'Narrows the list; every unrouted change when absent.' }) filter: UnroutedEventFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.webhooks.listUnrouted(viewer, filter ?? {}, page), UnroutedEvent.from);
  }
}
