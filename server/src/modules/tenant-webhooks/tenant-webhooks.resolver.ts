import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './tenant-webhooks.inputs.js';
import { CreatedWebhookEndpoint, WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryConnection, WebhookEndpoint, WebhookEndpointConnection } from './tenant-webhooks.types.js';

@Resolver(() => WebhookEndpoint)
export class TenantWebhookResolver {
  @Query(() => WebhookEndpointConnection, { description: 'Webhook endpoints, newest first.' })
  async webhookEndpoints(@Args(() => PageArgs) page: PageArgs, @Arg('tenantId', () => ID, { nullable: true, description: "Only this tenant's (the operator's filter)." }) tenantId: string | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.tenantWebhooks.list(viewer, { tenantId }, page), WebhookEndpoint.from);
  }

  @Query(() => WebhookDeliveryConnection, { description: "An endpoint's delivery log, newest first." })
  async webhookDeliveries(@Arg('endpointId', () => ID, { description: 'The endpoint.' }) endpointId: string, @Args(() => PageArgs) page: PageArgs, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.tenantWebhooks.deliveries(viewer, endpointId, page), WebhookDelivery.from);
  }

  @Mutation(() => CreatedWebhookEndpoint, { description: 'Create a webhook endpoint; its signing secret is returned this once.' })
  async createWebhookEndpoint(@Arg('input', () => CreateWebhookEndpointInput, { description: 'URL, events, optional instance and description.' }) input: CreateWebhookEndpointInput, @Ctx() { viewer, services }: AppContext): Promise<CreatedWebhookEndpoint> {
    const { row, secret } = await services.tenantWebhooks.create(viewer, input);
    return { endpoint: WebhookEndpoint.from(row), secret };
  }

  @Mutation(() => WebhookEndpoint, { description: "Change an endpoint's URL, events, description, or enable/disable it." })
  async updateWebhookEndpoint(@Arg('input', () => UpdateWebhookEndpointInput, { description: 'The endpoint and its changes.' }) input: UpdateWebhookEndpointInput, @Ctx() { viewer, services }: AppContext) {
    return WebhookEndpoint.from(await services.tenantWebhooks.update(viewer, input));
  }

  @Mutation(() => ID, { description: 'Delete an endpoint and its delivery log. Returns its id.' })
  async deleteWebhookEndpoint(@Arg('id', () => ID, { description: 'The endpoint.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.tenantWebhooks.delete(viewer, id)).id;
  }

  @Mutation(() => CreatedWebhookEndpoint, { description: 'A new signing secret, returned this once; for 24 h deliveries carry signatures by the old and the new (two v1).' })
  async rotateWebhookSecret(@Arg('id', () => ID, { description: 'The endpoint.' }) id: string, @Ctx() { viewer, services }: AppContext): Promise<CreatedWebhookEndpoint> {
    const { row, secret } = await services.tenantWebhooks.rotateSecret(viewer, id);
    return { endpoint: WebhookEndpoint.from(row), secret };
  }

  @Mutation(() => WebhookDelivery, { description: "Send a delivery's event again, as a new delivery with the same event id." })
  async redeliverWebhook(@Arg('deliveryId', () => ID, { description: 'The delivery to repeat.' }) deliveryId: string, @Ctx() { viewer, services }: AppContext) {
    return WebhookDelivery.from(await services.tenantWebhooks.redeliver(viewer, deliveryId));
  }

  @Mutation(() => WebhookDelivery, { description: 'Send a webhook.test event to this endpoint alone.' })
  async sendTestWebhook(@Arg('endpointId', () => ID, { description: 'The endpoint.' }) endpointId: string, @Ctx() { viewer, services }: AppContext) {
    return WebhookDelivery.from(await services.tenantWebhooks.sendTest(viewer, endpointId));
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => [WebhookDeliveryAttempt], { description: 'Every attempt, first first.' })
  async attemptLog(@Root() delivery: WebhookDelivery, @Ctx() { services }: AppContext) {
    return (await services.tenantWebhooks.attempts(delivery)).map(WebhookDeliveryAttempt.from);
  }

  @FieldResolver(() => GraphQLJSON, { nullable: true, description: 'The JSON delivered: { id, type, createdAt, tenantId, data }.' })
  async payload(@Root() delivery: WebhookDelivery, @Ctx() { services }: AppContext) {
    return services.tenantWebhooks.payload(delivery);
  }
}
