import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A new webhook endpoint.' })
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: 'Where to POST events: https (in production, to a public address).' })
  url!: string;

  @Field(() => [String], { description: 'Event types to receive: message.received, message.status, message.failed, rule.fired, handoff.started, handoff.resolved, template.status, number.quality, onboarding.succeeded, onboarding.failed, campaign.finished.' })
  events!: string[];

  @Field(() => ID, { nullable: true, description: "Only this instance's events; all of the tenant's when absent." })
  instanceId?: string | null;

  @Field(() => String, { nullable: true, description: 'A note for people.' })
  description?: string | null;

  @Field(() => ID, { nullable: true, description: "Whose endpoint (the operator's calls without instanceId); a tenant key's own tenant when absent." })
  tenantId?: string | null;
}

@InputType({ description: 'Changes to a webhook endpoint; fields left out keep their value.' })
export class UpdateWebhookEndpointInput {
  @Field(() => ID, { description: 'The endpoint.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New URL.' })
  url?: string | null;

  @Field(() => [String], { nullable: true, description: 'New event types.' })
  events?: string[] | null;

  @Field(() => String, { nullable: true, description: 'New note.' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Disable, or enable again (clears the alert and sends what waited).' })
  enabled?: boolean | null;
}
