import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Job counts of one queue.' })
export class QueueHealth {
  @Field(() => String, { description: 'Queue name: webhooks, outbound, onboarding.' }) name!: string;
  @Field(() => Int, { description: 'Jobs waiting to run.' }) waiting!: number;
  @Field(() => Int, { description: 'Jobs running now.' }) active!: number;
  @Field(() => Int, { description: 'Jobs delayed (backoff, rate limits).' }) delayed!: number;
  @Field(() => Int, { description: 'Jobs that failed every attempt.' }) failed!: number;
  @Field(() => Int, { description: 'Recently completed jobs still kept.' }) completed!: number;
}

@ObjectType({ description: 'Messages in and out during one second.' })
export class TrafficPoint {
  @Field(() => Date, { description: 'Start of the second.' }) at!: Date;
  @Field(() => Int, { description: 'Inbound messages and status callbacks received.' }) inbound!: number;
  @Field(() => Int, { description: 'Outbound messages sent.' }) outbound!: number;
}
