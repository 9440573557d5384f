import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { AutomationRuleRow } from './automation.table.js';

@ObjectType({ description: "One of an instance's automation rules: when the trigger matches an inbound message, the action runs." })
export class AutomationRule {
  @Field(() => ID, { description: 'The rule id.' })
  id!: string;

  @Field(() => ID, { description: 'The owning tenant.' })
  tenantId!: string;

  @Field(() => ID, { description: 'The instance the rule belongs to.' })
  instanceId!: string;

  @Field(() => String, { description: 'Name of the rule.' })
  name!: string;

  @Field(() => Int, { description: 'Evaluation order, lowest first; the first matching rule wins.' })
  position!: number;

  @Field(() => Boolean, { description: 'Whether the rule runs.' })
  enabled!: boolean;

  @Field(() => GraphQLJSON, { description: 'When it runs: { type: keyword | first_message | outside_business_hours | inside_business_hours | button_reply | list_reply | message_type | any_message, ... }.' })
  trigger!: unknown;

  @Field(() => GraphQLJSON, { description: 'What must also hold, all of it: [{ type: contact_has_tag | contact_lacks_tag | cooldown | not_in_handoff, ... }].' })
  conditions!: unknown;

  @Field(() => GraphQLJSON, { description: 'What it does, in order: [{ type: reply_text | reply_buttons | reply_list | reply_template | reply_media | mark_read | add_tag | remove_tag | handoff, ... }].' })
  actions!: unknown;

  @Field(() => Boolean, { description: 'Whether a match ends evaluation (the default); when false, later rules may fire on the same message too.' })
  stop!: boolean;

  @Field(() => ID, { nullable: true, description: 'The rule template it came from, if any.' })
  ruleTemplateId!: string | null;

  @Field(() => Int, { nullable: true, description: 'The version of that template.' })
  ruleTemplateVersion!: number | null;

  @Field(() => Date, { description: 'When the rule was created.' })
  createdAt!: Date;

  static from(row: AutomationRuleRow): AutomationRule {
    return Object.assign(new AutomationRule(), row);
  }
}
