import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { MessageTemplate, MessageTemplateConnection, MessageTemplateFilter } from './message-templates.types.js';

@Resolver(() => MessageTemplate)
export class MessageTemplateResolver {
  @Query(() => MessageTemplateConnection, { description: "The message templates of a phone number's WABA, newest first." })
  async messageTemplates(
    @Arg('phoneNumberId', () => ID, { description: "wabahub's PhoneNumber id or Meta's Phone Number ID." }) phoneNumberId: string,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => MessageTemplateFilter, { nullable: true, description: 'Narrows the list; all templates the caller may see when absent.' }) filter: MessageTemplateFilter | null,
    @Ctx() { viewer, services }: AppContext,
  ) {
    return toConnection(await services.messageTemplates.list(viewer, phoneNumberId, filter ?? {}, page), MessageTemplate.from);
  }

  @Mutation(() => [MessageTemplate], { description: "Read the WABA's templates from Meta and mirror them (added, updated, or marked DELETED when Meta no longer lists them). Returns every template of the WABA." })
  async syncMessageTemplates(
    @Arg('phoneNumberId', () => ID, { description: "wabahub's PhoneNumber id or Meta's Phone Number ID." }) phoneNumberId: string,
    @Ctx() { viewer, services }: AppContext,
  ) {
    return (await services.messageTemplates.sync(viewer, phoneNumberId)).map(MessageTemplate.from);
  }
}
