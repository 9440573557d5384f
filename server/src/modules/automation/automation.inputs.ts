import { Field, ID, InputType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

@InputType({ description: 'A new automation rule: when its trigger matches an inbound message and its conditions hold, its actions run in order.' })
export class CreateAutomationRuleInput {
  @Field(() => ID, { description: 'The instance the rule belongs to.' })
  instanceId!: string;

  @Field(() => String, { description: 'A name people recognise, shown in conversations ("answered by rule «Cardápio»").' })
  name!: string;

  @Field(() => GraphQLJSON, { description: 'When it runs, e.g. { "type": "keyword", "keywords": ["cardápio"], "match": "contains" }.' })
  trigger!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'What must also hold (all of it), e.g. [{ "type": "cooldown", "hours": 24 }]. Default none.' })
  conditions?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'What it does, in order, e.g. [{ "type": "reply_text", "text": "Olá {{contact.first_name}}!" }].' })
  actions?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Legacy: one action instead of `actions`.' })
  action?: unknown;

  @Field(() => Boolean, { nullable: true, description: 'Whether a match ends evaluation (default true).' })
  stop?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the rule runs (default true).' })
  enabled?: boolean | null;
}

@InputType({ description: 'Changes to an automation rule; fields left out keep their value.' })
export class UpdateAutomationRuleInput {
  @Field(() => ID, { description: 'The rule.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New trigger.' })
  trigger?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New conditions.' })
  conditions?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New actions.' })
  actions?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Legacy: one action instead of `actions`.' })
  action?: unknown;

  @Field(() => Boolean, { nullable: true, description: 'Whether a match ends evaluation.' })
  stop?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether the rule runs.' })
  enabled?: boolean | null;
}

@InputType({ description: 'A customer message to try the rules on, sending nothing.' })
export class TestAutomationRulesInput {
  @Field(() => ID, { description: 'The instance whose rules are tried.' })
  instanceId!: string;

  @Field(() => String, { nullable: true, description: 'What the customer writes.' })
  text?: string | null;

  @Field(() => String, { nullable: true, description: 'The id of a reply button the customer taps.' })
  buttonId?: string | null;

  @Field(() => String, { nullable: true, description: 'The id of a list row the customer picks.' })
  listRowId?: string | null;

  @Field(() => String, { nullable: true, description: "Meta's message type (text, image, audio, video, document, location, contacts, sticker, interactive); text by default." })
  messageType?: string | null;

  @Field(() => String, { nullable: true, description: "An existing customer's number: their tags, handoff and history count. A first-time customer when absent." })
  contactWaId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the customer writes (business hours, cooldowns); now when absent.' })
  at?: Date | null;
}

@InputType({ description: 'Which rule runs to list.' })
export class RuleRunFilter {
  @Field(() => ID, { nullable: true, description: 'Only this instance.' })
  instanceId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this rule.' })
  ruleId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this customer.' })
  contactId?: string | null;
}
