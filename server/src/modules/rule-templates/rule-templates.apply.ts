import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { ValidationError } from '../../lib/errors.js';
import { canonicalJson } from '../outbound/outbound.content.js';
import type { Viewer } from '../auth/auth.viewer.js';
import type { InstanceService } from '../instances/instances.service.js';
import { instances, type InstanceRow } from '../instances/instances.table.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import type { MessageTemplateService } from '../message-templates/message-templates.service.js';
import { messageTemplates } from '../message-templates/message-templates.table.js';
import { automationRules, type AutomationRuleRow } from '../automation/automation.table.js';
import { ruleHolds, type RuleHold } from '../automation/automation.replies.js';
import { fillConfig, type FilledConfig } from './rule-templates.config.js';
import { resolveValues, type TemplateVariable, type VariableValue } from './rule-templates.variables.js';
import type { RuleTemplateService } from './rule-templates.service.js';
import type { RuleTemplateRow, RuleTemplateVersionRow } from './rule-templates.table.js';

// Applying a configuration template to an instance, and living with it: the template's rules
// replace the rules an earlier template put there (the instance's own rules stay, after them),
// its settings are written, the Meta message templates its rules send are submitted to the WABA,
// and the instance records the template, the version and the values. A newer version can be
// previewed (what changes) and taken, keeping the values given; the template can be removed.

export interface AppliedTemplate {
  template: RuleTemplateRow;
  version: number;
  values: Record<string, unknown>;
  appliedAt: Date | null;
  heldRules: RuleHold[];
  messageTemplates: { name: string; language: string; status: string; rejectedReason: string | null }[];
}

export interface UpgradePreview {
  fromVersion: number;
  toVersion: number;
  rulesAdded: string[];
  rulesRemoved: string[];
  rulesChanged: string[];
  newVariables: TemplateVariable[];
  /** New required variables without a default: upgrading needs a value for each. */
  missingValues: string[];
  notes: string[];
}

export class TemplateApplicationService {
  constructor(
    private readonly db: Database,
    private readonly templates: RuleTemplateService,
    private readonly instanceService: InstanceService,
    private readonly phoneNumbers: PhoneNumberService,
    private readonly messageTemplateService: MessageTemplateService,
  ) {}

  /** Applies a version (the latest when absent); all or nothing for what is in Postgres. Returns the instance's rules, in order. */
  async apply(viewer: Viewer, input: { instanceId: string; ruleTemplateId: string; version?: number | null; variables?: Record<string, unknown> | null }): Promise<AutomationRuleRow[]> {
    const instance = await this.instanceService.findOrFail(viewer, input.instanceId);
    const template = await this.templates.findOrFail(viewer, input.ruleTemplateId);
    const version = await this.templates.version(template, input.version);
    const values = resolveValues(version.variables, input.variables ?? {});
    const filled = fillConfig(version.config, version.variables, values, template.locale);
    await this.write(instance, template, version, values, filled);
    await this.submitTemplates(viewer, instance, filled);
    return this.rulesOf(instance);
  }

  /** What taking the latest version would change for this instance, with the values it was applied with. */
  async upgradePreview(viewer: Viewer, instanceId: string): Promise<UpgradePreview> {
    const { instance, template, current, latest } = await this.appliedVersions(viewer, instanceId);
    const given = instance.appliedVariables ?? {};
    const before = this.fillLeniently(template, current, given);
    const after = this.fillLeniently(template, latest, given);
    const byName = (rules: FilledConfig['rules']) => new Map(rules.map((r) => [r.name, canonicalJson(r)]));
    const [old, fresh] = [byName(before.rules), byName(after.rules)];
    const known = new Set(current.variables.map((v) => v.name));
    const newVariables = latest.variables.filter((v) => !known.has(v.name));
    const notes = (await this.templates.versions(template.id)).filter((v) => v.version > current.version && v.notes).map((v) => `v${v.version}: ${v.notes}`).reverse();
    return {
      fromVersion: current.version, toVersion: latest.version,
      rulesAdded: [...fresh.keys()].filter((n) => !old.has(n)),
      rulesRemoved: [...old.keys()].filter((n) => !fresh.has(n)),
      rulesChanged: [...fresh.keys()].filter((n) => old.has(n) && old.get(n) !== fresh.get(n)),
      newVariables,
      missingValues: latest.variables.filter((v) => v.required && v.default === undefined && (given[v.name] === undefined || given[v.name] === null)).map((v) => v.name),
      notes,
    };
  }

  /** Takes the latest version, keeping the values already given (those of variables it still has); `variables` adds or changes some. */
  async upgrade(viewer: Viewer, input: { instanceId: string; variables?: Record<string, unknown> | null }): Promise<AutomationRuleRow[]> {
    const { instance, template, latest } = await this.appliedVersions(viewer, input.instanceId);
    const kept = Object.fromEntries(Object.entries(instance.appliedVariables ?? {}).filter(([name]) => latest.variables.some((v) => v.name === name)));
    return this.apply(viewer, { instanceId: instance.id, ruleTemplateId: template.id, version: latest.version, variables: { ...kept, ...(input.variables ?? {}) } });
  }

  /** Removes the template's rules and its record; the instance's own rules and settings stay. */
  async unapply(viewer: Viewer, instanceId: string): Promise<AutomationRuleRow[]> {
    const instance = await this.instanceService.findOrFail(viewer, instanceId);
    await this.db.transaction(async (tx) => {
      // The instance row first, as apply takes it: the same order, so the two never deadlock.
      await tx.select({ id: instances.id }).from(instances).where(eq(instances.id, instance.id)).for('update');
      await tx.delete(automationRules).where(and(eq(automationRules.instanceId, instance.id), eq(automationRules.tenantId, instance.tenantId), isNotNull(automationRules.ruleTemplateId)));
      await tx.update(instances).set({ appliedTemplateId: null, appliedTemplateVersion: null, appliedVariables: null, appliedAt: null }).where(eq(instances.id, instance.id));
    });
    return this.rulesOf(instance);
  }

  /** The template an instance runs, with the rules waiting on Meta (held) and its message templates' states. */
  async applied(viewer: Viewer, instance: InstanceRow): Promise<AppliedTemplate | null> {
    if (!instance.appliedTemplateId || instance.appliedTemplateVersion === null) return null;
    const template = await this.templates.findOrFail(viewer, instance.appliedTemplateId).catch(() => null);
    if (!template) return null;
    const version = await this.templates.version(template, instance.appliedTemplateVersion).catch(() => null);
    const rules = await this.rulesOf(instance);
    const number = await this.phoneNumbers.findOrFail(viewer, instance.phoneNumberId);
    const mirrored = await this.db.select().from(messageTemplates).where(and(eq(messageTemplates.wabaId, number.wabaId), eq(messageTemplates.tenantId, instance.tenantId)));
    const wanted = version?.config.messageTemplates ?? [];
    return {
      template, version: instance.appliedTemplateVersion, values: instance.appliedVariables ?? {}, appliedAt: instance.appliedAt,
      heldRules: ruleHolds(rules, new Map(mirrored.map((t) => [`${t.name}|${t.language}`, t]))),
      messageTemplates: wanted.map((w) => {
        const t = mirrored.find((m) => m.name === w.name && m.language === w.language);
        return { name: w.name, language: w.language, status: t?.status ?? 'NOT_SUBMITTED', rejectedReason: t?.rejectedReason ?? null };
      }),
    };
  }

  private async write(instance: InstanceRow, template: RuleTemplateRow, version: RuleTemplateVersionRow, values: Record<string, VariableValue>, filled: FilledConfig): Promise<void> {
    await this.db.transaction(async (tx) => {
      // The instance row locked: two applications at once end with one template's rules, not a mix.
      await tx.select({ id: instances.id }).from(instances).where(eq(instances.id, instance.id)).for('update');
      await tx.delete(automationRules).where(and(eq(automationRules.instanceId, instance.id), eq(automationRules.tenantId, instance.tenantId), isNotNull(automationRules.ruleTemplateId)));
      // The template's rules first, the instance's own after them, in their order.
      await tx.update(automationRules).set({ position: sql`${automationRules.position} + ${filled.rules.length}` })
        .where(and(eq(automationRules.instanceId, instance.id), eq(automationRules.tenantId, instance.tenantId)));
      if (filled.rules.length > 0) {
        await tx.insert(automationRules).values(filled.rules.map((rule, position) => ({
          tenantId: instance.tenantId, instanceId: instance.id, position, name: rule.name, trigger: rule.trigger, conditions: rule.conditions,
          actions: rule.actions, stop: rule.stop, ruleTemplateId: template.id, ruleTemplateVersion: version.version,
        })));
      }
      await tx.update(instances).set({
        ...(filled.timezone ? { timezone: filled.timezone } : {}),
        ...(filled.businessHours !== undefined ? { businessHours: filled.businessHours } : {}),
        ...(filled.handoffTimeoutHours !== null ? { handoffTimeoutHours: filled.handoffTimeoutHours } : {}),
        ...(filled.replyLimitPerHour !== null ? { replyLimitPerHour: filled.replyLimitPerHour } : {}),
        appliedTemplateId: template.id, appliedTemplateVersion: version.version, appliedVariables: values as Record<string, unknown>, appliedAt: new Date(),
      }).where(eq(instances.id, instance.id));
    });
  }

  /**
   * The Meta message templates the rules send, submitted to the WABA where missing. After the
   * commit (a network call is not held in a transaction); a rule whose template is not APPROVED
   * waits (held) until Meta's status webhook says it is.
   */
  private async submitTemplates(viewer: Viewer, instance: InstanceRow, filled: FilledConfig): Promise<void> {
    if (filled.messageTemplates.length === 0) return;
    const number = await this.phoneNumbers.findOrFail(viewer, instance.phoneNumberId);
    await this.messageTemplateService.submitMissing(number, filled.messageTemplates);
  }

  private async rulesOf(instance: InstanceRow): Promise<AutomationRuleRow[]> {
    return this.db.select().from(automationRules).where(and(eq(automationRules.instanceId, instance.id), eq(automationRules.tenantId, instance.tenantId)))
      .orderBy(asc(automationRules.position), asc(automationRules.createdAt));
  }

  private async appliedVersions(viewer: Viewer, instanceId: string) {
    const instance = await this.instanceService.findOrFail(viewer, instanceId);
    if (!instance.appliedTemplateId || instance.appliedTemplateVersion === null) throw new ValidationError('instanceId: no configuration template is applied to this instance', 'instanceId');
    const template = await this.templates.findOrFail(viewer, instance.appliedTemplateId);
    const [current, latest] = await Promise.all([this.templates.version(template, instance.appliedTemplateVersion), this.templates.version(template)]);
    return { instance, template, current, latest };
  }

  /** A version filled with given values, examples where a value is missing (a preview of what an upgrade would write). */
  private fillLeniently(template: RuleTemplateRow, version: RuleTemplateVersionRow, given: Record<string, unknown>): FilledConfig {
    const values: Record<string, VariableValue> = {};
    for (const v of version.variables) {
      const value = given[v.name] ?? v.default ?? v.example;
      if (value !== undefined && value !== null) values[v.name] = value as VariableValue;
    }
    return fillConfig(version.config, version.variables, values, template.locale, 'config', { lenient: true });
  }
}
