import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '../../graphql/connection.js';
import type { WebhookEventRow, UnroutedEventRow } from './webhooks.table.js';
import { unroutedFix } from './webhooks.account-events.js';

@ObjectType({ description: 'A webhook POST from Meta, stored raw before it was acknowledged, with its processing state.' })
export class WebhookEvent {
  @Field(() => ID, { description: 'The event id.' }) id!: string;
  @Field(() => String, { description: 'received, processing, processed, failed (will be retried; replayable) or rejected (malformed).' }) state!: string;
  @Field(() => [ID], { description: 'The tenants the event concerned, once routed.' }) tenantIds!: string[];
  @Field(() => GraphQLJSON, { nullable: true, description: 'What processing found: counts by kind (messages, statuses, unrouted, ...).' }) summary!: Record<string, number> | null;
  @Field(() => String, { nullable: true, description: 'Why processing failed, or why the body was rejected.' }) error!: string | null;
  @Field(() => Int, { description: 'Processing attempts.' }) attempts!: number;
  @Field(() => String, { description: 'The raw body exactly as Meta sent it (UTF-8).' }) rawBody!: string;
  @Field(() => Date, { description: 'When it was received and stored.' }) receivedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When it was processed.' }) processedAt!: Date | null;

  static from(row: WebhookEventRow): WebhookEvent {
    return Object.assign(new WebhookEvent(), { ...row, id: String(row.id), rawBody: row.rawBody.toString('utf8') });
  }
}

@ObjectType({ description: 'A webhook change for a phone number no tenant registered: kept, never dropped, until fixed.' })
export class UnroutedEvent {
  @Field(() => ID, { description: 'The unrouted change id.' }) id!: string;
  @Field(() => ID, { description: 'The webhook event it is part of (replay it after the fix).' }) webhookEventId!: string;
  @Field(() => String, { nullable: true, description: "Meta's Phone Number ID nobody registered." }) phoneNumberId!: string | null;
  @Field(() => String, { nullable: true, description: 'The WABA it came from.' }) wabaId!: string | null;
  @Field(() => String, { description: 'The webhook field (messages, ...).' }) field!: string;
  @Field(() => String, { description: 'What to do about it.' }) fix!: string;
  @Field(() => GraphQLJSON, { description: 'The change value as Meta sent it.' }) value!: unknown;
  @Field(() => Date, { nullable: true, description: 'When a replay routed it.' }) resolvedAt!: Date | null;
  @Field(() => Date, { description: 'When it arrived.' }) createdAt!: Date;

  static from(row: UnroutedEventRow): UnroutedEvent {
    return Object.assign(new UnroutedEvent(), { ...row, webhookEventId: String(row.webhookEventId), fix: unroutedFix(row.phoneNumberId, row.wabaId) });
  }
}

export const WebhookEventConnection = Connection(WebhookEvent, 'WebhookEvent');
export const UnroutedEventConnection = Connection(UnroutedEvent, 'UnroutedEvent');
