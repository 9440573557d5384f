import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '../../graphql/connection.js';
import type { MessageRow } from './messages.table.js';

@ObjectType({ description: 'One step of a message: queued, sent, delivered, read, failed...' })
export class MessageStatusStep {
  @Field(() => String, { description: 'The status reached.' }) status!: string;
  @Field(() => Date, { description: 'When (Meta\'s time for statuses Meta reported).' }) at!: Date;
  @Field(() => Int, { nullable: true, description: "Meta's error code, for failed." }) errorCode!: number | null;
  @Field(() => String, { nullable: true, description: "Meta's error title and details, for failed." }) error!: string | null;
}

@ObjectType({ description: 'A WhatsApp message, inbound from a customer or outbound from the tenant.' })
export class Message {
  @Field(() => ID, { description: 'The message id.' }) id!: string;
  @Field(() => ID, { description: 'The owning tenant.' }) tenantId!: string;
  @Field(() => ID, { nullable: true, description: 'The instance of the number.' }) instanceId!: string | null;
  @Field(() => ID, { description: 'wabahub id of the phone number.' }) phoneNumberId!: string;
  @Field(() => ID, { description: 'The customer.' }) contactId!: string;
  @Field(() => String, { description: 'inbound or outbound.' }) direction!: string;
  @Field(() => String, { nullable: true, description: "Meta's message id (wamid); null until an outbound message is sent." }) wamid!: string | null;
  @Field(() => String, { description: 'text, template, interactive, image, location, button, ...' }) type!: string;
  @Field(() => String, { nullable: true, description: 'The text, caption or button title, when there is one.' }) text!: string | null;
  @Field(() => GraphQLJSON, { description: 'The message as Meta sent it, or as we sent it.' }) payload!: unknown;
  @Field(() => String, { description: 'received (inbound); queued, sending, sent, delivered, read, failed or unknown (outbound).' }) status!: string;
  @Field(() => Int, { nullable: true, description: "Meta's error code when failed." }) errorCode!: number | null;
  @Field(() => String, { nullable: true, description: "Meta's error title when failed." }) errorTitle!: string | null;
  @Field(() => String, { nullable: true, description: "Meta's error details when failed." }) errorDetail!: string | null;
  @Field(() => ID, { nullable: true, description: 'The campaign it belongs to.' }) campaignId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The automation rule that sent it (outbound).' }) automationRuleId!: string | null;
  @Field(() => Date, { nullable: true, description: 'When it was sent (outbound).' }) sentAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was delivered (outbound).' }) deliveredAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it was read (outbound).' }) readAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When it failed (outbound).' }) failedAt!: Date | null;
  @Field(() => Date, { description: 'When wabahub stored it.' }) createdAt!: Date;

  static from(row: MessageRow): Message {
    return Object.assign(new Message(), row);
  }
}

export const MessageConnection = Connection(Message, 'Message');
