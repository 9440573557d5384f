import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import { GraphQLJSON } from 'graphql-scalars';
import type { RuleRunRow } from './automation.table.js';
import type { RuleWithStats, DryRunReply } from './automation.service.js';
import type { RuleVerdict as EngineVerdict } from './automation.engine.js';

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

  @Field(() => Int, { description: 'How many times it fired.' })
  runCount!: number;

  @Field(() => Date, { nullable: true, description: 'When it last fired.' })
  lastRunAt!: Date | null;

  @Field(() => Date, { description: 'When the rule was created.' })
  createdAt!: Date;

  static from(row: Omit<RuleWithStats, 'runCount' | 'lastRunAt'> & Partial<Pick<RuleWithStats, 'runCount' | 'lastRunAt'>>): AutomationRule {
    return Object.assign(new AutomationRule(), { runCount: 0, lastRunAt: null }, row);
  }
}

@ObjectType({ description: 'What one rule did, or why not, with one customer message (a dry run).' })
export class RuleVerdict {
  @Field(() => ID, { description: 'The rule.' }) ruleId!: string;
  @Field(() => String, { description: 'Its name.' }) name!: string;
  @Field(() => String, { description: 'fired, no_match, condition_failed, disabled, held (its Meta template is not approved yet), not_reached (a rule above stopped evaluation) or paused_for_handoff.' }) outcome!: string;
  @Field(() => String, { description: 'Why, in plain words: what matched, which condition failed.' }) reason!: string;

  static from(v: EngineVerdict): RuleVerdict {
    return Object.assign(new RuleVerdict(), v);
  }
}

@ObjectType({ description: 'A reply a rule would send, as it would be sent (or why it would not).' })
export class AutomationReply {
  @Field(() => ID, { description: 'The rule that sends it.' }) ruleId!: string;
  @Field(() => String, { description: 'Its name.' }) ruleName!: string;
  @Field(() => Int, { description: 'The action\'s place in the rule.' }) actionIndex!: number;
  @Field(() => String, { description: 'reply_text, reply_buttons, reply_list, reply_template or reply_media.' }) type!: string;
  @Field(() => String, { nullable: true, description: 'What the customer reads: the text, the body, the caption, or the template rendered.' }) text!: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: "The message as it would go to Meta (buttons, list sections, media link); null when it could not be built." }) payload!: unknown;
  @Field(() => Boolean, { description: 'Whether it would be sent now.' }) sent!: boolean;
  @Field(() => String, { nullable: true, description: "Why not: window_closed (outside the customer's 24 hours: only templates go), reply_limit (too many automated replies this hour), or what Meta would refuse." }) skipReason!: string | null;

  static from(r: DryRunReply): AutomationReply {
    return Object.assign(new AutomationReply(), {
      ruleId: r.ruleId, ruleName: r.ruleName, actionIndex: r.action.index, type: r.action.action.type, text: r.text, payload: r.payload,
      sent: r.action.run && r.problem === null, skipReason: r.action.skipReason ?? r.problem,
    });
  }
}

@ObjectType({ description: 'A dry run: which rules fire on a customer message, in order, why the others do not, and the replies as they would be sent. Nothing is sent.' })
export class AutomationTestResult {
  @Field(() => [RuleVerdict], { description: 'One per rule, in evaluation order.' }) verdicts!: RuleVerdict[];
  @Field(() => [AutomationReply], { description: 'The replies of the rules that fire, in order.' }) replies!: AutomationReply[];
}

@ObjectType({ description: 'One run of a rule on one inbound message: what matched, and what each action did.' })
export class RuleRun {
  @Field(() => ID, { description: 'The run.' }) id!: string;
  @Field(() => ID, { description: 'The owning tenant.' }) tenantId!: string;
  @Field(() => ID, { description: 'The instance.' }) instanceId!: string;
  @Field(() => ID, { description: 'The rule (its name below is as it was when it ran).' }) ruleId!: string;
  @Field(() => String, { description: 'The rule\'s name when it ran.' }) ruleName!: string;
  @Field(() => ID, { description: 'The inbound message it answered.' }) messageId!: string;
  @Field(() => ID, { description: 'The customer.' }) contactId!: string;
  @Field(() => String, { description: 'running (its actions being carried out) or done.' }) status!: string;
  @Field(() => String, { description: 'What matched, in words.' }) matched!: string;
  @Field(() => GraphQLJSON, { description: 'Each action: [{ index, type, outcome: queued | done | skipped | failed, reason, messageId }].' }) actions!: unknown;
  @Field(() => [ID], { description: 'The messages it queued.' }) outboundMessageIds!: string[];
  @Field(() => Date, { description: 'When it fired.' }) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When its actions were all carried out.' }) finishedAt!: Date | null;

  static from(row: RuleRunRow): RuleRun {
    return Object.assign(new RuleRun(), row, { actions: row.status === 'done' ? row.actions : [] });
  }
}

export const RuleRunConnection = Connection(RuleRun, 'RuleRun');
