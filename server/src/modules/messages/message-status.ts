import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { pgArray } from '../../lib/sql.js';
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
