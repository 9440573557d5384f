import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Contact, ContactConnection } from '../contacts/contacts.types.js';
import { ContactFilter, MessageFilter } from './messages.inputs.js';
import { Message, MessageConnection, MessageStatusStep } from './messages.types.js';
import { RuleRun } from '../automation/automation.types.js';

@Resolver(() => Message)
export class MessageResolver {
  @Query(() => MessageConnection, { description: 'Messages in and out, newest first.' })
  async messages(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => MessageFilter, { nullable: true, description: 'Narrows the list; all messages the caller may see when absent.' }) filter: MessageFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.messages.list(viewer, filter ?? {}, page), Message.from);
  }

  @Query(() => Message, { description: 'One message, with its status timeline.' })
  async message(@Arg('id', () => ID, { description: 'The message id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Message.from(await services.messages.findOrFail(viewer, id));
  }

  @FieldResolver(() => [MessageStatusStep], { description: 'queued → sent → delivered → read / failed, with times (and each send attempt that did not succeed).' })
  async timeline(@Root() message: Message, @Ctx() { services }: AppContext) {
    return services.messages.timeline(message as never);
  }

  @FieldResolver(() => [RuleRun], { description: 'What automation rules did with this message (inbound): "answered by rule «Cardápio»".' })
  async answeredBy(@Root() message: Message, @Ctx() { services }: AppContext) {
    if (message.direction !== 'inbound') return [];
    return (await services.automation.runsOfMessages(message.tenantId, [message.id])).map(RuleRun.from);
  }

  @FieldResolver(() => Contact, { description: 'The customer.' })
  async contact(@Root() message: Message, @Ctx() { viewer, services }: AppContext) {
    return Contact.from(await services.contacts.findOrFail(viewer, message.contactId));
  }

  @Query(() => ContactConnection, { description: 'Customers, newest first.' })
  async contacts(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => ContactFilter, { nullable: true, description: 'Narrows the list; all contacts the caller may see when absent.' }) filter: ContactFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.contacts.list(viewer, filter ?? {}, page), Contact.from);
  }
}
