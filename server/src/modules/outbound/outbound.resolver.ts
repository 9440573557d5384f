import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Message } from '../messages/messages.types.js';
import { SendMessageInput } from './outbound.inputs.js';
import { NumberThroughputConnection, NumberThroughput, OutboundStats } from './outbound.types.js';

@Resolver()
export class OutboundResolver {
  @Mutation(() => Message, { description: "Queue one message (text, template or interactive) for sending. Free-form messages need the customer's 24-hour window (WINDOW_CLOSED otherwise, naming the templates that may be sent instead). The same idempotencyKey returns the first message." })
  async sendMessage(@Arg('input', () => SendMessageInput, { description: 'Who to, from which instance, and what: text, a template or buttons.' }) input: SendMessageInput, @Ctx() { viewer, services }: AppContext) {
    return Message.from(await services.outbound.sendMessage(viewer, input));
  }

  @Query(() => NumberThroughputConnection, { description: "Each number's sends per second against its tier (last second, busiest second of the last minute), newest number first." })
  async numberThroughput(@Args(() => PageArgs) page: PageArgs, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.outbound.numberThroughput(viewer, page), NumberThroughput.from);
  }

  @Query(() => OutboundStats, { description: 'Outbound messages by status, with the count of sends whose outcome is unknown.' })
  async outboundStats(@Arg('phoneNumberId', () => ID, { nullable: true, description: 'Only this number (wabahub id or Meta id).' }) phoneNumberId: string | null, @Ctx() { viewer, services }: AppContext) {
    return Object.assign(new OutboundStats(), await services.outbound.stats(viewer, phoneNumberId));
  }
}
