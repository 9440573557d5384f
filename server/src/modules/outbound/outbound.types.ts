import { Field, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import { PhoneNumber } from '../phone-numbers/phone-numbers.types.js';
import type { NumberThroughputRow } from './outbound.service.js';

@ObjectType({ description: "A number's sends per second against its Meta tier, from the send limiter's counters (Meta's accepted sends, per calendar second)." })
export class NumberThroughput {
  @Field(() => PhoneNumber, { description: 'The number.' })
  phoneNumber!: PhoneNumber;

  @Field(() => Int, { description: 'Messages per second Meta allows it (20, 80 or 1000).' })
  tier!: number;

  @Field(() => Int, { description: 'Sends Meta accepted in the last complete second.' })
  lastSecond!: number;

  @Field(() => Int, { description: 'The most sends Meta accepted in one second over the last minute.' })
  busiestSecond!: number;

  @Field(() => Int, { description: 'Sends Meta accepted over the last minute.' })
  lastMinute!: number;

  static from(row: NumberThroughputRow): NumberThroughput {
    return Object.assign(new NumberThroughput(), {
      phoneNumber: PhoneNumber.from(row.number), tier: row.number.throughputTier, lastSecond: row.lastSecond, busiestSecond: row.busiestSecond, lastMinute: row.lastMinute,
    });
  }
}

export const NumberThroughputConnection = Connection(NumberThroughput, 'NumberThroughput');

@ObjectType({ description: 'Outbound messages by status, and how many sends ended with an unknown outcome.' })
export class OutboundStats {
  @Field(() => Int, { description: 'Waiting to be sent (including those waiting for a paused number or campaign).' })
  queued!: number;

  @Field(() => Int, { description: 'Being sent right now.' })
  sending!: number;

  @Field(() => Int, { description: 'Accepted by Meta, not yet delivered.' })
  sent!: number;

  @Field(() => Int, { description: 'Delivered, not yet read.' })
  delivered!: number;

  @Field(() => Int, { description: 'Read.' })
  read!: number;

  @Field(() => Int, { description: 'Failed.' })
  failed!: number;

  @Field(() => Int, { description: "Messages whose send was interrupted mid-call (a worker died): Meta may or may not have them. wabahub never resends these, so a customer never gets a message twice." })
  unknown!: number;

  @Field(() => Int, { description: 'Attempts that ended with an unknown outcome (a message may later be reconciled by a late answer).' })
  unknownOutcomeAttempts!: number;

  @Field(() => Int, { description: 'Attempts retried after a rate limit, a transient Meta error or a network failure.' })
  retriedAttempts!: number;
}
