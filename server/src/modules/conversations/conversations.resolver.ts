import { Arg, Args, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Contact } from '../contacts/contacts.types.js';
import { Message } from '../messages/messages.types.js';
import { Conversation, ConversationConnection, ConversationFilter, ConversationThread } from './conversations.types.js';

@Resolver()
export class ConversationResolver {
  @Query(() => ConversationConnection, { description: 'Customers who wrote, newest last message first, with their last message, unread count and handoff state.' })
  async conversations(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => ConversationFilter, { nullable: true, description: 'Narrows the list.' }) filter: ConversationFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.conversations.list(viewer, filter ?? {}, page), Conversation.from);
  }

  @Query(() => ConversationThread, { description: "One customer's conversation: their last messages, both directions, oldest first." })
  async conversation(
    @Arg('contactId', () => ID, { description: 'The customer.' }) contactId: string,
    @Arg('last', () => Int, { defaultValue: 100, description: 'How many of the last messages (1 to 500).' }) last: number,
    @Ctx() { viewer, services }: AppContext,
  ) {
    const { contact, messages } = await services.conversations.thread(viewer, contactId, last);
    return Object.assign(new ConversationThread(), { contact: Contact.from(contact), messages: messages.map(Message.from) });
  }

  @Mutation(() => Contact, { description: 'A person read the conversation: its unread count starts again from zero.' })
  async markConversationRead(@Arg('contactId', () => ID, { description: 'The customer.' }) contactId: string, @Ctx() { viewer, services }: AppContext) {
    return Contact.from(await services.conversations.markRead(viewer, contactId));
  }

  @Mutation(() => Contact, { description: 'End a handoff: automation answers this customer again.' })
  async resolveHandoff(@Arg('contactId', () => ID, { description: 'The customer.' }) contactId: string, @Ctx() { viewer, services }: AppContext) {
    return Contact.from(await services.conversations.resolveHandoff(viewer, contactId));
  }

  @Mutation(() => Contact, { description: 'Put a label on a customer (rule conditions can read it).' })
  async tagContact(@Arg('contactId', () => ID, { description: 'The customer.' }) contactId: string, @Arg('tag', () => String, { description: 'The label, 1 to 50 characters (stored lower-case).' }) tag: string, @Ctx() { viewer, services }: AppContext) {
    return Contact.from(await services.conversations.tag(viewer, contactId, tag));
  }

  @Mutation(() => Contact, { description: 'Take a label off a customer.' })
  async untagContact(@Arg('contactId', () => ID, { description: 'The customer.' }) contactId: string, @Arg('tag', () => String, { description: 'The label.' }) tag: string, @Ctx() { viewer, services }: AppContext) {
    return Contact.from(await services.conversations.untag(viewer, contactId, tag));
  }
}
