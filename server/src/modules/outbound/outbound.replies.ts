import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { LogSink } from '../../lib/logger.js';
import type { Queues } from '../../queue/queues.js';
import type { BuiltContent } from './outbound.content.js';
import { enqueueSends } from './outbound.queue.js';

// Messages wabahub sends on its own (automation rules' replies) go through the same outbound path
// as any send: a `queued` message row, a send job, the per-number limiter, statuses. What differs
// is the entry: many at once from a worker, each under an idempotency key derived from what
// caused it, so a repeated cause (a retried job, a redelivered webhook) queues nothing new.

export interface QueuedReply {
  tenantId: string;
  instanceId: string;
  phoneNumberRowId: string;
  contactId: string;
  content: BuiltContent;
  /** Unique per tenant: the same key never makes a second message. */
  idempotencyKey: string;
  automationRuleId: string | null;
}

/**
 * Stores the replies not stored yet (by idempotency key) and enqueues their sends. Returns each
 * key's message id, whether this call or an earlier one stored it. Enqueueing again a message an
 * earlier call stored is harmless: its job is named by its id, and a sent message is not resent.
 */
export async function queueReplies(db: Database, queues: Pick<Queues, 'outbound'>, replies: QueuedReply[], log: LogSink): Promise<Map<string, string>> {
  if (replies.length === 0) return new Map();
  const rows = replies.map((r, ord) => ({
    ord,
    tenant_id: r.tenantId, instance_id: r.instanceId, phone_number_id: r.phoneNumberRowId, contact_id: r.contactId, type: r.content.type,
    text: r.content.text, payload: r.content.payload, idempotency_key: r.idempotencyKey, automation_rule_id: r.automationRuleId,
  }));
  const stored = await db.execute<{ id: string; tenant_id: string; idempotency_key: string }>(sql`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as v(ord int, tenant_id uuid, instance_id uuid, phone_number_id uuid, contact_id uuid, type text, text text, payload jsonb, idempotency_key text, automation_rule_id uuid)
    ), inserted as (
      insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, type, text, payload, status, idempotency_key, automation_rule_id, created_at)
      -- clock_timestamp(), not now(): each row its own time, in the replies' order, so a
      -- conversation shows them (and the outbound queue takes them) in the order they were planned.
      select tenant_id, instance_id, phone_number_id, contact_id, 'outbound', type, text, payload, 'queued', idempotency_key, automation_rule_id, clock_timestamp() from v order by ord
      on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
      returning id, tenant_id, idempotency_key
    )
    select id, tenant_id, idempotency_key from inserted
    union all
    -- Keys an earlier call stored (this statement cannot see its own inserts, so no overlap).
    select m.id, m.tenant_id, m.idempotency_key from messages m join v on m.tenant_id = v.tenant_id and m.idempotency_key = v.idempotency_key`);
  const byKey = new Map<string, string>();
  for (const row of stored) byKey.set(row.idempotency_key, row.id);
  try {
    await enqueueSends(queues.outbound, [...stored].map((row) => ({ tenantId: row.tenant_id, messageId: row.id })));
  } catch (error) {
    // The messages are stored, `queued`: the outbound sweep enqueues what Redis did not take.
    log.warn({ err: error, messages: stored.length }, 'outbound: replies stored but not enqueued; the sweep will enqueue them');
  }
  return byKey;
}
