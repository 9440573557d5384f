import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A phone number to add to a tenant.' })
export class AddPhoneNumberInput {
  @Field(() => ID, { description: 'The tenant that owns the number.' })
  tenantId!: string;

  @Field(() => String, { description: "Meta's Phone Number ID (digits). Unique across wabahub." })
  phoneNumberId!: string;

  @Field(() => String, { description: 'The number in E.164 form; spaces and dashes are accepted and dropped.' })
  displayPhoneNumber!: string;

  @Field(() => String, { description: 'The WhatsApp Business Account id (digits).' })
  wabaId!: string;

  @Field(() => Int, { nullable: true, description: 'Messages per second: 80 (default), 1000 or 20.' })
  throughputTier?: number | null;

  @Field(() => String, { nullable: true, description: 'The display name Meta verified.' })
  verifiedName?: string | null;

  @Field(() => String, { nullable: true, description: "The number's own business token (write-only; stored encrypted). Without it the app's system token is used. Required of a tenant key: Meta must list the number in the WABA for this token, so a tenant cannot take another client's number." })
  accessToken?: string | null;
}

@InputType({ description: 'Filters for the phone number list.' })
export class PhoneNumberFilter {
  @Field(() => ID, { nullable: true, description: 'Only this tenant\'s numbers (operator); a tenant key always sees only its own.' })
  tenantId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only numbers of this WABA.' })
  wabaId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only numbers in this status.' })
  status?: string | null;
}
