import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Connection } from '../../graphql/connection.js';
import type { RuleSpec } from '../automation/rules.schema.js';
import type { RuleTemplateRow } from './rule-templates.table.js';

@ObjectType({ description: 'A variable a rule template declares, filled in when a client applies it.' })
export class RuleTemplateVariable {
  @Field(() => String, { description: 'Name used as {{name}} in the rules (snake_case).' })
  name!: string;

  @Field(() => String, { description: 'What the client should fill in.' })
  description!: string;

  @Field(() => Boolean, { description: 'Whether applying the template needs a value for it.' })
  required!: boolean;

  @Field(() => String, { nullable: true, description: 'Used when no value is given.' })
  default?: string | null;
}

@ObjectType({ description: 'A pre-configured rule set the operator publishes and clients apply to their instances.' })
export class RuleTemplate {
  @Field(() => ID, { description: 'The template id.' })
  id!: string;

  @Field(() => String, { description: 'Name shown to clients.' })
  name!: string;

  @Field(() => String, { description: 'What the template does.' })
  description!: string;

  @Field(() => Int, { description: 'Bumped on every update.' })
  version!: number;

  @Field(() => [RuleTemplateVariable], { description: 'Variables the client fills in.' })
  variables!: RuleTemplateVariable[];

  @Field(() => GraphQLJSON, { description: 'The rules: [{ name, trigger, action }] with {{variable}} placeholders.' })
  rules!: RuleSpec[];

  @Field(() => Date, { description: 'When the template was published.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the template was last changed.' })
  updatedAt!: Date;

  static from(row: RuleTemplateRow): RuleTemplate {
    return Object.assign(new RuleTemplate(), row);
  }
}

export const RuleTemplateConnection = Connection(RuleTemplate, 'RuleTemplate');
