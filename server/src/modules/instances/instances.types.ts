import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { InstanceRow, InstanceStatus } from './instances.table.js';

@ObjectType({ description: 'Opening hours of one weekday, in the instance timezone.' })
export class BusinessHoursDay {
  @Field(() => Int, { description: 'Day of the week: 0 Sunday to 6 Saturday.' })
  day!: number;

  @Field(() => String, { description: 'Opening time, "HH:MM".' })
  open!: string;

  @Field(() => String, { description: 'Closing time, "HH:MM".' })
  close!: string;
}

@ObjectType({ description: "A tenant's running setup on one phone number: its name, status, hours and rules." })
export class Instance {
  @Field(() => ID, { description: 'The instance id.' })
  id!: string;

  @Field(() => ID, { description: 'The owning tenant.' })
  tenantId!: string;

  @Field(() => ID, { description: 'wabahub id of the phone number this instance runs on.' })
  phoneNumberId!: string;

  @Field(() => String, { description: 'Display name.' })
  name!: string;

  @Field(() => String, { description: 'active, paused or setup.' })
  status!: InstanceStatus;

  @Field(() => String, { description: 'IANA timezone, e.g. America/Sao_Paulo.' })
  timezone!: string;

  @Field(() => [BusinessHoursDay], { nullable: true, description: 'Weekly opening hours; null means always open.' })
  businessHours!: BusinessHoursDay[] | null;

  @Field(() => [String], { description: 'Dates closed all day ("YYYY-MM-DD", local).' })
  holidays!: string[];

  @Field(() => Int, { description: 'How long a handoff to a person pauses automation for a customer, in hours.' })
  handoffTimeoutHours!: number;

  @Field(() => Int, { description: 'At most this many automated replies per customer per hour.' })
  replyLimitPerHour!: number;

  @Field(() => Date, { description: 'When the instance was created.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the instance was last changed.' })
  updatedAt!: Date;

  static from(row: InstanceRow): Instance {
    return Object.assign(new Instance(), row, { businessHours: row.businessHours?.days ?? null, holidays: row.businessHours?.holidays ?? [] });
  }
}

export const InstanceConnection = Connection(Instance, 'Instance');
