import { Arg, Args, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { QueueHealth, TrafficPoint, UnroutedEvent, UnroutedEventConnection, WebhookEvent, WebhookEventConnection } from './webhooks.types.js';

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

  @Query(() => [QueueHealth], { description: 'Waiting, active, delayed and failed jobs per queue (operator).' })
  async queueHealth(@Ctx() { viewer, services }: AppContext) {
    return services.webhooks.queueHealth(viewer);
  }

  @Mutation(() => Int, { description: 'Retry every failed job of a queue (operator); returns how many were retried.' })
  async retryFailedJobs(@Arg('queue', () => String, { description: 'The queue whose failed jobs are retried (a name from queueHealth).' }) queue: string, @Ctx() { viewer, services }: AppContext) {
    return services.webhooks.retryFailedJobs(viewer, queue);
  }

  @Query(() => [TrafficPoint], { description: 'Messages in and out per second over the last `seconds` (10 to 3600), for the throughput chart.' })
  async trafficSeries(@Arg('seconds', () => Int, { defaultValue: 300, description: 'How many of the last seconds to return (default 300).' }) seconds: number, @Ctx() { viewer, services }: AppContext) {
    return services.webhooks.trafficSeries(viewer, seconds);
  }
}
