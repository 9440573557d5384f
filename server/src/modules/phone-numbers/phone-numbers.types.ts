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

  @Field(() => String, { nullable: true, description: "Meta's own status of the number: CONNECTED, PENDING (not registered), FLAGGED, RESTRICTED, BANNED...; null until read from Meta." })
  metaStatus!: string | null;

  @Field(() => String, { nullable: true, description: "Meta's review of the display name: APPROVED, PENDING_REVIEW, DECLINED, EXPIRED or NONE; null until read from Meta." })
  nameStatus!: string | null;

  @Field(() => String, { nullable: true, description: 'Unique customers the business may start conversations with in 24 h: TIER_250, TIER_1K, TIER_10K, TIER_100K or TIER_UNLIMITED; null until read from Meta.' })
  messagingLimitTier!: string | null;

  @Field(() => Date, { nullable: true, description: "When Meta's state of the number (status, quality, name, limit, tier) was last read or announced by a webhook." })
  metaCheckedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the last webhook about this number arrived (at most every 10 s is recorded): Meta reaches wabahub.' })
  lastWebhookAt!: Date | null;

  @Field(() => Boolean, { description: 'Whether the number has its own business token (the token itself is write-only).' })
  hasOwnToken!: boolean;

  @Field(() => Date, { description: 'When the number was added.' })
  createdAt!: Date;

  static from(row: PhoneNumberRow): PhoneNumber {
    const { accessToken, twoStepPin: _pin, updatedAt: _u, ...visible } = row;
    return Object.assign(new PhoneNumber(), visible, { hasOwnToken: accessToken !== null });
  }
}

export const PhoneNumberConnection = Connection(PhoneNumber, 'PhoneNumber');
