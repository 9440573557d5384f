import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { ApplyRuleTemplateInput } from './automation.inputs.js';
import { AutomationRule } from './automation.types.js';

@Resolver(() => AutomationRule)
export class AutomationResolver {
  @Mutation(() => [AutomationRule], { description: "Apply a rule template to an instance, replacing its rules. Fails, changing nothing, when a required variable is missing." })
  async applyRuleTemplate(@Arg('input', () => ApplyRuleTemplateInput, { description: 'The instance, the template and its variables.' }) input: ApplyRuleTemplateInput, @Ctx() { viewer, services }: AppContext) {
    return (await services.automation.applyTemplate(viewer, input)).map(AutomationRule.from);
  }
}
