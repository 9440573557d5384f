import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { WebhookDeliveryAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from './tenant-webhooks.table.js';

@ObjectType({ description: "A tenant's webhook endpoint: wabahub POSTs the events it subscribes to, signed with its secret (README: Tenant webhooks)." })
export class WebhookEndpoint {
  @Field(() => ID, { description: 'The endpoint id.' })
  id!: string;

  @Field(() => ID, { description: 'The tenant it belongs to.' })
  tenantId!: string;

  @Field(() => ID, { nullable: true, description: "Only this instance's events when set; all of the tenant's when null." })
  instanceId!: string | null;

  @Field(() => String, { description: 'Where events are POSTed.' })
  url!: string;

  @Field(() => String, { nullable: true, description: 'A note for people.' })
  description!: string | null;

  @Field(() => [String], { description: 'The event types it receives, e.g. message.received.' })
  events!: string[];

  @Field(() => Boolean, { description: 'Whether events are delivered to it.' })
  enabled!: boolean;

  @Field(() => Date, { nullable: true, description: 'Since when every delivery attempt has failed; null when the last one succeeded.' })
  failingSince!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why wabahub disabled it (it failed every delivery for 24 h): an alert to act on.' })
  disabledReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was disabled.' })
  disabledAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Until when the previous secret also signs (after rotateWebhookSecret).' })
  previousSecretExpiresAt!: Date | null;

  @Field(() => Date, { description: 'When it was created.' })
  createdAt!: Date;

  static from(row: WebhookEndpointRow): WebhookEndpoint {
    const { secret: _secret, previousSecret: _previous, updatedAt: _updated, ...visible } = row;
    return Object.assign(new WebhookEndpoint(), visible);
  }
}

@ObjectType({ description: 'A new (or rotated) endpoint with its signing secret: store it now, it is never shown again.' })
export class CreatedWebhookEndpoint {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint!: WebhookEndpoint;

  @Field(() => String, { description: 'The signing secret (whsec_...): verify X-Wabahub-Signature with it.' })
  secret!: string;
}

@ObjectType({ description: 'One HTTP attempt of a delivery.' })
export class WebhookDeliveryAttempt {
  @Field(() => Int, { description: '1 for the first attempt.' })
  attempt!: number;

  @Field(() => String, { description: 'succeeded, retry (another attempt was scheduled) or failed (final).' })
  outcome!: string;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status; null when none came (timeout, network error, refused URL)." })
  statusCode!: number | null;

  @Field(() => String, { nullable: true, description: 'What went wrong.' })
  error!: string | null;

  @Field(() => String, { nullable: true, description: "The start of the receiver's answer." })
  responseExcerpt!: string | null;

  @Field(() => Int, { description: 'How long the attempt took, in milliseconds.' })
  latencyMs!: number;

  @Field(() => Date, { description: 'When it was made.' })
  createdAt!: Date;

  static from(row: WebhookDeliveryAttemptRow): WebhookDeliveryAttempt {
    return Object.assign(new WebhookDeliveryAttempt(), row);
  }
}

@ObjectType({ description: 'One event delivered (or being delivered) to one endpoint: the delivery log.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The delivery id (redeliverWebhook takes it).' })
  id!: string;

  @Field(() => ID, { description: 'The tenant.' })
  tenantId!: string;

  @Field(() => ID, { description: 'The endpoint.' })
  endpointId!: string;

  @Field(() => ID, { description: 'The event id, sent as X-Wabahub-Delivery (the same for a redelivery).' })
  eventId!: string;

  @Field(() => String, { description: 'The event type, e.g. message.received.' })
  eventType!: string;

  @Field(() => String, { description: 'pending (waiting for its next attempt), delivering, succeeded or failed (final).' })
  status!: string;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due, while pending.' })
  nextAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: "The last attempt's HTTP status." })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true, description: "The last attempt's error." })
  lastError!: string | null;

  @Field(() => String, { nullable: true, description: "The start of the last answer's body." })
  responseExcerpt!: string | null;

  @Field(() => Int, { nullable: true, description: "The last attempt's duration in milliseconds." })
  latencyMs!: number | null;

  @Field(() => Date, { nullable: true, description: 'When it succeeded.' })
  deliveredAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The delivery this one repeats (redeliverWebhook).' })
  redeliveryOf!: string | null;

  @Field(() => Date, { description: 'When the event was recorded for this endpoint.' })
  createdAt!: Date;

  static from(row: WebhookDeliveryRow): WebhookDelivery {
    return Object.assign(new WebhookDelivery(), { ...row, nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null });
  }
}

export const WebhookEndpointConnection = Connection(WebhookEndpoint, 'WebhookEndpoint');
export const WebhookDeliveryConnection = Connection(WebhookDelivery, 'WebhookDelivery');
