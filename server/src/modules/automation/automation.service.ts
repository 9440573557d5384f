import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { ValidationError } from '../../lib/errors.js';
import type { Viewer } from '../auth/auth.viewer.js';
import type { InstanceService } from '../instances/instances.service.js';
import type { RuleTemplateService } from '../rule-templates/rule-templates.service.js';
import { automationRules, type AutomationRuleRow } from './automation.table.js';
import { fillVariables } from './rules.schema.js';

export class AutomationService {
  constructor(
    private readonly db: Database,
    private readonly instances: InstanceService,
    private readonly templates: RuleTemplateService,
  ) {}

  async listForInstance(viewer: Viewer, instanceId: string): Promise<AutomationRuleRow[]> {
    const instance = await this.instances.findOrFail(viewer, instanceId);
    return this.db.select().from(automationRules)
      .where(and(eq(automationRules.tenantId, instance.tenantId), eq(automationRules.instanceId, instance.id)))
      .orderBy(asc(automationRules.position));
  }

  /** Replaces the instance's rules with the template's, variables filled; all or nothing. */
  async applyTemplate(viewer: Viewer, input: { instanceId: string; ruleTemplateId: string; variables?: Record<string, string> | null }): Promise<AutomationRuleRow[]> {
    const instance = await this.instances.findOrFail(viewer, input.instanceId);
    const template = await this.templates.findOrFail(viewer, input.ruleTemplateId);
    const values = input.variables ?? {};
    if (typeof values !== 'object' || Array.isArray(values) || Object.values(values).some((v) => typeof v !== 'string')) {
      throw new ValidationError('variables: must be an object of strings, e.g. { "business_name": "Padaria Real" }', 'variables');
    }
    const rules = fillVariables(template.rules, template.variables, values);
    return this.db.transaction(async (tx) => {
      await tx.delete(automationRules).where(and(eq(automationRules.tenantId, instance.tenantId), eq(automationRules.instanceId, instance.id)));
      return tx.insert(automationRules).values(rules.map((rule, position) => ({
        tenantId: instance.tenantId,
        instanceId: instance.id,
        name: rule.name,
        position,
        trigger: rule.trigger,
        conditions: rule.conditions,
        actions: rule.actions,
        stop: rule.stop,
        ruleTemplateId: template.id,
        ruleTemplateVersion: template.version,
      }))).returning();
    });
  }
}
