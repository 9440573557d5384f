import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { ValidationError } from '../../lib/errors.js';
import { AutomationRule } from '../automation/automation.types.js';
import type { SampleMessage } from './rule-templates.config.js';
import {
  ApplyRuleTemplateInput, CreateRuleTemplateInput, PreviewRuleTemplateInput, PublishRuleTemplateVersionInput, RuleTemplateFilter,
  SetRuleTemplateVisibilityInput, UpdateRuleTemplateInput, UpgradeInstanceTemplateInput,
} from './rule-templates.inputs.js';
import { previewConversation } from './rule-templates.preview.js';
import type { RuleTemplateRow } from './rule-templates.table.js';
import { AppliedTemplate, RuleTemplate, RuleTemplateConnection, RuleTemplateVersion, TemplatePreview, TemplateUpgradePreview } from './rule-templates.types.js';
import { Instance } from '../instances/instances.types.js';

@Resolver(() => RuleTemplate)
export class RuleTemplateResolver {
  @Query(() => RuleTemplateConnection, { description: 'The configuration templates the caller may use (the gallery), newest first.' })
  async ruleTemplates(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => RuleTemplateFilter, { nullable: true, description: 'Narrows the list: language, search.' }) filter: RuleTemplateFilter | null, @Ctx() { viewer, services }: AppContext) {
    const result = await services.ruleTemplates.list(viewer, filter ?? {}, page);
    const latest = await Promise.all(result.nodes.map((t) => services.ruleTemplates.version(t)));
    return toConnection({ ...result, nodes: result.nodes.map((t, i) => ({ t, v: latest[i] })) }, ({ t, v }) => RuleTemplate.from(t, v));
  }

  @Query(() => RuleTemplate, { description: 'One configuration template.' })
  async ruleTemplate(@Arg('id', () => ID, { description: 'The template id.' }) id: string, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.findOrFail(ctx.viewer, id));
  }

  @FieldResolver(() => [RuleTemplateVersion], { description: 'Every published version, newest first.' })
  async versions(@Root() template: RuleTemplate, @Ctx() { services }: AppContext) {
    return (await services.ruleTemplates.versions(template.id)).map(RuleTemplateVersion.from);
  }

  @FieldResolver(() => [ID], { description: 'With visibility chosen: the tenants it is published to (operator; a tenant sees an empty list).' })
  async tenantIds(@Root() template: RuleTemplate, @Ctx() { viewer, services }: AppContext) {
    return viewer.kind === 'operator' ? services.ruleTemplates.tenantIds(template.id) : [];
  }

  @Mutation(() => RuleTemplate, { description: 'Create a configuration template with its first version (operator only).' })
  async createRuleTemplate(@Arg('input', () => CreateRuleTemplateInput, { description: 'The template: name, language, variables, configuration, samples.' }) input: CreateRuleTemplateInput, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.create(ctx.viewer, input));
  }

  @Mutation(() => RuleTemplate, { description: 'Publish the next version of a configuration template (operator only). Earlier versions never change.' })
  async publishRuleTemplateVersion(@Arg('input', () => PublishRuleTemplateVersionInput, { description: 'What the new version changes.' }) input: PublishRuleTemplateVersionInput, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.publishVersion(ctx.viewer, input));
  }

  @Mutation(() => RuleTemplate, { description: 'Legacy: change a rule template, which publishes its next version (operator only).' })
  async updateRuleTemplate(@Arg('input', () => UpdateRuleTemplateInput, { description: 'The template and what changes.' }) input: UpdateRuleTemplateInput, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.publishVersion(ctx.viewer, input));
  }

  @Mutation(() => RuleTemplate, { description: 'Start a new template from this one: its latest version becomes version 1 of the copy, published to no tenant yet (operator only).' })
  async cloneRuleTemplate(@Arg('id', () => ID, { description: 'The template to copy.' }) id: string, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.clone(ctx.viewer, id));
  }

  @Mutation(() => RuleTemplate, { description: 'Publish a template to every tenant, or to chosen ones (operator only).' })
  async setRuleTemplateVisibility(@Arg('input', () => SetRuleTemplateVisibilityInput, { description: 'all, or chosen with the tenants.' }) input: SetRuleTemplateVisibilityInput, @Ctx() ctx: AppContext) {
    return withLatest(ctx, await ctx.services.ruleTemplates.setVisibility(ctx.viewer, input));
  }

  @Mutation(() => [AutomationRule], { description: "Apply a configuration template to an instance: its rules replace an earlier template's (the instance's own rules stay, after them), its settings are written, and the Meta templates it needs are submitted. Returns the instance's rules, in order. Fails, changing nothing, on a missing or bad value." })
  async applyRuleTemplate(@Arg('input', () => ApplyRuleTemplateInput, { description: 'The instance, the template, its version and the values.' }) input: ApplyRuleTemplateInput, @Ctx() { viewer, services }: AppContext) {
    return (await services.templateApplications.apply(viewer, input)).map(AutomationRule.from);
  }

  @Query(() => TemplateUpgradePreview, { description: 'What taking the latest version of the template an instance runs would change: rules added, removed, changed; new variables.' })
  async templateUpgradePreview(@Arg('instanceId', () => ID, { description: 'The instance.' }) instanceId: string, @Ctx() { viewer, services }: AppContext) {
    return TemplateUpgradePreview.from(await services.templateApplications.upgradePreview(viewer, instanceId));
  }

  @Mutation(() => [AutomationRule], { description: 'Take the latest version of the template an instance runs, keeping the values already given.' })
  async upgradeInstanceTemplate(@Arg('input', () => UpgradeInstanceTemplateInput, { description: 'The instance, and values for new variables.' }) input: UpgradeInstanceTemplateInput, @Ctx() { viewer, services }: AppContext) {
    return (await services.templateApplications.upgrade(viewer, input)).map(AutomationRule.from);
  }

  @Mutation(() => [AutomationRule], { description: "Remove an instance's configuration template: its rules go, the instance's own rules and settings stay. Returns the rules left." })
  async unapplyRuleTemplate(@Arg('instanceId', () => ID, { description: 'The instance.' }) instanceId: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.templateApplications.unapply(viewer, instanceId)).map(AutomationRule.from);
  }

  @Query(() => TemplatePreview, { description: "Play customer messages (the template's own samples by default) through the real engine with the template filled in, sending nothing: the conversation the gallery shows." })
  async previewRuleTemplate(@Arg('input', () => PreviewRuleTemplateInput, { description: 'The template, its version, values, and the messages.' }) input: PreviewRuleTemplateInput, @Ctx() { viewer, services }: AppContext) {
    const template = await services.ruleTemplates.findOrFail(viewer, input.ruleTemplateId);
    const version = await services.ruleTemplates.version(template, input.version);
    const at = input.at ?? new Date();
    return TemplatePreview.from(version.version, previewConversation(template, version, input.variables ?? {}, input.messages == null ? null : parseMessages(input.messages), at));
  }
}

async function withLatest({ services }: AppContext, template: RuleTemplateRow): Promise<RuleTemplate> {
  return RuleTemplate.from(template, await services.ruleTemplates.version(template));
}

function parseMessages(value: unknown): SampleMessage[] {
  if (!Array.isArray(value) || value.length > 20) throw new ValidationError('input.messages: must be an array of at most 20 messages', 'input.messages');
  return value.map((m, i) => {
    if (typeof m === 'string') return { text: m };
    if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
      const s = m as Record<string, unknown>;
      const text = (key: string) => (typeof s[key] === 'string' ? (s[key] as string).slice(0, 4096) : undefined);
      return { text: text('text'), buttonId: text('buttonId'), listRowId: text('listRowId'), messageType: text('messageType') };
    }
    throw new ValidationError(`input.messages[${i}]: must be a text or { text, buttonId, listRowId, messageType }`, `input.messages[${i}]`);
  });
}

@Resolver(() => Instance)
export class InstanceTemplateResolver {
  @FieldResolver(() => AppliedTemplate, { nullable: true, description: 'The configuration template it runs: version, values, rules waiting on Meta, and whether a newer version is out.' })
  async appliedTemplate(@Root() instance: Instance, @Ctx() { viewer, services }: AppContext) {
    const row = await services.instances.findOrFail(viewer, instance.id);
    const applied = await services.templateApplications.applied(viewer, row);
    return applied ? AppliedTemplate.from(applied, await services.ruleTemplates.version(applied.template)) : null;
  }
}
