import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'Filters for messages.' })
export class MessageFilter {
  @Field(() => ID, { nullable: true, description: 'Only this instance.' }) instanceId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Only this contact.' }) contactId?: string | null;
  @Field(() => String, { nullable: true, description: 'inbound or outbound.' }) direction?: string | null;
  @Field(() => String, { nullable: true, description: 'Only this status.' }) status?: string | null;
  @Field(() => Date, { nullable: true, description: 'Stored at or after this time.' }) since?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Stored before this time.' }) until?: Date | null;
}

@InputType({ description: 'Filters for contacts.' })
export class ContactFilter {
  @Field(() => ID, { nullable: true, description: "Only this tenant's (operator)." }) tenantId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Only contacts of this phone number (wabahub id).' }) phoneNumberId?: string | null;
  @Field(() => String, { nullable: true, description: 'Name or WhatsApp id contains this text.' }) search?: string | null;
}
