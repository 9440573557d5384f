import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { CreateRuleTemplateInput, RuleTemplateFilter, UpdateRuleTemplateInput } from './rule-templates.inputs.js';
import { RuleTemplate, RuleTemplateConnection } from './rule-templates.types.js';

@Resolver(() => RuleTemplate)
export class RuleTemplateResolver {
  @Query(() => RuleTemplateConnection, { description: "The operator's published rule templates, newest first." })
  async ruleTemplates(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => RuleTemplateFilter, { nullable: true, description: 'Narrows the list; all published templates when absent.' }) filter: RuleTemplateFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.ruleTemplates.list(viewer, filter ?? {}, page), RuleTemplate.from);
  }

  @Query(() => RuleTemplate, { description: 'One rule template by id.' })
  async ruleTemplate(@Arg('id', () => ID, { description: 'The rule template id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return RuleTemplate.from(await services.ruleTemplates.findOrFail(viewer, id));
  }

  @Mutation(() => RuleTemplate, { description: 'Publish a rule template (operator only).' })
  async createRuleTemplate(@Arg('input', () => CreateRuleTemplateInput, { description: 'The template: name, variables and rules.' }) input: CreateRuleTemplateInput, @Ctx() { viewer, services }: AppContext) {
    return RuleTemplate.from(await services.ruleTemplates.create(viewer, input));
  }

  @Mutation(() => RuleTemplate, { description: 'Change a rule template and bump its version (operator only).' })
  async updateRuleTemplate(@Arg('input', () => UpdateRuleTemplateInput, { description: 'The template and what changes; its version goes up by one.' }) input: UpdateRuleTemplateInput, @Ctx() { viewer, services }: AppContext) {
    return RuleTemplate.from(await services.ruleTemplates.update(viewer, input));
  }
}
