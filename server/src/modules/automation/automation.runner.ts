import { sql } from 'drizzle-orm';
import { pgArray } from '../../lib/sql.js';
import { decryptSecret, type EncryptedSecret } from '../../lib/secrets.js';
import type { JobDeps } from '../../queue/job-types.js';
import { emptyActivity, publishActivity, type ActivityItem } from '../activity/activity.publisher.js';
import { queueReplies, type QueuedReply } from '../outbound/outbound.replies.js';
import type { CommittedMessage, InboundHook } from '../webhooks/webhooks.hooks.js';
import type { RuleRunAction } from './automation.table.js';
import { engineMessageOf, evaluateRules, type EngineContact, type PlannedAction } from './automation.engine.js';
import { parseBusinessHours } from '../instances/instances.business-hours.js';
import { ruleHolds, templatesFor, tryReplyContent, type TemplatesByRef } from './automation.replies.js';
import { isReplyAction, normalizeTag, type RuleAction, type RuleCondition, type RuleTrigger } from './rules.schema.js';

// Automation rules, run by the worker on every customer's message it newly stores (the inbound
// after-commit hook). For each message of an active instance the engine (automation.engine.ts,
// pure) says which rules fire and what each does; this file records and carries it out.
//
// EXACTLY ONCE per (rule, inbound message), whatever retries, redeliveries, re-batching or
// killed workers do:
//   1. the runs are inserted with their whole plan, `running`, under a unique (rule, message)
//      key, BEFORE anything is done (a message that already has runs is not evaluated again: its
//      state may have moved since, and its plan is the one recorded);
//   2. every `running` run of these messages is carried out: replies queued through the outbound
//      path under an idempotency key derived from (rule, message, action), tags and handoffs set
//      as values (idempotent), mark-read asked of Meta (harmless twice);
//   3. the runs become `done`. A worker killed anywhere before 3 leaves runs `running`; the hook
//      is called again (webhooks.hooks.ts) and 2 repeats, queueing nothing new.

/** A customer's 24-hour service window: free-form replies only inside it. */
const WINDOW_MS = 24 * 3600 * 1000;

export const automationHook: InboundHook = {
  name: 'automation: rules',
  afterCommit: (deps, commit) => runAutomation(deps, commit.messages),
};

type InstanceRow = {
  id: string; tenant_id: string; name: string; timezone: string; business_hours: unknown; handoff_timeout_hours: number; reply_limit_per_hour: number;
  phone_number_row_id: string; meta_number_id: string; waba_id: string; access_token: EncryptedSecret | null;
};
type RuleRow = { id: string; instance_id: string; name: string; enabled: boolean; trigger: RuleTrigger; conditions: RuleCondition[]; actions: RuleAction[]; stop: boolean };
type ContactRow = { id: string; name: string | null; tags: string[]; last_inbound_at: string | null; in_handoff: boolean; replies_last_hour: number; first_message_id: string | null };
type RunRow = { id: string; rule_id: string; rule_name: string; message_id: string; contact_id: string; instance_id: string; tenant_id: string; matched: string; plan: StoredPlan[] };
type StoredPlan = Pick<PlannedAction, 'index' | 'action' | 'run' | 'skipReason' | 'rendered'>;

export async function runAutomation(deps: JobDeps, committed: CommittedMessage[]): Promise<void> {
  const messages = committed.filter((m) => m.instanceId !== null);
  if (messages.length === 0) return;
  const { db } = deps;
  const instanceIds = [...new Set(messages.map((m) => m.instanceId!))];
  const instances = new Map([...await db.execute<InstanceRow>(sql`
    select i.id, i.tenant_id, i.name, i.timezone, i.business_hours, i.handoff_timeout_hours, i.reply_limit_per_hour,
           p.id as phone_number_row_id, p.phone_number_id as meta_number_id, p.waba_id, p.access_token
    from instances i join phone_numbers p on p.id = i.phone_number_id
      -- A disabled tenant's automation waits (its traffic is still stored).
      join tenants t on t.id = i.tenant_id and t.disabled_at is null
    where i.id = any(${pgArray(instanceIds)}::uuid[]) and i.status = 'active'`)].map((i) => [i.id, i]));
  const rules = [...await db.execute<RuleRow>(sql`
    select id, instance_id, name, enabled, trigger, conditions, actions, stop from automation_rules
    where instance_id = any(${pgArray([...instances.keys()])}::uuid[]) and enabled order by instance_id, position, created_at`)];
  const rulesOf = groupBy(rules, (r) => r.instance_id);
  const eligible = messages.filter((m) => rulesOf.has(m.instanceId!));
  deps.log.debug({ messages: committed.length, withInstance: messages.length, activeInstances: instances.size, rules: rules.length, eligible: eligible.length }, 'automation: messages to evaluate');
  if (eligible.length === 0) return;

  // 1. Plan the messages that have no runs yet, and record every plan before acting.
  const existing = new Set((await db.execute<{ message_id: string }>(sql`
    select distinct message_id from rule_runs where message_id = any(${pgArray(eligible.map((m) => m.id))}::uuid[])`)).map((r) => r.message_id));
  const fresh = eligible.filter((m) => !existing.has(m.id));
  if (fresh.length > 0) await recordPlans(deps, fresh, instances, rulesOf);

  // 2. Carry out every run of these messages not done yet (recorded now, or by an interrupted run).
  const runs = [...await db.execute<RunRow>(sql`
    select id, rule_id, rule_name, message_id, contact_id, instance_id, tenant_id, matched, actions as plan from rule_runs
    where message_id = any(${pgArray(eligible.map((m) => m.id))}::uuid[]) and status = 'running' order by created_at, id`)];
  if (runs.length > 0) await carryOut(deps, runs, eligible, instances);
}

/** Evaluates each message against its instance's rules and inserts the fired rules' runs, with their plans. */
async function recordPlans(deps: JobDeps, messages: CommittedMessage[], instances: Map<string, InstanceRow>, rulesOf: Map<string, RuleRow[]>): Promise<void> {
  const { db } = deps;
  const contactIds = [...new Set(messages.map((m) => m.contactId))];
  const contacts = new Map([...await db.execute<ContactRow>(sql`
    select c.id, c.name, c.tags, c.last_inbound_at,
           (c.handoff_started_at is not null and (c.handoff_expires_at is null or c.handoff_expires_at > now())) as in_handoff,
           (select count(*) from messages m where m.tenant_id = c.tenant_id and m.contact_id = c.id and m.direction = 'outbound'
              and m.automation_rule_id is not null and m.created_at > now() - interval '1 hour')::int as replies_last_hour,
           (select m.id from messages m where m.tenant_id = c.tenant_id and m.contact_id = c.id and m.direction = 'inbound'
              order by m.meta_timestamp nulls last, m.created_at, m.id limit 1) as first_message_id
    from contacts c where c.id = any(${pgArray(contactIds)}::uuid[])`)].map((c) => [c.id, c]));
  const cooldownRules = [...rulesOf.values()].flat().filter((r) => r.conditions.some((c) => c.type === 'cooldown')).map((r) => r.id);
  const lastRuns = cooldownRules.length === 0 ? [] : await db.execute<{ rule_id: string; contact_id: string; at: string }>(sql`
    select rule_id, contact_id, max(created_at) as at from rule_runs
    where rule_id = any(${pgArray(cooldownRules)}::uuid[]) and contact_id = any(${pgArray(contactIds)}::uuid[]) group by rule_id, contact_id`);

  // Rules waiting on Meta (a template not approved yet) do not fire (automation.replies.ts).
  const held = new Set<string>();
  for (const instance of new Set(messages.map((m) => instances.get(m.instanceId!)!))) {
    const rules = rulesOf.get(instance.id)!;
    const templates = await templatesFor(db, instance.tenant_id, instance.waba_id, rules.flatMap((r) => r.actions));
    for (const hold of ruleHolds(rules, templates)) held.add(hold.ruleId);
  }
  const now = deps.clock.now();
  const state = new Map<string, EngineContact & { lastInboundAt: Date | null }>();
  for (const [id, c] of contacts) {
    state.set(id, {
      name: c.name, tags: c.tags, inHandoff: c.in_handoff, isFirstMessage: false, automatedRepliesLastHour: c.replies_last_hour,
      lastRunAtByRule: Object.fromEntries([...lastRuns].filter((r) => r.contact_id === id).map((r) => [r.rule_id, new Date(r.at)])),
      lastInboundAt: c.last_inbound_at ? new Date(c.last_inbound_at) : null,
    });
  }
  const rows: Record<string, unknown>[] = [];
  // A customer's messages in the order they wrote them: the second sees what the first's rules did.
  for (const message of [...messages].sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime())) {
    const instance = instances.get(message.instanceId!)!;
    const contact = state.get(message.contactId);
    if (!contact) continue;
    const evaluation = evaluateRules({
      rules: rulesOf.get(instance.id)!.map((r) => ({ id: r.id, name: r.name, enabled: r.enabled && !held.has(r.id), trigger: r.trigger, conditions: r.conditions, actions: r.actions, stop: r.stop })),
      message: engineMessageOf(message.payload, message.sentAt),
      contact: { ...contact, isFirstMessage: contacts.get(message.contactId)?.first_message_id === message.id },
      instance: { name: instance.name, timezone: instance.timezone, businessHours: parseBusinessHours(instance.business_hours, 'businessHours') },
      now,
      windowOpen: contact.lastInboundAt !== null && now.getTime() - contact.lastInboundAt.getTime() < WINDOW_MS,
      replyLimitPerHour: instance.reply_limit_per_hour,
    });
    for (const fired of evaluation.fired) {
      const plan: StoredPlan[] = fired.actions.map(({ index, action, run, skipReason, rendered }) => ({ index, action, run, skipReason, rendered }));
      rows.push({ ord: rows.length, tenant_id: instance.tenant_id, instance_id: instance.id, rule_id: fired.rule.id, rule_name: fired.rule.name, message_id: message.id, contact_id: message.contactId, matched: fired.matched, actions: plan });
      // What this rule does, as the customer's next message will find it.
      contact.lastRunAtByRule[fired.rule.id] = now;
      contact.automatedRepliesLastHour += plan.filter((p) => p.run && isReplyAction(p.action)).length;
      for (const p of plan) {
        if (p.action.type === 'add_tag' && !contact.tags.includes(normalizeTag(p.action.tag))) contact.tags = [...contact.tags, normalizeTag(p.action.tag)];
        if (p.action.type === 'remove_tag') {
          const tag = normalizeTag(p.action.tag);
          contact.tags = contact.tags.filter((t) => t !== tag);
        }
        if (p.action.type === 'handoff') contact.inHandoff = true;
      }
    }
  }
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into rule_runs (tenant_id, instance_id, rule_id, rule_name, message_id, contact_id, matched, actions, created_at)
    -- clock_timestamp() in plan order: the runs are carried out (and their replies queued) by
    -- created_at, so a message's rules answer in their evaluation order.
    select tenant_id, instance_id, rule_id, rule_name, message_id, contact_id, matched, actions, clock_timestamp()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(ord int, tenant_id uuid, instance_id uuid, rule_id uuid, rule_name text, message_id uuid, contact_id uuid, matched text, actions jsonb)
    order by ord
    -- Another worker recorded this (rule, message) first: its plan is the one carried out.
    on conflict (rule_id, message_id) do nothing`);
}

/** Step 2 and 3 for these runs (see the top of the file). */
async function carryOut(deps: JobDeps, runs: RunRow[], messages: CommittedMessage[], instances: Map<string, InstanceRow>): Promise<void> {
  const { db } = deps;
  const messageById = new Map(messages.map((m) => [m.id, m]));
  const templates = new Map<string, TemplatesByRef>();
  const outcomes = new Map<string, RuleRunAction[]>(runs.map((r) => [r.id, []]));
  const replies: (QueuedReply & { runId: string; index: number })[] = [];
  const activity: ActivityItem[] = [];
  const handedOff = new Set<string>();

  for (const run of runs) {
    const instance = instances.get(run.instance_id);
    const message = messageById.get(run.message_id);
    const log = outcomes.get(run.id)!;
    if (!instance || !message) {
      // Its instance was paused, or its number moved, since the plan was made: recorded, not carried out.
      log.push(...run.plan.map((p) => ({ index: p.index, type: p.action.type, outcome: 'skipped' as const, reason: 'instance not active' })));
      continue;
    }
    const key = `${instance.tenant_id}|${instance.waba_id}`;
    if (!templates.has(key)) templates.set(key, await templatesFor(db, instance.tenant_id, instance.waba_id, runs.flatMap((r) => r.plan.map((p) => p.action))));
    for (const planned of run.plan) {
      const { action } = planned;
      const entry: RuleRunAction = { index: planned.index, type: action.type, outcome: 'done' };
      if (!planned.run) {
        log.push({ ...entry, outcome: 'skipped', reason: planned.skipReason === 'window_closed' ? "outside the customer's 24-hour window: only a template may go" : `over the limit of automated replies per customer per hour (${instance.reply_limit_per_hour})` });
        continue;
      }
      if (isReplyAction(action)) {
        const built = tryReplyContent(planned as PlannedAction, templates.get(key)!);
        if (!built || 'problem' in built) {
          log.push({ ...entry, outcome: 'failed', reason: built && 'problem' in built ? built.problem : 'not a reply' });
          continue;
        }
        replies.push({
          runId: run.id, index: planned.index, tenantId: instance.tenant_id, instanceId: instance.id, phoneNumberRowId: instance.phone_number_row_id, contactId: run.contact_id,
          content: built.content, idempotencyKey: `rule:${run.rule_id}:${run.message_id}:${planned.index}`, automationRuleId: run.rule_id,
        });
        log.push({ ...entry, outcome: 'queued' });
        continue;
      }
      switch (action.type) {
        case 'add_tag':
          await db.execute(sql`update contacts set tags = array(select distinct unnest(tags || array[${normalizeTag(action.tag)}]) order by 1), updated_at = now() where id = ${run.contact_id} and not (${normalizeTag(action.tag)} = any(tags))`);
          break;
        case 'remove_tag':
          await db.execute(sql`update contacts set tags = array_remove(tags, ${normalizeTag(action.tag)}), updated_at = now() where id = ${run.contact_id} and ${normalizeTag(action.tag)} = any(tags)`);
          break;
        case 'handoff':
          await db.execute(sql`
            update contacts set handoff_started_at = case when handoff_started_at is not null and (handoff_expires_at is null or handoff_expires_at > now()) then handoff_started_at else now() end,
              handoff_expires_at = now() + make_interval(hours => ${instance.handoff_timeout_hours}), handoff_note = ${action.note ?? null}, updated_at = now()
            where id = ${run.contact_id}`);
          if (!handedOff.has(run.contact_id)) {
            handedOff.add(run.contact_id);
            activity.push({ ...emptyActivity(), kind: 'handoff', direction: 'out', tenantId: instance.tenant_id, instanceId: instance.id, phoneNumberId: instance.meta_number_id, wabaId: instance.waba_id, messageId: run.message_id, contactWaId: message.waId, status: 'started', summary: `handed to a person by rule «${run.rule_name}»${action.note ? `: ${action.note}` : ''}` });
          }
          break;
        case 'mark_read':
          try {
            await deps.graph.markRead(instance.meta_number_id, message.wamid, instance.access_token ? decryptSecret(instance.access_token, deps.env.SECRETS_KEY) : deps.env.META_SYSTEM_TOKEN);
          } catch (error) {
            // Not worth retrying the whole run for: the read mark is a courtesy.
            log.push({ ...entry, outcome: 'failed', reason: `Meta refused the read mark: ${(error as Error).message}` });
            continue;
          }
          break;
      }
      log.push(entry);
    }
  }

  const queued = await queueReplies(db, deps.queues, replies, deps.log);
  for (const reply of replies) {
    const entry = outcomes.get(reply.runId)!.find((e) => e.index === reply.index)!;
    entry.messageId = queued.get(reply.idempotencyKey);
  }

  // 3. Done: the outcome of each action and the messages it queued.
  const finished = runs.map((r) => ({ id: r.id, actions: outcomes.get(r.id), outbound: outcomes.get(r.id)!.flatMap((e) => (e.messageId ? [e.messageId] : [])) }));
  await db.execute(sql`
    update rule_runs r set status = 'done', actions = v.actions, outbound_message_ids = v.outbound, finished_at = now()
    from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id uuid, actions jsonb, outbound uuid[])
    where r.id = v.id and r.status = 'running'`);
  for (const run of runs) {
    const instance = instances.get(run.instance_id);
    const message = messageById.get(run.message_id);
    if (!instance || !message) continue;
    const sent = outcomes.get(run.id)!.filter((e) => e.outcome === 'queued').length;
    activity.unshift({
      ...emptyActivity(), kind: 'rule_fired', direction: 'out', tenantId: instance.tenant_id, instanceId: instance.id, phoneNumberId: instance.meta_number_id, wabaId: instance.waba_id,
      messageId: run.message_id, contactWaId: message.waId, status: 'fired', summary: `rule «${run.rule_name}»: ${run.matched}${sent ? `; ${sent} repl${sent === 1 ? 'y' : 'ies'} queued` : ''}`,
    });
  }
  publishActivity(deps.publisher, activity);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
