import { sql } from 'drizzle-orm';
import { pgArray } from '../../lib/sql.js';
import type { RuleRunAction } from '../automation/automation.table.js';
import type { OnboardingFinishHook } from '../onboarding/onboarding.events.js';
import type { InboundHook } from '../webhooks/webhooks.hooks.js';
import { recordOnboardingOutcome, recordWebhookEvents, type NewTenantWebhookEvent } from './tenant-webhooks.events.js';
import { enqueueDeliveries } from './tenant-webhooks.jobs.js';

// Inbound traffic's tenant webhooks: after each inbound job commits, what it stored becomes
// outbox events. The hook is called again until it returns (webhooks.hooks.ts), and every event
// is keyed on the id of what caused it, so each is recorded exactly once. It runs after the
// automation hook (registry order), so the rule runs of these messages are done and become
// rule.fired and handoff.started here too.

const PHONE_NUMBER_QUALITY_FIELD = 'phone_number_quality_update';

type StatusMessage = { id: string; contact_id: string | null; instance_id: string | null; direction: string };
type DoneRun = { id: string; tenant_id: string; instance_id: string; rule_id: string; rule_name: string; message_id: string; contact_id: string; wa_id: string; matched: string; actions: RuleRunAction[]; created_at: string; note: string | null };

export const tenantWebhooksHook: InboundHook = {
  name: 'tenant-webhooks: outbox',
  afterCommit: async (deps, commit) => {
    const { db } = deps;
    // Most traffic is of tenants without webhooks: one small lookup, and nothing built for them.
    const tenantIds = [...new Set([...commit.messages, ...commit.statuses, ...commit.templateStatuses, ...commit.accountEvents].map((item) => item.tenantId).filter((t): t is string => t !== null))];
    if (tenantIds.length === 0) return;
    const subscribed = await db.execute<{ tenant_id: string; type: string }>(sql`
      select distinct tenant_id, unnest(events) as type from webhook_endpoints where enabled and tenant_id = any(${pgArray(tenantIds)}::uuid[])`);
    const wants = new Set([...subscribed].map((r) => `${r.tenant_id} ${r.type}`));
    if (wants.size === 0) return;
    const wanted = (tenantId: string, ...types: string[]) => types.some((type) => wants.has(`${tenantId} ${type}`));
    const events: NewTenantWebhookEvent[] = [];

    for (const m of commit.messages.filter((m) => wanted(m.tenantId, 'message.received'))) {
      events.push({
        tenantId: m.tenantId, instanceId: m.instanceId, type: 'message.received', sourceKey: `message.received:${m.id}`, lane: m.contactId,
        data: {
          messageId: m.id, wamid: m.wamid, instanceId: m.instanceId, phoneNumberId: m.phoneNumberRowId, contact: { id: m.contactId, waId: m.waId },
          type: m.type, text: m.text, sentAt: m.sentAt.toISOString(), message: m.payload,
        },
      });
    }

    const ours = commit.statuses.filter((s) => s.messageId !== null && wanted(s.tenantId, 'message.status', 'message.failed'));
    if (ours.length > 0) {
      const rows = await db.execute<StatusMessage>(sql`select id, contact_id, instance_id, direction from messages where id = any(${pgArray(ours.map((s) => s.messageId!))}::uuid[])`);
      const byId = new Map([...rows].map((r) => [r.id, r]));
      for (const s of ours) {
        const message = byId.get(s.messageId!);
        if (!message) continue;
        const data = {
          messageId: s.messageId, wamid: s.wamid, instanceId: message.instance_id, contact: { id: message.contact_id, waId: s.recipientWaId },
          status: s.status, occurredAt: s.occurredAt.toISOString(), errorCode: s.errorCode, errorTitle: s.errorTitle,
        };
        events.push({ tenantId: s.tenantId, instanceId: message.instance_id, type: 'message.status', sourceKey: `message.status:${s.messageId}:${s.status}`, lane: message.contact_id, data });
        // One message.failed per message, whoever learnt it first (Meta here, or a refused send in outbound).
        if (s.status === 'failed') events.push({ tenantId: s.tenantId, instanceId: message.instance_id, type: 'message.failed', sourceKey: `message.failed:${s.messageId}`, lane: message.contact_id, data });
      }
    }

    for (const t of commit.templateStatuses) {
      if (!t.tenantId || !wanted(t.tenantId, 'template.status')) continue;
      events.push({
        tenantId: t.tenantId, instanceId: null, type: 'template.status', sourceKey: `template.status:${t.webhookEventId}:${t.wabaId}:${t.name}:${t.language}:${t.event}`, lane: null,
        data: { wabaId: t.wabaId, name: t.name, language: t.language, status: t.event, reason: t.reason, metaTemplateId: t.metaTemplateId },
      });
    }

    for (const a of commit.accountEvents) {
      if (!a.tenantId || a.field !== PHONE_NUMBER_QUALITY_FIELD || !wanted(a.tenantId, 'number.quality')) continue;
      const v = a.value;
      events.push({
        tenantId: a.tenantId, instanceId: null, type: 'number.quality', sourceKey: `number.quality:${a.webhookEventId}:${a.changeRef}`, lane: null,
        data: { wabaId: a.wabaId, displayPhoneNumber: v.display_phone_number ?? null, event: a.event, currentLimit: v.current_limit ?? null, value: v },
      });
    }

    const withInstance = commit.messages.filter((m) => m.instanceId !== null && wanted(m.tenantId, 'rule.fired', 'handoff.started'));
    if (withInstance.length > 0) {
      const runs = await db.execute<DoneRun>(sql`
        select r.id, r.tenant_id, r.instance_id, r.rule_id, r.rule_name, r.message_id, r.contact_id, c.wa_id, r.matched, r.actions, r.created_at, c.handoff_note as note
        from rule_runs r join contacts c on c.id = r.contact_id
        where r.message_id = any(${pgArray(withInstance.map((m) => m.id))}::uuid[]) and r.status = 'done' order by r.created_at, r.id`);
      for (const run of runs) {
        events.push({
          tenantId: run.tenant_id, instanceId: run.instance_id, type: 'rule.fired', sourceKey: `rule.fired:${run.id}`, lane: run.contact_id,
          data: { ruleRunId: run.id, ruleId: run.rule_id, ruleName: run.rule_name, messageId: run.message_id, contact: { id: run.contact_id, waId: run.wa_id }, matched: run.matched, actions: run.actions },
        });
        if (run.actions.some((a) => a.type === 'handoff' && a.outcome === 'done')) {
          events.push({
            tenantId: run.tenant_id, instanceId: run.instance_id, type: 'handoff.started', sourceKey: `handoff.started:${run.id}`, lane: run.contact_id,
            data: { contact: { id: run.contact_id, waId: run.wa_id }, messageId: run.message_id, ruleId: run.rule_id, ruleName: run.rule_name, note: run.note },
          });
        }
      }
    }

    const deliveries = await recordWebhookEvents(db, events);
    await enqueueDeliveries(deps.queues['tenant-webhooks'], deliveries).catch((error: Error) => deps.log.warn({ err: error }, 'tenant webhooks: enqueue failed; the sweep will enqueue them'));
  },
};

/**
 * An onboarding run's end becomes `onboarding.succeeded` / `onboarding.failed` for the tenant it
 * created. Told at least once (onboarding.events.ts); the event is keyed on (run, state, finish
 * time), so a repeat records nothing new. A run that failed before creating a tenant has no one to
 * tell but the operator, who sees it on the runs page.
 */
export const tenantWebhooksOnboardingHook: OnboardingFinishHook = {
  name: 'tenant-webhooks: onboarding outcome',
  afterFinish: async (deps, run) => {
    if (!run.tenantId) return;
    const deliveries = await recordOnboardingOutcome(deps.db, {
      tenantId: run.tenantId, onboardingRunId: run.runId, succeeded: run.state === 'succeeded', instanceId: run.instanceId, occurrence: run.finishedAt.toISOString(),
      data: { kind: run.kind, businessName: run.businessName, phoneNumberId: run.phoneNumberId, wabaId: run.wabaId, error: run.error },
    });
    await enqueueDeliveries(deps.queues['tenant-webhooks'], deliveries).catch((error: Error) => deps.log.warn({ err: error }, 'tenant webhooks: enqueue failed; the sweep will enqueue them'));
  },
};
