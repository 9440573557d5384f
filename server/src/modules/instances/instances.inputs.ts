import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'Opening hours of one weekday.' })
export class BusinessHoursDayInput {
  @Field(() => Int, { description: 'Day of the week: 0 Sunday to 6 Saturday.' })
  day!: number;

  @Field(() => String, { description: 'Opening time, "HH:MM" (24 h).' })
  open!: string;

  @Field(() => String, { description: 'Closing time, "HH:MM" (24 h). At or before the opening time, the interval crosses midnight (22:00–02:00).' })
  close!: string;
}

@InputType({ description: 'A new instance on a phone number.' })
export class CreateInstanceInput {
  @Field(() => ID, { description: "The phone number: wabahub's PhoneNumber id, or Meta's Phone Number ID." })
  phoneNumberId!: string;

  @Field(() => String, { description: 'Display name.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'IANA timezone (default UTC).' })
  timezone?: string | null;
}

@InputType({ description: 'Changes to an instance; omitted fields stay as they are.' })
export class UpdateInstanceInput {
  @Field(() => ID, { description: 'The instance to change.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New IANA timezone.' })
  timezone?: string | null;

  @Field(() => String, { nullable: true, description: 'active, paused or setup.' })
  status?: string | null;

  @Field(() => [BusinessHoursDayInput], { nullable: true, description: 'New weekly hours: any number of intervals a day, a day without one is closed; an empty list clears them (always open).' })
  businessHours?: BusinessHoursDayInput[] | null;

  @Field(() => [String], { nullable: true, description: 'Dates closed all day, "YYYY-MM-DD" in the instance\'s timezone (holidays); an empty list clears them.' })
  holidays?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'How long a handoff to a person pauses automation for a customer, in hours (1 to 720).' })
  handoffTimeoutHours?: number | null;

  @Field(() => Int, { nullable: true, description: 'At most this many automated replies per customer per hour (1 to 100); the rest are skipped and counted.' })
  replyLimitPerHour?: number | null;
}

@InputType({ description: 'Filters for the instance list.' })
export class InstanceFilter {
  @Field(() => ID, { nullable: true, description: "Only this tenant's instances (operator)." })
  tenantId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only instances in this status.' })
  status?: string | null;
}
