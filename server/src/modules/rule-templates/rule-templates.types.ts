import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '../../graphql/connection.js';
import type { RuleHold } from '../automation/automation.replies.js';
import type { TemplateVariable } from './rule-templates.variables.js';
import type { RuleTemplateRow, RuleTemplateVersionRow } from './rule-templates.table.js';
import type { AppliedTemplate as Applied, UpgradePreview } from './rule-templates.apply.js';
import type { PreviewTurn } from './rule-templates.preview.js';

@ObjectType({ description: 'A variable a configuration template declares: the form a client fills is generated from its type.' })
export class RuleTemplateVariable {
  @Field(() => String, { description: 'Name used as {{name}} in the template (snake_case).' }) name!: string;
  @Field(() => String, { description: 'text, multiline, phone, url, email, money, time, weekly_hours or choice.' }) type!: string;
  @Field(() => String, { description: 'What the form calls it.' }) label!: string;
  @Field(() => String, { description: 'One line of help under the field.' }) help!: string;
  @Field(() => Boolean, { description: 'Whether applying the template needs a value (one with a default never does).' }) required!: boolean;
  @Field(() => GraphQLJSON, { nullable: true, description: 'An example value (also what the gallery preview uses when none is given).' }) example!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Used when no value is given.' }) default!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'choice: [{ value, label }].' }) options!: unknown;
  @Field(() => String, { nullable: true, description: 'phone: the country a number typed without its code is in (ISO, e.g. BR).' }) country!: string | null;

  static from(v: TemplateVariable): RuleTemplateVariable {
    return Object.assign(new RuleTemplateVariable(), { example: null, default: null, options: null, country: null }, v);
  }
}

@ObjectType({ description: 'One published version of a configuration template. It never changes: editing publishes the next.' })
export class RuleTemplateVersion {
  @Field(() => Int, { description: 'The version number, from 1.' }) version!: number;
  @Field(() => [RuleTemplateVariable], { description: 'Its variables.' }) variables!: RuleTemplateVariable[];
  @Field(() => GraphQLJSON, { description: 'What it configures: { rules, timezone?, businessHours?, handoffTimeoutHours?, replyLimitPerHour?, messageTemplates? }, with {{variable}} placeholders.' }) config!: unknown;
  @Field(() => GraphQLJSON, { description: 'Customer messages the gallery plays through the engine: [{ text | buttonId | listRowId | messageType, note }].' }) sampleMessages!: unknown;
  @Field(() => String, { description: 'What changed in this version.' }) notes!: string;
  @Field(() => Date, { description: 'When it was published.' }) createdAt!: Date;

  static from(row: RuleTemplateVersionRow): RuleTemplateVersion {
    return Object.assign(new RuleTemplateVersion(), row, { variables: row.variables.map(RuleTemplateVariable.from) });
  }
}

@ObjectType({ description: 'A configuration template: a pre-configured instance (rules, hours, handoff, Meta message templates) the operator publishes and clients pick, fill in and apply.' })
export class RuleTemplate {
  @Field(() => ID, { description: 'The template id.' }) id!: string;
  @Field(() => String, { description: 'Name shown to clients.' }) name!: string;
  @Field(() => String, { description: 'What the template does.' }) description!: string;
  @Field(() => String, { description: 'The language of its texts: pt-BR or en.' }) locale!: string;
  @Field(() => Int, { description: 'The latest published version.' }) latestVersion!: number;
  @Field(() => Int, { description: 'Same as latestVersion (kept for older clients).' }) version!: number;
  @Field(() => String, { description: 'all (every tenant sees it) or chosen (only the tenants it is published to).' }) visibility!: string;
  @Field(() => [RuleTemplateVariable], { description: "The latest version's variables." }) variables!: RuleTemplateVariable[];
  @Field(() => GraphQLJSON, { description: "The latest version's rules (its configuration's rules), with {{variable}} placeholders." }) rules!: unknown;
  @Field(() => GraphQLJSON, { description: "The latest version's configuration." }) config!: unknown;
  @Field(() => GraphQLJSON, { description: 'The Meta message templates its rules send: [{ name, language, category, components }]. Applying submits those the WABA lacks.' }) messageTemplates!: unknown;
  @Field(() => GraphQLJSON, { description: "The latest version's sample customer messages." }) sampleMessages!: unknown;
  @Field(() => ID, { nullable: true, description: 'The template it was cloned from.' }) clonedFromId!: string | null;
  @Field(() => Date, { description: 'When the template was created.' }) createdAt!: Date;
  @Field(() => Date, { description: 'When its latest version was published.' }) updatedAt!: Date;

  static from(row: RuleTemplateRow, latest: RuleTemplateVersionRow): RuleTemplate {
    return Object.assign(new RuleTemplate(), row, {
      version: row.latestVersion, variables: latest.variables.map(RuleTemplateVariable.from), rules: latest.config.rules, config: latest.config,
      messageTemplates: latest.config.messageTemplates ?? [], sampleMessages: latest.sampleMessages,
    });
  }
}

export const RuleTemplateConnection = Connection(RuleTemplate, 'RuleTemplate');

@ObjectType({ description: "A rule that does not fire yet: it sends a Meta template the WABA cannot send (not approved), and what to do." })
export class HeldRule {
  @Field(() => ID, { description: 'The rule.' }) ruleId!: string;
  @Field(() => String, { description: 'Its name.' }) ruleName!: string;
  @Field(() => String, { description: 'The Meta template it waits for.' }) template!: string;
  @Field(() => String, { description: "The template's language." }) language!: string;
  @Field(() => String, { description: "The template's status at Meta: PENDING, REJECTED, PAUSED, DISABLED or NOT_SUBMITTED." }) status!: string;
  @Field(() => String, { description: "Why the rule waits, with Meta's reason when it rejected the template." }) reason!: string;
  @Field(() => String, { description: 'What to do about it.' }) fix!: string;

  static from(h: RuleHold): HeldRule {
    return Object.assign(new HeldRule(), h);
  }
}

@ObjectType({ description: 'A Meta message template a configuration template needs, as the WABA has it.' })
export class AppliedMessageTemplate {
  @Field(() => String, { description: 'Its name.' }) name!: string;
  @Field(() => String, { description: 'Its language.' }) language!: string;
  @Field(() => String, { description: 'APPROVED, PENDING, REJECTED, ... or NOT_SUBMITTED.' }) status!: string;
  @Field(() => String, { nullable: true, description: "Meta's reason when it rejected it." }) rejectedReason!: string | null;
}

@ObjectType({ description: 'The configuration template an instance runs: which version, the values it was applied with, and the rules waiting on Meta.' })
export class AppliedTemplate {
  @Field(() => RuleTemplate, { description: 'The template.' }) template!: RuleTemplate;
  @Field(() => Int, { description: 'The version applied.' }) version!: number;
  @Field(() => GraphQLJSON, { description: 'The values it was applied with: { name: value }.' }) variables!: unknown;
  @Field(() => Date, { nullable: true, description: 'When it was applied.' }) appliedAt!: Date | null;
  @Field(() => [HeldRule], { description: "Rules waiting for Meta's approval of their template, or rejected, with the fix." }) heldRules!: HeldRule[];
  @Field(() => [AppliedMessageTemplate], { description: 'The Meta templates the configuration needs, with their status.' }) messageTemplates!: AppliedMessageTemplate[];
  @Field(() => Boolean, { description: 'Whether a newer version is published (templateUpgradePreview says what it changes).' }) upgradeAvailable!: boolean;

  static from(a: Applied, latest: RuleTemplateVersionRow): AppliedTemplate {
    return Object.assign(new AppliedTemplate(), {
      template: RuleTemplate.from(a.template, latest), version: a.version, variables: a.values, appliedAt: a.appliedAt,
      heldRules: a.heldRules.map(HeldRule.from), messageTemplates: a.messageTemplates.map((m) => Object.assign(new AppliedMessageTemplate(), m)),
      upgradeAvailable: a.template.latestVersion > a.version,
    });
  }
}

@ObjectType({ description: 'What taking the latest version of an applied template would change.' })
export class TemplateUpgradePreview {
  @Field(() => Int, { description: 'The version applied now.' }) fromVersion!: number;
  @Field(() => Int, { description: 'The latest version.' }) toVersion!: number;
  @Field(() => [String], { description: 'Rules the new version adds (by name).' }) rulesAdded!: string[];
  @Field(() => [String], { description: 'Rules it removes.' }) rulesRemoved!: string[];
  @Field(() => [String], { description: 'Rules it changes.' }) rulesChanged!: string[];
  @Field(() => [RuleTemplateVariable], { description: 'Variables it adds.' }) newVariables!: RuleTemplateVariable[];
  @Field(() => [String], { description: 'Required variables without a value yet: give them to upgradeInstanceTemplate.' }) missingValues!: string[];
  @Field(() => [String], { description: "The versions' notes since the one applied." }) notes!: string[];

  static from(p: UpgradePreview): TemplateUpgradePreview {
    return Object.assign(new TemplateUpgradePreview(), p, { newVariables: p.newVariables.map(RuleTemplateVariable.from) });
  }
}

@ObjectType({ description: 'One bubble of a preview conversation: what the customer wrote, or what the template would answer.' })
export class PreviewMessage {
  @Field(() => String, { description: 'customer or business.' }) from!: string;
  @Field(() => String, { description: 'text, interactive, template, image, document... (business), or the customer message type.' }) type!: string;
  @Field(() => String, { nullable: true, description: 'What is read: the text, the body, the caption, or the template rendered.' }) text!: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The message as it would go to Meta (buttons, list, media).' }) payload!: unknown;
  @Field(() => String, { nullable: true, description: 'The rule that sends it (business).' }) ruleName!: string | null;
  @Field(() => String, { nullable: true, description: "Why it would not go: window_closed, reply_limit, or what Meta would refuse; also 'handoff' when a rule hands the conversation to a person." }) note!: string | null;
}

@ObjectType({ description: "A configuration template's conversation with sample customer messages, played through the real engine without sending anything." })
export class TemplatePreview {
  @Field(() => Int, { description: 'The version previewed.' }) version!: number;
  @Field(() => [PreviewMessage], { description: 'The conversation, in order.' }) messages!: PreviewMessage[];

  static from(version: number, turns: PreviewTurn[]): TemplatePreview {
    return Object.assign(new TemplatePreview(), { version, messages: turns.map((t) => Object.assign(new PreviewMessage(), { payload: null, ruleName: null, note: null, text: null }, t)) });
  }
}
