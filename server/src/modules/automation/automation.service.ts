import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, type Page, type PageRequest } from '../../lib/pagination.js';
import { isUuid } from '../../lib/sql.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { contacts } from '../contacts/contacts.table.js';
import type { InstanceService } from '../instances/instances.service.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { parseBusinessHours } from '../instances/instances.business-hours.js';
import { evaluateRules, type EngineContact, type Evaluation, type PlannedAction } from './automation.engine.js';
import { ruleHolds, templatesFor, tryReplyContent } from './automation.replies.js';
import { automationRules, ruleRuns, type AutomationRuleRow, type RuleRunRow } from './automation.table.js';
import { isReplyAction, parseRule, type RuleSpec } from './rules.schema.js';

/** A rule with how often it ran, for the editor's list. */
export type RuleWithStats = AutomationRuleRow & { runCount: number; lastRunAt: Date | null };

export interface RuleFields {
  name?: string | null;
  trigger?: unknown;
  conditions?: unknown;
  actions?: unknown;
  action?: unknown;
  stop?: boolean | null;
  enabled?: boolean | null;
}

export interface DryRunInput {
  instanceId: string;
  text?: string | null;
  buttonId?: string | null;
  listRowId?: string | null;
  messageType?: string | null;
  contactWaId?: string | null;
  at?: Date | null;
}

/** One reply of a dry run, as it would be sent (or why it would not). */
export interface DryRunReply {
  ruleId: string;
  ruleName: string;
  action: PlannedAction;
  payload: unknown | null;
  text: string | null;
  problem: string | null;
}

const WINDOW_MS = 24 * 3600 * 1000;

// An instance's automation rules: written and read through the API (each write parsed by
// rules.schema.ts, the first bad path named), run by the worker (automation.runner.ts), and tried
// without sending anything (dryRun) by the same engine.
export class AutomationService {
  constructor(
    private readonly db: Database,
    private readonly instances: InstanceService,
  ) {}

  async listForInstance(viewer: Viewer, instanceId: string): Promise<RuleWithStats[]> {
    const instance = await this.instances.findOrFail(viewer, instanceId);
    const rules = await this.db.select().from(automationRules)
      .where(and(eq(automationRules.tenantId, instance.tenantId), eq(automationRules.instanceId, instance.id)))
      .orderBy(asc(automationRules.position), asc(automationRules.createdAt));
    return this.withStats(rules);
  }

  async findOrFail(viewer: Viewer, id: string): Promise<AutomationRuleRow> {
    return findScopedOrFail(this.db, automationRules, 'AutomationRule', viewer, id);
  }

  async create(viewer: Viewer, input: RuleFields & { instanceId: string; name: string }): Promise<RuleWithStats> {
    const instance = await this.instances.findOrFail(viewer, input.instanceId);
    const spec = parseRule({ name: input.name, trigger: input.trigger, conditions: input.conditions ?? [], ...actionsOf(input), stop: input.stop ?? true }, 'input');
    const [row] = await this.db.insert(automationRules).values({
      tenantId: instance.tenantId, instanceId: instance.id, ...columnsOf(spec), enabled: input.enabled ?? true,
      // Last in evaluation order: a new rule never takes over what the existing ones answer.
      position: sql`(select coalesce(max(${automationRules.position}) + 1, 0) from ${automationRules} where ${automationRules.instanceId} = ${instance.id})`,
    }).returning();
    return (await this.withStats([row]))[0];
  }

  async update(viewer: Viewer, input: RuleFields & { id: string }): Promise<RuleWithStats> {
    const existing = await this.findOrFail(viewer, input.id);
    const given = actionsOf(input);
    const spec = parseRule({
      name: input.name ?? existing.name,
      trigger: input.trigger ?? existing.trigger,
      conditions: input.conditions ?? existing.conditions,
      ...(Object.keys(given).length > 0 ? given : { actions: existing.actions }),
      stop: input.stop ?? existing.stop,
    }, 'input');
    const [row] = await this.db.update(automationRules).set({ ...columnsOf(spec), enabled: input.enabled ?? existing.enabled })
      .where(and(eq(automationRules.id, existing.id), eq(automationRules.tenantId, existing.tenantId))).returning();
    return (await this.withStats([row]))[0];
  }

  async delete(viewer: Viewer, id: string): Promise<AutomationRuleRow> {
    const existing = await this.findOrFail(viewer, id);
    await this.db.delete(automationRules).where(and(eq(automationRules.id, existing.id), eq(automationRules.tenantId, existing.tenantId)));
    return existing;
  }

  /** Sets the evaluation order: `ruleIds` must name every rule of the instance, once each. */
  async reorder(viewer: Viewer, instanceId: string, ruleIds: string[]): Promise<RuleWithStats[]> {
    const instance = await this.instances.findOrFail(viewer, instanceId);
    const current = await this.db.select({ id: automationRules.id }).from(automationRules)
      .where(and(eq(automationRules.tenantId, instance.tenantId), eq(automationRules.instanceId, instance.id)));
    const known = new Set(current.map((r) => r.id));
    const given = new Set(ruleIds);
    if (given.size !== ruleIds.length) throw new ValidationError('ruleIds: a rule is named twice', 'ruleIds');
    const unknown = ruleIds.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new ValidationError(`ruleIds: not rules of this instance: ${unknown.join(', ')}`, 'ruleIds', { unknown });
    const missing = [...known].filter((id) => !given.has(id));
    if (missing.length > 0) throw new ValidationError(`ruleIds: every rule of the instance must be listed; missing ${missing.join(', ')}`, 'ruleIds', { missing });
    await this.db.transaction(async (tx) => {
      for (const [position, id] of ruleIds.entries()) {
        await tx.update(automationRules).set({ position }).where(and(eq(automationRules.id, id), eq(automationRules.tenantId, instance.tenantId)));
      }
    });
    return this.listForInstance(viewer, instanceId);
  }

  /**
   * A dry run: what the instance's rules would do with this customer message, sending nothing.
   * The same engine as the worker, with the contact's real state when `contactWaId` names one
   * (tags, handoff, first message, replies this hour), else a customer writing for the first time.
   */
  async dryRun(viewer: Viewer, input: DryRunInput): Promise<{ evaluation: Evaluation; replies: DryRunReply[] }> {
    const instance = await this.instances.findOrFail(viewer, input.instanceId);
    const rules = await this.listForInstance(viewer, instance.id);
    const [number] = await this.db.select().from(phoneNumbers).where(eq(phoneNumbers.id, instance.phoneNumberId));
    const at = input.at ?? new Date();
    if (Number.isNaN(at.getTime())) throw new ValidationError('at: not a date', 'at');
    const messageType = input.messageType ?? (input.buttonId || input.listRowId ? 'interactive' : 'text');
    const contact = input.contactWaId ? await this.contactState(instance.tenantId, instance.phoneNumberId, input.contactWaId.replace(/\D/g, ''), rules) : null;
    const templates = await templatesFor(this.db, instance.tenantId, number.wabaId, rules.flatMap((r) => r.actions));
    const holds = new Map(ruleHolds(rules, templates).map((h) => [h.ruleId, h]));
    const evaluation = evaluateRules({
      rules: rules.map((r) => ({ id: r.id, name: r.name, enabled: r.enabled && !holds.has(r.id), trigger: r.trigger, conditions: r.conditions, actions: r.actions, stop: r.stop })),
      message: { type: messageType, text: input.text ?? null, buttonId: input.buttonId ?? null, listRowId: input.listRowId ?? null, sentAt: at },
      contact: contact?.engine ?? { name: null, tags: [], inHandoff: false, isFirstMessage: true, lastRunAtByRule: {}, automatedRepliesLastHour: 0 },
      instance: { name: instance.name, timezone: instance.timezone, businessHours: parseBusinessHours(instance.businessHours, 'businessHours') },
      now: at,
      // A customer writing now opens the window; a known contact's window is what it is.
      windowOpen: contact ? contact.lastInboundAt !== null && at.getTime() - contact.lastInboundAt.getTime() < WINDOW_MS : true,
      replyLimitPerHour: instance.replyLimitPerHour,
    });
    // A held rule is not disabled: say why it waits.
    for (const verdict of evaluation.verdicts) {
      const hold = holds.get(verdict.ruleId);
      if (hold && verdict.outcome === 'disabled') Object.assign(verdict, { outcome: 'held', reason: `held: ${hold.reason}` });
    }
    const replies = evaluation.fired.flatMap((fired) => fired.actions.filter((a) => isReplyAction(a.action)).map((planned): DryRunReply => {
      const built = tryReplyContent(planned, templates);
      return {
        ruleId: fired.rule.id, ruleName: fired.rule.name, action: planned,
        payload: built && 'content' in built ? built.content.payload : null,
        text: built && 'content' in built ? built.content.text : (planned.rendered?.text ?? null),
        problem: built && 'problem' in built ? built.problem : null,
      };
    }));
    return { evaluation, replies };
  }

  /** Runs, newest first; a tenant sees its own. */
  async runs(viewer: Viewer, filter: { instanceId?: string | null; ruleId?: string | null; contactId?: string | null }, page: PageRequest): Promise<Page<RuleRunRow>> {
    for (const [field, value] of Object.entries(filter)) if (value && !isUuid(value)) throw new NotFoundError(field === 'ruleId' ? 'AutomationRule' : field === 'contactId' ? 'Contact' : 'Instance', value);
    const scope = tenantScope(viewer);
    return paginate(this.db, ruleRuns, and(
      scope ? eq(ruleRuns.tenantId, scope) : undefined,
      filter.instanceId ? eq(ruleRuns.instanceId, filter.instanceId) : undefined,
      filter.ruleId ? eq(ruleRuns.ruleId, filter.ruleId) : undefined,
      filter.contactId ? eq(ruleRuns.contactId, filter.contactId) : undefined,
    ), page);
  }

  /** The runs of inbound messages ("answered by rule «Cardápio»"), for the conversation view. */
  async runsOfMessages(tenantId: string, messageIds: string[]): Promise<RuleRunRow[]> {
    if (messageIds.length === 0) return [];
    return this.db.select().from(ruleRuns).where(and(eq(ruleRuns.tenantId, tenantId), inArray(ruleRuns.messageId, messageIds))).orderBy(asc(ruleRuns.createdAt));
  }

  private async contactState(tenantId: string, phoneNumberRowId: string, waId: string, rules: AutomationRuleRow[]): Promise<{ engine: EngineContact; lastInboundAt: Date | null } | null> {
    const [contact] = await this.db.select().from(contacts).where(and(eq(contacts.tenantId, tenantId), eq(contacts.phoneNumberId, phoneNumberRowId), eq(contacts.waId, waId)));
    if (!contact) return null;
    const [stats] = await this.db.execute<{ replies: number; inbound: number }>(sql`
      select (select count(*) from messages where tenant_id = ${tenantId} and contact_id = ${contact.id} and direction = 'outbound' and automation_rule_id is not null and created_at > now() - interval '1 hour')::int as replies,
             (select count(*) from messages where tenant_id = ${tenantId} and contact_id = ${contact.id} and direction = 'inbound')::int as inbound`);
    const lastRuns = rules.length === 0 ? [] : await this.db.select({ ruleId: ruleRuns.ruleId, at: sql<string>`max(${ruleRuns.createdAt})` }).from(ruleRuns)
      .where(and(eq(ruleRuns.contactId, contact.id), inArray(ruleRuns.ruleId, rules.map((r) => r.id)))).groupBy(ruleRuns.ruleId);
    const now = Date.now();
    return {
      lastInboundAt: contact.lastInboundAt ? new Date(contact.lastInboundAt) : null,
      engine: {
        name: contact.name, tags: contact.tags,
        inHandoff: contact.handoffStartedAt !== null && (contact.handoffExpiresAt === null || new Date(contact.handoffExpiresAt).getTime() > now),
        isFirstMessage: stats.inbound === 0, automatedRepliesLastHour: stats.replies,
        lastRunAtByRule: Object.fromEntries(lastRuns.map((r) => [r.ruleId, new Date(r.at)])),
      },
    };
  }

  /** Each rule's number of runs and its last run, one query for the list. */
  private async withStats(rules: AutomationRuleRow[]): Promise<RuleWithStats[]> {
    if (rules.length === 0) return [];
    const stats = await this.db.select({ ruleId: ruleRuns.ruleId, n: count(), last: sql<string | null>`max(${ruleRuns.createdAt})` }).from(ruleRuns)
      .where(inArray(ruleRuns.ruleId, rules.map((r) => r.id))).groupBy(ruleRuns.ruleId);
    const byRule = new Map(stats.map((s) => [s.ruleId, s]));
    return rules.map((r) => ({ ...r, runCount: byRule.get(r.id)?.n ?? 0, lastRunAt: byRule.get(r.id)?.last ? new Date(byRule.get(r.id)!.last!) : null }));
  }
}

/** `actions`, or the legacy single `action`, as the input gave it (parseRule refuses both at once). */
function actionsOf(input: RuleFields): { actions?: unknown; action?: unknown } {
  return {
    ...(input.actions !== undefined && input.actions !== null ? { actions: input.actions } : {}),
    ...(input.action !== undefined && input.action !== null ? { action: input.action } : {}),
  };
}

function columnsOf(spec: RuleSpec) {
  return { name: spec.name, trigger: spec.trigger, conditions: spec.conditions, actions: spec.actions, stop: spec.stop };
}
