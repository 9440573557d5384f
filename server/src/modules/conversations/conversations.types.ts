import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import { Contact } from '../contacts/contacts.types.js';
import { Message } from '../messages/messages.types.js';
import type { ConversationRow } from './conversations.service.js';

@ObjectType({ description: 'A customer who wrote to one of the numbers, as the people who answer see them.' })
export class Conversation {
  @Field(() => ID, { description: 'The customer (contact) id: the conversation is theirs with one number.' }) id!: string;
  @Field(() => Contact, { description: 'The customer, with tags and handoff state.' }) contact!: Contact;
  @Field(() => ID, { nullable: true, description: 'The instance of the number they wrote to.' }) instanceId!: string | null;
  @Field(() => Message, { nullable: true, description: 'The last message, either direction.' }) lastMessage!: Message | null;
  @Field(() => Int, { description: 'Their messages since a person last read the conversation.' }) unreadCount!: number;
  @Field(() => String, { description: 'open, or handoff (a person has it; automation waits).' }) state!: string;

  static from(row: ConversationRow): Conversation {
    return Object.assign(new Conversation(), {
      id: row.contact.id, contact: Contact.from(row.contact), instanceId: row.instanceId, lastMessage: row.lastMessage ? Message.from(row.lastMessage) : null,
      unreadCount: row.unreadCount, state: row.inHandoff ? 'handoff' : 'open',
    });
  }
}

export const ConversationConnection = Connection(Conversation, 'Conversation');

@ObjectType({ description: "One customer's messages with one number, both directions, oldest first." })
export class ConversationThread {
  @Field(() => Contact, { description: 'The customer.' }) contact!: Contact;
  @Field(() => [Message], { description: 'The messages, oldest first, each with its status (and `answeredBy` for what rules did).' }) messages!: Message[];
}

@InputType({ description: 'Which conversations to list.' })
export class ConversationFilter {
  @Field(() => ID, { nullable: true, description: 'Only this instance.' }) instanceId?: string | null;
  @Field(() => String, { nullable: true, description: 'open (automation answers) or handoff (a person has it).' }) state?: string | null;
  @Field(() => String, { nullable: true, description: 'Name or WhatsApp number contains this.' }) search?: string | null;
}
