import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { WebhookChange } from '../../meta/webhook-payload.js';
import { emptyActivity, type ActivityItem } from '../activity/activity.publisher.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import type { CommittedAccountEvent, CommittedTemplateStatus } from './webhooks.hooks.js';
import { accountEvents, unroutedEvents } from './webhooks.table.js';

// What the general path of inbound processing stores besides messages: account-level changes
// (routed by WABA) and changes for numbers nobody registered (kept with the fix, replayed later).

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

export const TEMPLATE_STATUS_FIELD = 'message_template_status_update';

/** A template status change as the after-commit hooks see it; null when Meta's value lacks its name or event. */
export function templateStatusOf(change: { field: string; wabaId: string; value: Record<string, unknown> }, tenantId: string | null, webhookEventId: number): CommittedTemplateStatus | null {
  if (change.field !== TEMPLATE_STATUS_FIELD) return null;
  const v = change.value;
  if (typeof v.event !== 'string' || typeof v.message_template_name !== 'string') return null;
  const id = v.message_template_id;
  return {
    tenantId, wabaId: change.wabaId, name: v.message_template_name, language: String(v.message_template_language ?? ''), event: v.event,
    reason: typeof v.reason === 'string' ? v.reason : null, metaTemplateId: typeof id === 'string' || typeof id === 'number' ? String(id) : null, webhookEventId,
  };
}

/** Stores an account-level change once per (event, change); returns it when stored now (null: already stored). */
export async function storeAccountChange(tx: Tx, eventId: number, change: WebhookChange, tenantId: string | null): Promise<CommittedAccountEvent | null> {
  const event = typeof change.value.event === 'string' ? change.value.event : null;
  const inserted = await tx.insert(accountEvents).values({
    tenantId, webhookEventId: eventId, changeIndex: change.ref, wabaId: change.wabaId, field: change.field, event, value: change.value,
  }).onConflictDoNothing().returning({ id: accountEvents.id });
  if (inserted.length === 0) return null;
  return { tenantId, wabaId: change.wabaId, field: change.field, event, value: change.value, webhookEventId: eventId, changeRef: change.ref };
}

export function accountActivity(stored: CommittedAccountEvent): ActivityItem {
  return {
    ...emptyActivity(), kind: stored.field === TEMPLATE_STATUS_FIELD ? 'template_status' : 'account_update', direction: 'in',
    tenantId: stored.tenantId, wabaId: stored.wabaId, status: stored.event, webhookEventId: String(stored.webhookEventId),
    summary: accountSummary(stored), occurredAt: new Date(),
  };
}

function accountSummary(change: { field: string; value: Record<string, unknown> }): string {
  const v = change.value;
  if (change.field === TEMPLATE_STATUS_FIELD) return `template ${String(v.message_template_name ?? '')} (${String(v.message_template_language ?? '')}) ${String(v.event ?? '')}`;
  return `${change.field}${typeof v.event === 'string' ? `: ${v.event}` : ''}`;
}

/** Keeps a change whose number nobody registered, once; returns its live-feed item when kept now. */
export async function keepUnrouted(tx: Tx, eventId: number, change: WebhookChange): Promise<ActivityItem | null> {
  const inserted = await tx.insert(unroutedEvents).values({
    webhookEventId: eventId, changeIndex: change.ref, phoneNumberId: change.phoneNumberId, wabaId: change.wabaId, field: change.field, value: change.value,
  }).onConflictDoNothing().returning({ id: unroutedEvents.id });
  if (inserted.length === 0) return null;
  return {
    ...emptyActivity(), kind: 'unrouted', direction: 'in', phoneNumberId: change.phoneNumberId, wabaId: change.wabaId, webhookEventId: String(eventId),
    summary: unroutedFix(change.phoneNumberId, change.wabaId), occurredAt: new Date(),
  };
}

export function unroutedFix(phoneNumberId: string | null, wabaId: string | null): string {
  return `register phone number id ${phoneNumberId}${wabaId ? ` (WABA ${wabaId})` : ''} with addPhoneNumber, then replay the event`;
}

/** Marks unrouted changes of an event resolved once their number is registered (after a replay). */
export async function resolveUnrouted(tx: Tx, eventId: number): Promise<void> {
  await tx.update(unroutedEvents).set({ resolvedAt: new Date() }).where(and(
    eq(unroutedEvents.webhookEventId, eventId), isNull(unroutedEvents.resolvedAt),
    inArray(unroutedEvents.phoneNumberId, tx.select({ id: phoneNumbers.phoneNumberId }).from(phoneNumbers)),
  ));
}
