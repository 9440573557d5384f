import { Field, ID, InputType, Int } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

@InputType({ description: 'A new configuration template (operator). Its first version is published with it.' })
export class CreateRuleTemplateInput {
  @Field(() => String, { description: 'Name shown to clients.' }) name!: string;
  @Field(() => String, { nullable: true, description: 'What the template does.' }) description?: string | null;
  @Field(() => String, { nullable: true, description: 'The language of its texts: pt-BR (default) or en.' }) locale?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Typed variables: [{ name, type, label, help, example, default, required, options }].' }) variables?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'What it configures: { rules, timezone?, businessHours?, handoffTimeoutHours?, replyLimitPerHour?, messageTemplates? }.' }) config?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Legacy: the rules alone (the configuration is then { rules }).' }) rules?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Sample customer messages for the preview.' }) sampleMessages?: unknown;
  @Field(() => String, { nullable: true, description: 'all (default) or chosen.' }) visibility?: string | null;
  @Field(() => [ID], { nullable: true, description: 'With visibility chosen: the tenants it is published to.' }) tenantIds?: string[] | null;
}

@InputType({ description: 'The next version of a configuration template (operator): the parts given replace the latest version\'s, the rest is kept.' })
export class PublishRuleTemplateVersionInput {
  @Field(() => ID, { description: 'The template.' }) id!: string;
  @Field(() => String, { nullable: true, description: 'New name.' }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' }) description?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'New variables.' }) variables?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'New configuration.' }) config?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Legacy: new rules alone.' }) rules?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'New sample messages.' }) sampleMessages?: unknown;
  @Field(() => String, { nullable: true, description: 'What changed (shown with the upgrade offer).' }) notes?: string | null;
}

@InputType({ description: 'Legacy: changes to a rule template (publishes its next version).' })
export class UpdateRuleTemplateInput {
  @Field(() => ID, { description: 'The template to change.' }) id!: string;
  @Field(() => String, { nullable: true, description: 'New name.' }) name?: string | null;
  @Field(() => String, { nullable: true, description: 'New description.' }) description?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'New variables.' }) variables?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'New rules.' }) rules?: unknown;
}

@InputType({ description: 'Who sees a configuration template.' })
export class SetRuleTemplateVisibilityInput {
  @Field(() => ID, { description: 'The template.' }) id!: string;
  @Field(() => String, { description: 'all, or chosen (only tenantIds).' }) visibility!: string;
  @Field(() => [ID], { nullable: true, description: 'With chosen: the tenants.' }) tenantIds?: string[] | null;
}

@InputType({ description: 'Filters for the template gallery.' })
export class RuleTemplateFilter {
  @Field(() => String, { nullable: true, description: 'Only this language: pt-BR or en.' }) locale?: string | null;
  @Field(() => String, { nullable: true, description: 'Name or description contains this.' }) search?: string | null;
  @Field(() => String, { nullable: true, description: 'Legacy: name contains this.' }) nameContains?: string | null;
}

@InputType({ description: 'Apply a configuration template to an instance: its rules replace those of an earlier template, the instance\'s own rules stay after them.' })
export class ApplyRuleTemplateInput {
  @Field(() => ID, { description: 'The instance to configure.' }) instanceId!: string;
  @Field(() => ID, { description: 'The template.' }) ruleTemplateId!: string;
  @Field(() => Int, { nullable: true, description: 'The version (the latest when absent).' }) version?: number | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values of its variables: { name: value }, each checked against its type.' }) variables?: Record<string, unknown> | null;
}

@InputType({ description: 'Take the latest version of the template an instance runs.' })
export class UpgradeInstanceTemplateInput {
  @Field(() => ID, { description: 'The instance.' }) instanceId!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values for new variables, or to change given ones; the others are kept.' }) variables?: Record<string, unknown> | null;
}

@InputType({ description: 'Play customer messages through a configuration template, sending nothing.' })
export class PreviewRuleTemplateInput {
  @Field(() => ID, { description: 'The template.' }) ruleTemplateId!: string;
  @Field(() => Int, { nullable: true, description: 'The version (the latest when absent).' }) version?: number | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Values of its variables; examples stand in for the missing ones.' }) variables?: Record<string, unknown> | null;
  @Field(() => GraphQLJSON, { nullable: true, description: "Customer messages: [text | { text, buttonId, listRowId, messageType }]; the template's own samples when absent." }) messages?: unknown;
  @Field(() => Date, { nullable: true, description: 'When the conversation happens (business hours); now when absent.' }) at?: Date | null;
}
