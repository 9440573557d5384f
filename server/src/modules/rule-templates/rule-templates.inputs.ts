import { Field, ID, InputType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

@InputType({ description: 'A variable of a rule template.' })
export class RuleTemplateVariableInput {
  @Field(() => String, { description: 'snake_case name, used as {{name}} in the rules.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the client should fill in.' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether a value is needed (default true).' })
  required?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Used when no value is given.' })
  default?: string | null;
}

@InputType({ description: 'A new rule template.' })
export class CreateRuleTemplateInput {
  @Field(() => String, { description: 'Name shown to clients.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the template does.' })
  description?: string | null;

  @Field(() => [RuleTemplateVariableInput], { nullable: true, description: 'Variables the rules use.' })
  variables?: RuleTemplateVariableInput[] | null;

  @Field(() => GraphQLJSON, { description: 'The rules, validated: [{ name, trigger: { type, ... }, action: { type, ... } }].' })
  rules!: unknown;
}

@InputType({ description: 'Changes to a rule template; the version is bumped.' })
export class UpdateRuleTemplateInput {
  @Field(() => ID, { description: 'The template to change.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description.' })
  description?: string | null;

  @Field(() => [RuleTemplateVariableInput], { nullable: true, description: 'New variables.' })
  variables?: RuleTemplateVariableInput[] | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'New rules.' })
  rules?: unknown;
}

@InputType({ description: 'Filters for the rule template list.' })
export class RuleTemplateFilter {
  @Field(() => String, { nullable: true, description: 'Only templates whose name contains this text.' })
  nameContains?: string | null;
}
