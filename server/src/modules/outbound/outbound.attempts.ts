import { recordWebhookEvents, type RecordedDelivery } from '../tenant-webhooks/tenant-webhooks.events.js';
import { sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { executePrepared, type Database } from '../../db/client.js';
import type { EncryptedSecret } from '../../lib/secrets.js';
import { pgArray } from '../../lib/sql.js';
import { applyPendingStatuses, lockWamids, wamidLocksSql } from '../messages/message-status.js';
import type { MessageStatus } from '../messages/messages.table.js';
import { RATE_LIMIT_CODES } from './outbound.error-policy.js';

// The attempt records of outbound sends: every SQL statement of a send's life. A message moves
// queued → sending (claimed, with a `pending` attempt written in the same statement, before the
// call to Meta) → sent | failed | unknown, or back to queued for a retry. outbound.sender.ts
// decides; this file writes.

/** A message with what a send needs: recipient, number (tier, status, token), campaign state, last attempt. */
export interface Loaded {
  id: string;
  tenantId: string;
  instanceId: string | null;
  status: MessageStatus;
  type: string;
  text: string | null;
  payload: unknown;
  campaignId: string | null;
  waId: string;
  numberRowId: string;
  metaNumberId: string;
  tier: number;
  numberStatus: string;
  accessToken: EncryptedSecret | null;
  wabaId: string;
  displayPhoneNumber: string;
  campaignState: string | null;
  lastAttemptId: string | null;
  lastAttempt: number | null;
  lastOutcome: string | null;
  lastErrorCode: number | null;
  lastStartedAt: string | null;
  lastAgeMs: number | null;
  /**
   * Names this run's limiter slot: the message id and a nonce, because two jobs can hold the same
   * message for a moment (a resume, a stalled job), and one's release must not free the other's slot.
   */
  slot: string;
}
export interface Attempt { id: string; attempt: number }


export type FailedMessage = Pick<Loaded, 'id' | 'tenantId' | 'instanceId' | 'metaNumberId' | 'wabaId' | 'waId' | 'type'>;
export interface Failure { code: number | null; title: string; detail: string | null }

export class SendAttempts {
  constructor(
    private readonly db: Database,
    /** postgres.js directly, for the statements every batch runs (prepared once per connection). */
    private readonly sql: postgres.Sql,
  ) {}

  /**
   * The messages with what a send needs: recipient, number (tier, status, token), campaign state,
   * last attempt. One query, unprepared (drizzle's execute) like claimMany's: a prepared
   * statement's generic plan, made while message_attempts was still empty, scans it for every
   * message; until an ANALYZE replaced it (autovacuum, minutes later at best), each batch read the
   * whole table (seen in the outbound bench: 40-80 ms a batch, half the throughput).
   */
  async loadMany(tenantId: string, ids: string[]): Promise<Loaded[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.execute<Record<string, unknown>>(sql`
      select m.id, m.tenant_id, m.instance_id, m.status, m.type, m.text, m.payload, m.campaign_id, c.wa_id,
             p.id as number_row_id, p.phone_number_id, p.throughput_tier, p.status as number_status, p.access_token, p.waba_id, p.display_phone_number,
             k.state as campaign_state,
             a.id as last_attempt_id, a.attempt as last_attempt, a.outcome as last_outcome, a.error_code as last_error_code, a.started_at as last_started_at,
             (extract(epoch from (now() - a.started_at)) * 1000)::float8 as last_age_ms
      from messages m
      join contacts c on c.id = m.contact_id
      join phone_numbers p on p.id = m.phone_number_id
      left join campaigns k on k.id = m.campaign_id
      -- The latest attempt, if any: how the previous run ended decides what this one does.
      left join lateral (select * from message_attempts x where x.message_id = m.id order by x.attempt desc limit 1) a on true
      where m.id = any(${pgArray(ids)}::uuid[]) and m.tenant_id = ${tenantId} and m.direction = 'outbound'`);
    return rows.map((r) => ({
      id: r.id as string, tenantId: r.tenant_id as string, instanceId: r.instance_id as string | null, status: r.status as MessageStatus,
      type: r.type as string, text: r.text as string | null, payload: r.payload, campaignId: r.campaign_id as string | null, waId: r.wa_id as string,
      numberRowId: r.number_row_id as string, metaNumberId: r.phone_number_id as string, tier: Number(r.throughput_tier), numberStatus: r.number_status as string,
      accessToken: r.access_token as EncryptedSecret | null, wabaId: r.waba_id as string, displayPhoneNumber: r.display_phone_number as string,
      campaignState: r.campaign_state as string | null,
      lastAttemptId: r.last_attempt_id as string | null, lastAttempt: r.last_attempt as number | null, lastOutcome: r.last_outcome as string | null,
      lastErrorCode: r.last_error_code as number | null, lastStartedAt: r.last_started_at === null ? null : String(r.last_started_at), lastAgeMs: r.last_age_ms as number | null,
      slot: `${r.id as string}.${randomBytes(4).toString('hex')}`,
    }));
  }

  /**
   * queued → sending, and an attempt recorded as `pending` for each, atomically (one statement):
   * only the messages still queued are claimed. Returns the attempts by message id. Unprepared,
   * as loadMany: its lookup of the last attempt must not keep a plan made for an empty table.
   */
  async claimMany(tenantId: string, ids: string[]): Promise<Map<string, Attempt>> {
    const rows = await this.db.execute<{ id: string; message_id: string; attempt: number }>(sql`
      with claimed as (
        update messages set status = 'sending', updated_at = now()
        where id = any(${pgArray(ids)}::uuid[]) and tenant_id = ${tenantId} and status = 'queued'
        returning id, tenant_id
      )
      insert into message_attempts (tenant_id, message_id, attempt, outcome)
      select c.tenant_id, c.id, coalesce((select max(x.attempt) from message_attempts x where x.message_id = c.id), 0) + 1, 'pending' from claimed c
      returning id, message_id, attempt`);
    return new Map(rows.map((r) => [r.message_id, { id: r.id, attempt: r.attempt }]));
  }

  async transientRetries(row: Pick<Loaded, 'id'>): Promise<number> {
    const [r] = await this.db.execute<{ n: number }>(sql`
      select count(*)::int as n from message_attempts
      where message_id = ${row.id} and outcome = 'retry' and (error_code is null or error_code not in ${sql.raw(`(${RATE_LIMIT_CODES.join(',')})`)})`);
    return r?.n ?? 0;
  }

  /**
   * Meta took the message: it gets its wamid and `sent`. `from` are the statuses it may be in; a
   * late answer for a message already declared `unknown` is still the truth, so that one is always
   * allowed. Returns whether the message moved.
   */
  async recordSent(row: Pick<Loaded, 'id'>, attempt: Attempt, wamid: string, from: ('sending' | 'queued')[] = ['sending'], note: string | null = null): Promise<boolean> {
    const statuses = sql.join([...from, 'unknown'].map((s) => sql`${s}`), sql`, `);
    return retrying(() => this.db.transaction(async (tx) => {
      await lockWamids(tx, [wamid]);
      const updated = await tx.execute<{ id: string }>(sql`
        with a as (update message_attempts set outcome = 'sent', wamid = ${wamid}, finished_at = coalesce(finished_at, now()), error_message = coalesce(${note}, error_message) where id = ${attempt.id})
        update messages set status = 'sent', wamid = ${wamid}, sent_at = coalesce(sent_at, now()), error_code = null, error_title = null, error_detail = null, updated_at = now()
        where id = ${row.id} and status in (${statuses})
        returning id`);
      if (updated.length > 0) await applyPendingStatuses(tx, [wamid]);
      return updated.length > 0;
    }));
  }

  /**
   * Records many accepted sends in one transaction, under the wamids' locks (see lockWamids). The
   * statuses Meta may already have reported for them (its `sent` can beat our write of the
   * answer) are applied after, under the locks again; most batches have none.
   */
  async recordSentMany(sent: { row: Pick<Loaded, 'id'>; attempt: Attempt; wamid: string }[]): Promise<void> {
    if (sent.length === 0) return;
    const wamids = sent.map((s) => s.wamid);
    const recorded = await retrying(() => this.sql.begin(async (tx) => {
      await executePrepared(tx, wamidLocksSql(wamids));
      return tx<{ wamid: string; has_status: boolean }[]>`
        with v (id, attempt_id, wamid) as (select * from unnest(${pgArray(sent.map((s) => s.row.id))}::uuid[], ${pgArray(sent.map((s) => s.attempt.id))}::uuid[], ${pgArray(wamids)}::text[])),
             a as (update message_attempts x set outcome = 'sent', wamid = v.wamid, finished_at = now() from v where x.id = v.attempt_id)
        update messages m set status = 'sent', wamid = v.wamid, sent_at = coalesce(m.sent_at, now()), error_code = null, error_title = null, error_detail = null, updated_at = now()
        from v where m.id = v.id and m.status in ('sending', 'unknown')
        returning m.wamid, exists (select 1 from message_status_events e where e.wamid = m.wamid) as has_status`;
    }));
    const reported = recorded.filter((r) => r.has_status).map((r) => r.wamid);
    if (reported.length > 0) {
      await retrying(() => this.db.transaction(async (tx) => {
        await lockWamids(tx, reported);
        await applyPendingStatuses(tx, reported);
      }));
    }
  }

  /** The attempt ends `retry` (with Meta's error) and the message goes back to `queued`. */
  async recordRetry(row: Pick<Loaded, 'id'>, attempt: Attempt, error: { code: number; description: string }): Promise<void> {
    await retrying(() => this.db.execute(sql`
      with a as (update message_attempts set outcome = 'retry', error_code = ${error.code}, error_message = ${error.description}, finished_at = now() where id = ${attempt.id})
      update messages set status = 'queued', updated_at = now() where id = ${row.id} and status = 'sending'`));
  }

  /** The message fails, with its message.failed tenant webhook in the same transaction; returns the deliveries to enqueue. */
  async recordFailed(row: Pick<Loaded, 'id'>, attempt: Attempt | null, failure: Failure): Promise<RecordedDelivery[]> {
    return retrying(() => this.db.transaction(async (tx) => {
      const [failed] = await tx.execute<{ id: string; tenant_id: string; instance_id: string | null; contact_id: string | null; wamid: string | null; wa_id: string | null }>(sql`
        with a as (update message_attempts set outcome = 'failed', error_code = ${failure.code}, error_message = ${failure.title}, finished_at = now() where id = ${attempt?.id ?? null})
        update messages m set status = 'failed', failed_at = now(), error_code = ${failure.code}, error_title = ${failure.title}, error_detail = ${failure.detail}, updated_at = now()
        where id = ${row.id} and status in ('queued', 'sending')
        returning m.id, m.tenant_id, m.instance_id, m.contact_id, m.wamid, (select wa_id from contacts c where c.id = m.contact_id) as wa_id`);
      if (!failed) return [];
      return recordWebhookEvents(tx, [{
        tenantId: failed.tenant_id, instanceId: failed.instance_id, type: 'message.failed', sourceKey: `message.failed:${failed.id}`, lane: failed.contact_id,
        data: {
          messageId: failed.id, wamid: failed.wamid, instanceId: failed.instance_id, contact: { id: failed.contact_id, waId: failed.wa_id },
          status: 'failed', occurredAt: new Date().toISOString(), errorCode: failure.code, errorTitle: failure.title,
        },
      }]);
    }));
  }

  async recordUnknown(row: Pick<Loaded, 'id'>, attempt: Attempt, why: string): Promise<void> {
    await retrying(() => this.db.execute(sql`
      with a as (update message_attempts set outcome = 'unknown', error_message = ${why}, finished_at = now() where id = ${attempt.id} and outcome = 'pending')
      update messages set status = 'unknown', updated_at = now() where id = ${row.id} and status = 'sending'`));
  }

  /**
   * Whether every webhook received until now has been processed (its statuses stored), so a status
   * Meta sent before now is in message_status_events. Reads the unfinished events' partial index.
   */
  async webhooksCaughtUp(): Promise<boolean> {
    const [r] = await this.db.execute<{ behind: boolean }>(sql`
      select exists (select 1 from webhook_events where state in ('received', 'processing', 'failed') and received_at < now()) as behind`);
    return !r?.behind;
  }

  /** `sending` without a pending attempt cannot come from a claim (one statement): back to `queued`. */
  async putBackQueued(row: Pick<Loaded, 'id'>): Promise<void> {
    await this.db.execute(sql`update messages set status = 'queued', updated_at = now() where id = ${row.id} and status = 'sending'`);
  }

  /** Pauses every send of a number; false when it already was (another worker paused it, and alerted). */
  async pauseNumber(row: Pick<Loaded, 'numberRowId'>): Promise<boolean> {
    const paused = await this.db.execute<{ id: string }>(sql`update phone_numbers set status = 'paused', updated_at = now() where id = ${row.numberRowId} and status <> 'paused' returning id`);
    return paused.length > 0;
  }

  /** Stops a campaign that got its number flagged for spam. By SQL: outbound sits below campaigns and imports nothing of it. */
  async pauseCampaign(campaignId: string): Promise<void> {
    await this.db.execute(sql`update campaigns set state = 'paused' where id = ${campaignId} and state in ('queued', 'running')`);
  }
}

/** Writes after Meta answered are retried briefly: losing one would lose what Meta told us. */
async function retrying<T>(write: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i));
    }
  }
}
