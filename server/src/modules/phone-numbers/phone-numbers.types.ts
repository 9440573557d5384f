import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { PhoneNumberRow, PhoneNumberStatus } from './phone-numbers.table.js';

@ObjectType({ description: "A tenant's WhatsApp Business phone number, known to Meta by its Phone Number ID." })
export class PhoneNumber {
  @Field(() => ID, { description: 'wabahub id of the number.' })
  id!: string;

  @Field(() => ID, { description: 'The owning tenant.' })
  tenantId!: string;

  @Field(() => String, { description: "Meta's Phone Number ID: webhooks are routed by it." })
  phoneNumberId!: string;

  @Field(() => String, { description: 'The number in E.164 form, e.g. +5511987654321.' })
  displayPhoneNumber!: string;

  @Field(() => String, { description: 'The WhatsApp Business Account (WABA) id the number belongs to.' })
  wabaId!: string;

  @Field(() => String, { nullable: true, description: 'The display name Meta verified for the number.' })
  verifiedName!: string | null;

  @Field(() => String, { description: "Meta's quality rating: GREEN, YELLOW, RED or UNKNOWN." })
  qualityRating!: string;

  @Field(() => Int, { description: 'Messages per second Meta allows this number: 80 (default), 1000 (upgraded) or 20 (shared with the WhatsApp Business app).' })
  throughputTier!: number;

  @Field(() => String, { description: 'pending, registered, connected, paused (sends stopped, e.g. an expired token) or disconnected.' })
  status!: PhoneNumberStatus;

  @Field(() => Boolean, { description: 'Whether the number has its own business token (the token itself is write-only).' })
  hasOwnToken!: boolean;

  @Field(() => Date, { description: 'When the number was added.' })
  createdAt!: Date;

  static from(row: PhoneNumberRow): PhoneNumber {
    const { accessToken, updatedAt: _u, ...visible } = row;
    return Object.assign(new PhoneNumber(), visible, { hasOwnToken: accessToken !== null });
  }
}

export const PhoneNumberConnection = Connection(PhoneNumber, 'PhoneNumber');
