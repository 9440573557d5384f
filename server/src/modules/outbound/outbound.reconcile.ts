import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { applyPendingStatuses, lockWamids } from '../messages/message-status.js';
import { enqueueSends } from './outbound.queue.js';

/** Noted on an attempt whose answer was lost but whose message Meta's statuses showed it took. */
export const RECOGNISED = "the answer was lost, but Meta's status for this message showed it was accepted";

// Reconciling sends whose answer was never seen, and re-enqueuing sends whose job was lost.
//
// Evidence that Meta accepted a message is a status webhook for it. The inbound pipeline keeps
// statuses of wamids it does not know in message_status_events (payload = Meta's status object).
// Two ways to tie one to our message:
//   1. `biz_opaque_callback_data`: every send carries our message id there, and Meta echoes it in
//      the message's status webhooks. Exact.
//   2. Failing that (a status that does not carry it), the recipient: a status for this recipient,
//      from a wamid no message of ours has, reported since the attempt started. Used only when
//      exactly one such wamid exists: pacing keeps one send per (number, recipient) in flight, so
//      two candidates mean we cannot tell, and the message stays unknown rather than guessing.

type Db = Pick<Database, 'execute'>;

export async function findSendEvidence(db: Db, message: { id: string; tenantId: string; waId: string }, since: Date): Promise<string | null> {
  const rows = await db.execute<{ wamid: string; exact: boolean }>(sql`
    select e.wamid, bool_or(e.payload->>'biz_opaque_callback_data' = ${message.id}) as exact
    from message_status_events e
    where e.tenant_id = ${message.tenantId}
      and (e.payload->>'biz_opaque_callback_data' = ${message.id}
           or (e.payload->>'recipient_id' = ${message.waId} and e.occurred_at >= ${since.toISOString()}::timestamptz - interval '5 seconds'
               -- a status naming another message is that message's evidence, never this one's
               and coalesce(e.payload->>'biz_opaque_callback_data', ${message.id}) = ${message.id}))
      and not exists (select 1 from messages m where m.wamid = e.wamid)
    group by e.wamid
    limit 3`);
  const exact = rows.find((r) => r.exact);
  if (exact) return exact.wamid;
  return rows.length === 1 ? rows[0].wamid : null;
}

/**
 * Gives `unknown` messages of the last day the wamid their statuses reveal, and applies those
 * statuses (the message moves on to sent, delivered or read). Returns how many were reconciled.
 */
export async function reconcileUnknownMessages(db: Database, limit = 500): Promise<number> {
  const unknown = await db.execute<{ id: string; tenant_id: string; wa_id: string; started_at: string }>(sql`
    select m.id, m.tenant_id, c.wa_id,
           (select a.started_at from message_attempts a where a.message_id = m.id order by a.attempt desc limit 1) as started_at
    from messages m join contacts c on c.id = m.contact_id
    where m.direction = 'outbound' and m.status = 'unknown' and m.wamid is null and m.updated_at > now() - interval '1 day'
    order by m.updated_at desc limit ${limit}`);
  let reconciled = 0;
  for (const m of unknown) {
    const wamid = await findSendEvidence(db, { id: m.id, tenantId: m.tenant_id, waId: m.wa_id }, new Date(m.started_at ?? Date.now() - 86_400_000));
    if (!wamid) continue;
    const updated = await db.execute<{ id: string }>(sql`
      with a as (
        update message_attempts set outcome = 'sent', wamid = ${wamid}, error_message = ${RECOGNISED}
        where id = (select id from message_attempts where message_id = ${m.id} order by attempt desc limit 1) and outcome = 'unknown'
      )
      update messages set status = 'sent', wamid = ${wamid}, updated_at = now()
      where id = ${m.id} and status = 'unknown' and wamid is null
        and not exists (select 1 from messages other where other.wamid = ${wamid})
      returning id`);
    if (updated.length === 0) continue;
    await applyPendingStatuses(db, [wamid]);
    reconciled++;
  }
  return reconciled;
}

/**
 * Re-enqueues single sends (not campaign messages: campaigns.jobs.ts sweeps those) that are
 * unsent (queued, or sending when a worker died mid-call), have not moved for `olderThanMs`,
 * whose number is not paused, and whose job is gone from Redis (a Redis restart, say) or failed
 * for good (out of attempts: Postgres away for longer than its retries). A send's job is named by
 * its message id, so its loss or failure shows directly. Returns how many were enqueued.
 */
export async function requeueStaleSends(db: Database, queue: Queue, olderThanMs: number, limit = 2_000): Promise<number> {
  const stale = await db.execute<{ id: string; tenant_id: string }>(sql`
    select m.id, m.tenant_id
    from messages m
    join phone_numbers p on p.id = m.phone_number_id
    where m.status in ('queued', 'sending') and m.direction = 'outbound' and m.campaign_id is null
      and m.updated_at < now() - (${olderThanMs} * interval '1 millisecond') and p.status <> 'paused'
    order by m.updated_at limit ${limit}`);
  if (stale.length === 0) return 0;
  // Most of them are simply waiting their turn (a delayed job for a busy number): keep those.
  const states = await Promise.all(stale.map((m) => queue.getJobState(m.id)));
  // A failed job keeps its id, under which no new job could be added: it goes first.
  for (const [i, m] of stale.entries()) if (states[i] === 'failed') await queue.remove(m.id);
  const lost = stale.filter((_m, i) => states[i] === 'unknown' || states[i] === 'failed').map((m) => ({ tenantId: m.tenant_id, messageId: m.id }));
  await enqueueSends(queue, lost);
  return lost.length;
}

/**
 * Safety net for the race between recording a wamid and storing Meta's statuses for it: applies
 * the stored statuses of the latest `recent` status events that outrank their message's status.
 * Walks the newest status events by id (the primary key), so it costs the same however large the
 * tables grow. Returns how many messages were repaired.
 */
export async function repairRecentStatuses(db: Database, recent = 5_000): Promise<number> {
  const stale = await db.execute<{ wamid: string }>(sql`
    select distinct m.wamid from message_status_events e
    join messages m on m.wamid = e.wamid
    where e.id > (select coalesce(max(id), 0) from message_status_events) - ${recent}
      and m.status in ('sent', 'delivered')
      and (case e.status when 'delivered' then 5 when 'read' then 6 when 'failed' then 7 else 0 end)
        > (case m.status when 'sent' then 4 else 5 end)`);
  for (const { wamid } of stale) {
    await db.transaction(async (tx) => {
      await lockWamids(tx, [wamid]);
      await applyPendingStatuses(tx, [wamid]);
    });
  }
  return stale.length;
}
