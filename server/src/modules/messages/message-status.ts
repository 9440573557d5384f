import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { messageStatusEvents, messages, STATUS_RANK, type MessageRow, type MessageStatus } from './messages.table.js';

type Db = Pick<Database, 'select' | 'update' | 'insert'>;

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
