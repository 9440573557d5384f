import { Field, ID, InputType, ObjectType } from 'type-graphql';

export const ACTIVITY_KINDS = ['inbound_message', 'outbound_message', 'status', 'template_status', 'account_update', 'unrouted', 'rejected', 'rule_fired', 'handoff'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** What one processed webhook item or one send looks like on the live feed. Always carries tenantId (null: operator only). */
export interface ActivityPayload {
  id: string;
  kind: ActivityKind;
  direction: 'in' | 'out' | null;
  tenantId: string | null;
  instanceId: string | null;
  phoneNumberId: string | null;
  wabaId: string | null;
  messageId: string | null;
  wamid: string | null;
  contactWaId: string | null;
  contactName: string | null;
  messageType: string | null;
  status: string | null;
  summary: string;
  webhookEventId: string | null;
  occurredAt: string;
}

@ObjectType({ description: 'One item of live traffic: a message in or out, a status, an account event, or an event nobody could route.' })
export class WebhookActivity implements Omit<ActivityPayload, 'occurredAt'> {
  @Field(() => ID, { description: 'Unique id of this activity item.' }) id!: string;
  @Field(() => String, { description: 'inbound_message, outbound_message, status, template_status, account_update, unrouted, rejected, rule_fired (an automation rule answered a message) or handoff (a conversation handed to a person, or resolved).' }) kind!: ActivityKind;
  @Field(() => String, { nullable: true, description: '"in" (from Meta) or "out" (our sends).' }) direction!: 'in' | 'out' | null;
  @Field(() => ID, { nullable: true, description: 'The tenant; null for unrouted events (operator only).' }) tenantId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The instance of the number.' }) instanceId!: string | null;
  @Field(() => String, { nullable: true, description: "Meta's Phone Number ID." }) phoneNumberId!: string | null;
  @Field(() => String, { nullable: true, description: 'The WABA id.' }) wabaId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The wabahub message id, for messages and statuses.' }) messageId!: string | null;
  @Field(() => String, { nullable: true, description: "Meta's message id." }) wamid!: string | null;
  @Field(() => String, { nullable: true, description: "The customer's WhatsApp id." }) contactWaId!: string | null;
  @Field(() => String, { nullable: true, description: "The customer's profile name." }) contactName!: string | null;
  @Field(() => String, { nullable: true, description: 'Message type: text, image, interactive, ...' }) messageType!: string | null;
  @Field(() => String, { nullable: true, description: 'Message status, or the event name of an account event.' }) status!: string | null;
  @Field(() => String, { description: 'One line for people: the text, the status, or the fix.' }) summary!: string;
  @Field(() => ID, { nullable: true, description: 'The raw webhook event it came from.' }) webhookEventId!: string | null;
  @Field(() => Date, { description: 'When it happened.' }) occurredAt!: Date;
}

@InputType({ description: 'Which live activity to receive.' })
export class WebhookActivityFilter {
  @Field(() => ID, { nullable: true, description: 'Only this tenant (operator); a tenant key always gets only its own.' })
  tenantId?: string | null;

  @Field(() => String, { nullable: true, description: "Only this Meta Phone Number ID." })
  phoneNumberId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Only these kinds.' })
  kinds?: string[] | null;
}
