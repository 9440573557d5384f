import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { pgArray } from '../../lib/sql.js';
import { messageStatusEvents, messages, STATUS_RANK, type MessageRow, type MessageStatus } from './messages.table.js';

type Db = Pick<Database, 'select' | 'update' | 'insert'>;
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
 * Recomputes an outbound message's status from every status Meta reported for its wamid. A status
 * only moves forward (sent < delivered < read) and `failed` is terminal, so the order statuses
 * arrive in does not matter; each time is kept for the timeline even when it arrives late.
 * Idempotent: call it after storing a status, and after a send records its wamid (a status can
 * arrive before the send's own answer is written).
 */
export async function applyPendingStatuses(db: Db, message: { wamid: string | null }): Promise<MessageRow | null> {
  if (!message.wamid) return null;
  const [current] = await db.select().from(messages).where(eq(messages.wamid, message.wamid)).for('update');
  if (!current) return null;
  const events = await db.select().from(messageStatusEvents).where(eq(messageStatusEvents.wamid, message.wamid)).orderBy(asc(messageStatusEvents.occurredAt));
  if (events.length === 0) return current;

  let status: MessageStatus = current.status;
  const times: Partial<Record<MessageStatus, Date>> = {};
  let failure: (typeof events)[number] | undefined;
  for (const event of events) {
    times[event.status] ??= event.occurredAt;
    if (status !== 'failed' && STATUS_RANK[event.status] > STATUS_RANK[status]) status = event.status;
    if (event.status === 'failed') failure ??= event;
  }
  const changes = {
    status,
    sentAt: current.sentAt ?? times.sent ?? null,
    deliveredAt: current.deliveredAt ?? times.delivered ?? null,
    readAt: current.readAt ?? times.read ?? null,
    failedAt: current.failedAt ?? times.failed ?? null,
    ...(failure && current.status !== 'failed' ? { errorCode: failure.errorCode, errorTitle: failure.errorTitle, errorDetail: failure.errorDetail } : {}),
  };
  const unchanged = changes.status === current.status && changes.sentAt === current.sentAt && changes.deliveredAt === current.deliveredAt && changes.readAt === current.readAt && changes.failedAt === current.failedAt;
  if (unchanged) return current;
  const [row] = await db.update(messages).set(changes).where(and(eq(messages.id, current.id), sql`true`)).returning();
  return row;
}
