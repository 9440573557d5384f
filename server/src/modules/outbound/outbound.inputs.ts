import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'An approved template to send, with its body variables.' })
export class SendTemplateInput {
  @Field(() => String, { description: 'Template name, as Meta knows it.' })
  name!: string;

  @Field(() => String, { description: 'Template language code, e.g. pt_BR.' })
  language!: string;

  @Field(() => [String], { nullable: true, description: 'Body variables in order ({{1}}, {{2}}, ...): exactly as many as the template has.' })
  variables?: string[] | null;
}

@InputType({ description: 'A reply button of an interactive message.' })
export class ReplyButtonInput {
  @Field(() => String, { description: 'Id echoed back when the customer taps it (1-256 characters, unique within the message).' })
  id!: string;

  @Field(() => String, { description: 'Label shown on the button (1-20 characters).' })
  title!: string;
}

@InputType({ description: 'An interactive message with reply buttons.' })
export class SendInteractiveInput {
  @Field(() => String, { description: 'The message text (1-1024 characters).' })
  body!: string;

  @Field(() => [ReplyButtonInput], { description: 'One to three reply buttons.' })
  buttons!: ReplyButtonInput[];
}

@InputType({ description: 'One outbound message. Give exactly one of text, template or interactive.' })
export class SendMessageInput {
  @Field(() => ID, { description: 'The instance (and so the phone number) that sends.' })
  instanceId!: string;

  @Field(() => String, { description: 'The recipient in E.164 form, e.g. +5511987654321.' })
  to!: string;

  @Field(() => String, { nullable: true, description: 'Free-form text (1-4096 characters); only within 24 h of the customer\'s last message.' })
  text?: string | null;

  @Field(() => SendTemplateInput, { nullable: true, description: 'An APPROVED template: the only kind of message allowed outside the 24-hour window.' })
  template?: SendTemplateInput | null;

  @Field(() => SendInteractiveInput, { nullable: true, description: 'Text with reply buttons; only within the 24-hour window.' })
  interactive?: SendInteractiveInput | null;

  @Field(() => String, { nullable: true, description: 'Your key for this message (at most 200 characters): sending again with the same key returns the first message instead of sending twice.' })
  idempotencyKey?: string | null;
}
