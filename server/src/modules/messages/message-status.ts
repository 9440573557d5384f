import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { pgArray } from '../../lib/sql.js';
import { metaTime, type MetaStatus, type WebhookChange } from '../../meta/webhook-payload.js';
import { emptyActivity, type ActivityItem } from '../activity/activity.publisher.js';
import type { Route } from '../phone-numbers/phone-numbers.routing.js';
import type { InboundEvent } from './messages.inbound.js';
import { STATUS_RANK } from './messages.table.js';

type Db = Pick<Database, 'execute'>;
type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

// Recording a wamid races with the inbound worker storing Meta's statuses for it (Meta's `sent`
// can beat our own write of the answer): each side could miss the other's uncommitted row. Both
// sides hold a transaction-scoped advisory lock on the wamid while they write and then read the
// other's table, which serialises them. What slips through (a side whose snapshot predates the
// other's commit) the sweeper's repairRecentStatuses applies later.
/** Takes the transaction-scoped advisory locks of these wamids, sorted: overlapping sets cannot deadlock. */
export async function lockWamids(tx: Pick<Tx, 'execute'>, wamids: string[]): Promise<void> {
  if (wamids.length === 0) return;
  await tx.execute(wamidLocksSql(wamids));
}

/**
 * The statement lockWamids runs. Sorted by Postgres in byte order (collate "C"), whatever the
 * database's collation: every holder of these locks (sender, reconcile, worker) takes them in
 * one order.
 */
export function wamidLocksSql(wamids: string[]) {
  return sql`select pg_advisory_xact_lock(hashtext(w)) from unnest(${pgArray([...new Set(wamids)])}::text[]) as w order by w collate "C"`;
}

/** Meta's status names for our outbound messages; anything else is not a message status. */
export const META_STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;

/**
 * Recomputes the status of the outbound messages with these wamids from every status Meta
 * reported for them (moveForwardSql), in one statement, and returns those messages (moved or
 * not) by wamid. Idempotent: call it after storing a status, and after a send records its wamid
 * (a status can arrive before the send's own answer is written).
 */
export async function applyPendingStatuses(db: Db, wamids: string[]): Promise<Map<string, { id: string; tenantId: string }>> {
  if (wamids.length === 0) return new Map();
  const rows = await db.execute<{ id: string; tenant_id: string; wamid: string }>(sql`
    with known as (
      select wamid, status, occurred_at, error_code, error_title, error_detail from message_status_events
      where wamid = any(${pgArray(wamids)}::text[])
    ), ${moveForwardSql('known')}
    -- Read in the statement's snapshot, before moved: id and tenant are all it returns, and they never change.
    select id, tenant_id, wamid from messages where wamid = any(${pgArray(wamids)}::text[])`);
  return new Map(rows.map((r) => [r.wamid, { id: r.id, tenantId: r.tenant_id }]));
}

// The rank of a status in SQL, as STATUS_RANK has it: a message's status only moves forward.
const RANK = (column: string) => sql.raw(`(case ${column} ${Object.entries(STATUS_RANK).map(([k, v]) => `when '${k}' then ${v}`).join(' ')} end)`);

/**
 * The CTEs `summed` and `moved` that move each message forward by the statuses the CTE `known`
 * holds for its wamid (wamid, status, occurred_at, error_code, error_title, error_detail): the
 * one place the rule lives. A status only moves forward (sent < delivered < read) and `failed` is
 * terminal, so the order statuses arrive in does not matter; the first time of each is kept for
 * the timeline even when it arrives late, and the first failure's error with it. A message
 * updated meanwhile by another transaction is re-read before the update, which ranks against its
 * current status. `moved` returns the ids of the messages it changed.
 */
export function moveForwardSql(known: string) {
  return sql`summed as (
      select wamid,
        max(${RANK('status')}) as top_rank,
        (array_agg(status order by ${RANK('status')} desc))[1] as top_status,
        min(occurred_at) filter (where status = 'sent') as sent_at,
        min(occurred_at) filter (where status = 'delivered') as delivered_at,
        min(occurred_at) filter (where status = 'read') as read_at,
        min(occurred_at) filter (where status = 'failed') as failed_at,
        (array_agg(error_code order by occurred_at) filter (where status = 'failed'))[1] as error_code,
        (array_agg(error_title order by occurred_at) filter (where status = 'failed'))[1] as error_title,
        (array_agg(error_detail order by occurred_at) filter (where status = 'failed'))[1] as error_detail
      from ${sql.raw(known)} group by wamid
    ), moved as (
      update messages m set
        status = case when m.status <> 'failed' and s.top_rank > ${RANK('m.status')} then s.top_status else m.status end,
        sent_at = coalesce(m.sent_at, s.sent_at), delivered_at = coalesce(m.delivered_at, s.delivered_at),
        read_at = coalesce(m.read_at, s.read_at), failed_at = coalesce(m.failed_at, s.failed_at),
        error_code = case when s.failed_at is not null and m.status <> 'failed' then s.error_code else m.error_code end,
        error_title = case when s.failed_at is not null and m.status <> 'failed' then s.error_title else m.error_title end,
        error_detail = case when s.failed_at is not null and m.status <> 'failed' then s.error_detail else m.error_detail end,
        updated_at = now()
      from summed s
      where m.wamid = s.wamid and (
        (m.status <> 'failed' and s.top_rank > ${RANK('m.status')})
        or (m.sent_at is null and s.sent_at is not null) or (m.delivered_at is null and s.delivered_at is not null)
        or (m.read_at is null and s.read_at is not null) or (m.failed_at is null and s.failed_at is not null))
      returning m.id
    )`;
}

/** The statuses of a change that are statuses of a message (Meta may add others; they are kept in the raw event only). */
export function statusesOf(change: WebhookChange): MetaStatus[] {
  return change.statuses.filter((s) => (META_STATUSES as readonly string[]).includes(s.status));
}

/** Meta's first error of a status, as message_status_events keeps it. */
export function statusError(s: MetaStatus) {
  const error = s.errors?.[0];
  return { code: typeof error?.code === 'number' ? error.code : null, title: error?.title ?? error?.message ?? null, detail: error?.error_data?.details ?? null };
}

export interface StatusRow {
  ord: number;
  event_id: number;
  wamid: string;
  tenant_id: string;
  status: string;
  occurred_at: Date;
  error_code: number | null;
  error_title: string | null;
  error_detail: string | null;
  payload: MetaStatus;
}

/** The status rows of the routed message changes of a group of events, in the job's order. */
export function planStatuses(events: InboundEvent[], routes: Map<string, Route>): StatusRow[] {
  const rows: StatusRow[] = [];
  for (const event of events) {
    for (const change of event.changes) {
      const route = change.field === 'messages' && change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined;
      if (!route) continue;
      for (const s of statusesOf(change)) {
        const error = statusError(s);
        rows.push({
          ord: rows.length, event_id: event.id, wamid: s.id, tenant_id: route.tenantId, status: s.status, occurred_at: metaTime(s.timestamp),
          error_code: error.code, error_title: error.title, error_detail: error.detail, payload: s,
        });
      }
    }
  }
  return rows;
}

/**
 * CTEs that store the statuses not stored yet (`fresh_statuses`: each with the event that stored
 * it, the first of the job among the events `onlyEvents` names) and move each message they are
 * about forward by every status known for its wamid (moveForwardSql): those stored before this
 * statement read from the table, this statement's own from its CTE (a statement does not see its
 * own inserts).
 */
export function applyStatusesSql(statusRows: StatusRow[], onlyEvents: string) {
  return sql`
    status_rows as (
      select distinct on (s.wamid, s.status) s.*
      from jsonb_to_recordset(${JSON.stringify(statusRows)}::jsonb)
        as s(ord int, event_id bigint, wamid text, tenant_id uuid, status text, occurred_at timestamptz, error_code int, error_title text, error_detail text, payload jsonb)
      where s.event_id in (select id from ${sql.raw(onlyEvents)})
      order by s.wamid, s.status, s.ord
    ), status_inserted as (
      insert into message_status_events (wamid, tenant_id, status, occurred_at, error_code, error_title, error_detail, payload)
      select wamid, tenant_id, status, occurred_at, error_code, error_title, error_detail, payload from status_rows order by wamid, status
      on conflict (wamid, status) do nothing
      returning wamid, status
    ), fresh_statuses as (
      select r.* from status_rows r join status_inserted i on i.wamid = r.wamid and i.status = r.status
    ), known as (
      select e.wamid, e.status, e.occurred_at, e.error_code, e.error_title, e.error_detail from message_status_events e where e.wamid in (select wamid from fresh_statuses)
      union all
      select wamid, status, occurred_at, error_code, error_title, error_detail from fresh_statuses
    ), ${moveForwardSql('known')}`;
}

/** The live-feed item of a status stored now; `messageId` only when the message is the route's tenant's. */
export function statusActivity(route: Route, change: WebhookChange, eventId: number, s: MetaStatus, messageId: string | null): ActivityItem {
  const error = s.errors?.[0];
  return {
    ...emptyActivity(), kind: 'status', direction: 'in', tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberId: change.phoneNumberId,
    wabaId: route.wabaId, messageId, wamid: s.id, contactWaId: s.recipient_id ?? null, status: s.status,
    summary: error ? `${s.status}: ${error.code} ${error.title ?? error.message ?? ''}`.trim() : s.status, webhookEventId: String(eventId), occurredAt: metaTime(s.timestamp),
  };
}
