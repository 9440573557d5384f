import { Field, ID, InputType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';

@InputType({ description: "Apply a rule template to an instance: its rules replace the instance's rules." })
export class ApplyRuleTemplateInput {
  @Field(() => ID, { description: 'The instance to configure.' })
  instanceId!: string;

  @Field(() => ID, { description: 'The rule template to apply.' })
  ruleTemplateId!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Values of the template variables: { name: "value" }.' })
  variables?: Record<string, string> | null;
}
