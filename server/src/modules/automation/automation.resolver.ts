import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { CreateAutomationRuleInput, RuleRunFilter, TestAutomationRulesInput, UpdateAutomationRuleInput } from './automation.inputs.js';
import { AutomationReply, AutomationRule, AutomationTestResult, RuleRun, RuleRunConnection, RuleVerdict } from './automation.types.js';

@Resolver(() => AutomationRule)
export class AutomationResolver {
  @Mutation(() => AutomationRule, { description: 'Add a rule to an instance, last in evaluation order. The rule is validated whole; an error names the first bad path (input.actions[1].buttons[3]).' })
  async createAutomationRule(@Arg('input', () => CreateAutomationRuleInput, { description: 'The rule.' }) input: CreateAutomationRuleInput, @Ctx() { viewer, services }: AppContext) {
    return AutomationRule.from(await services.automation.create(viewer, input));
  }

  @Mutation(() => AutomationRule, { description: 'Change a rule; the result is validated whole.' })
  async updateAutomationRule(@Arg('input', () => UpdateAutomationRuleInput, { description: 'The rule and what changes.' }) input: UpdateAutomationRuleInput, @Ctx() { viewer, services }: AppContext) {
    return AutomationRule.from(await services.automation.update(viewer, input));
  }

  @Mutation(() => ID, { description: 'Delete a rule; its past runs go with it. Returns its id.' })
  async deleteAutomationRule(@Arg('id', () => ID, { description: 'The rule.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.automation.delete(viewer, id)).id;
  }

  @Mutation(() => [AutomationRule], { description: "Set the evaluation order of an instance's rules: every rule, once, first evaluated first." })
  async reorderAutomationRules(
    @Arg('instanceId', () => ID, { description: 'The instance.' }) instanceId: string,
    @Arg('ruleIds', () => [ID], { description: 'All its rules, in the new order.' }) ruleIds: string[],
    @Ctx() { viewer, services }: AppContext,
  ) {
    return (await services.automation.reorder(viewer, instanceId, ruleIds)).map(AutomationRule.from);
  }

  @Query(() => AutomationTestResult, { description: "A dry run: which of an instance's rules fire on a customer message and what they would reply. Nothing is sent or recorded." })
  async testAutomationRules(@Arg('input', () => TestAutomationRulesInput, { description: 'The message to try, and optionally who sends it and when.' }) input: TestAutomationRulesInput, @Ctx() { viewer, services }: AppContext) {
    const { evaluation, replies } = await services.automation.dryRun(viewer, input);
    return Object.assign(new AutomationTestResult(), { verdicts: evaluation.verdicts.map(RuleVerdict.from), replies: replies.map(AutomationReply.from) });
  }

  @Query(() => RuleRunConnection, { description: 'Runs of automation rules, newest first: what matched, what each action did, the messages queued.' })
  async ruleRuns(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => RuleRunFilter, { nullable: true, description: 'Narrows the list; every run the caller may see when absent.' }) filter: RuleRunFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.automation.runs(viewer, filter ?? {}, page), RuleRun.from);
  }
}
