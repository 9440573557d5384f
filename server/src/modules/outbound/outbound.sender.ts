import { and, eq, inArray, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { executePrepared, type Database } from '../../db/client.js';
import { decryptSecret, type EncryptedSecret } from '../../lib/secrets.js';
import { pgArray } from '../../lib/sql.js';
import { Semaphore } from '../../lib/semaphore.js';
import { isMetaApiError, MetaNetworkError, type GraphClient, type MessageContent, type MetaApiError } from '../../meta/index.js';
import { emptyActivity, publishActivity } from '../activity/activity.publisher.js';
import type { Publisher } from '../../graphql/pubsub.js';
import type { Logger } from '../../lib/logger.js';
import { contacts } from '../contacts/contacts.table.js';
import { applyPendingStatuses, lockWamids, wamidLocksSql } from '../messages/message-status.js';
import { messages, type MessageStatus } from '../messages/messages.table.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import type { SendLimiter, WaitReason } from './outbound.limiter.js';
import { RECOGNISED, findSendEvidence } from './outbound.reconcile.js';
import type { SendMessageJob } from './outbound.queue.js';

// One send, from a queued message to Meta's answer, and what each answer means. The worker job
// (outbound.jobs.ts) calls `send` and turns a `delay` into a BullMQ delayed job.
//
// No double sends. The order is: limiter slot → claim (queued → sending, and an attempt row with
// outcome `pending`, in ONE statement) → call Meta → record the outcome. So every call to Meta has
// a `pending` attempt written before it, and a worker that dies mid-call leaves that attempt behind.
//
// Policy for calls whose answer was never seen:
//   - Worker died mid-call (a later run finds the message `sending` with a `pending` attempt):
//     while the attempt is younger than the lease (Graph timeout + margin) the call may still be in
//     flight in another process, so the job waits the lease out. Then it looks for evidence that
//     Meta accepted it (a status webhook carrying our message id as biz_opaque_callback_data, or
//     the one unclaimed status for that recipient since the attempt started; see
//     outbound.reconcile.ts). Found: the message takes that wamid and moves on. Not found: the
//     attempt and the message become `unknown`, are counted (outboundStats), and are NEVER sent
//     again; the sweeper keeps reconciling them as late statuses arrive.
//   - No answer while the worker lives (timeout, dropped connection): retried with backoff, as
//     meta-errors.ts asks, but the retry waits at least NETWORK_RETRY_MIN_MS and first looks for
//     the same evidence, so a message Meta did take (and reported) is adopted, not resent. Only a
//     message Meta accepted without any status reaching us within that wait could go twice.
export const MAX_TRANSIENT_RETRIES = 8;
/** Longest wait between two retries of a transient failure. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** A retry after a call that got no answer waits at least this long, for Meta's statuses to show whether it went. */
export const NETWORK_RETRY_MIN_MS = 3_000;
/** A send that waited this long for a Graph connection renews its limiter lease before it goes. */
const RENEW_AFTER_WAIT_MS = 1_000;
/** Meta error codes that are rate limits: their retries do not count toward MAX_TRANSIENT_RETRIES. */
const RATE_LIMIT_CODES = [130429, 131056, 190];

export type SendJobData = SendMessageJob;

export type SendResult =
  | { outcome: 'sent'; wamid: string }
  | { outcome: 'failed'; code: number | null }
  | { outcome: 'unknown' }
  | { outcome: 'delay'; ms: number; reason: WaitReason | 'retry' | 'in_flight' }
  | { outcome: 'skipped'; why: 'missing' | 'done' | 'number_paused' | 'campaign_paused' | 'claimed_elsewhere' };

export interface SenderDeps {
  db: Database;
  /**
   * The same database through postgres.js directly, for the statements every batch runs: its
   * tagged queries are prepared once per connection, where drizzle's parse and plan every time.
   */
  sql: postgres.Sql;
  graph: GraphClient;
  limiter: SendLimiter;
  publisher: Publisher;
  log: Logger;
  secretsKey: Buffer;
  systemToken: string;
}

/** A message with what a send needs: recipient, number (tier, status, token), campaign state, last attempt. */
interface Loaded {
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
interface Attempt { id: string; attempt: number }

export class OutboundSender {
  /**
   * Sends on the wire: one per Graph connection. A send is claimed only once it holds one, so a
   * worker never has claimed sends waiting in the HTTP pool, which a crash would leave `unknown`
   * although they never reached Meta.
   */
  private readonly onTheWire: Semaphore;

  constructor(private readonly deps: SenderDeps) {
    this.onTheWire = new Semaphore(deps.graph.connections);
  }

  async send(job: SendJobData): Promise<SendResult> {
    return (await this.sendMany(job.tenantId, [job.messageId])).get(job.messageId) ?? { outcome: 'skipped', why: 'missing' };
  }

  /**
   * Sends several messages of one tenant at once (a campaign batch is one number's): one query
   * loads them, one Lua call asks the limiter for all, one statement claims the granted ones, the
   * calls to Meta run concurrently, and one statement records the sent ones. Errors and recovery
   * are handled message by message. Returns what became of each message. `onSchedule`: the
   * messages already came due at turns reserved on their number's schedule (a campaign batch), so
   * they wait only for their slots to turn over, never for a new turn at the back of the schedule.
   */
  async sendMany(tenantId: string, ids: string[], options: { onSchedule?: boolean } = {}): Promise<Map<string, SendResult>> {
    const results = new Map<string, SendResult>();
    const rows = await this.loadMany(tenantId, ids);
    for (const id of ids) if (!rows.some((r) => r.id === id)) results.set(id, { outcome: 'skipped', why: 'missing' });
    const candidates: Loaded[] = [];
    for (const row of rows) {
      const early = await this.beforeSending(row);
      if (early) results.set(row.id, early);
      else candidates.push(row);
    }

    // Ask the limiter, number by number (a batch has one); sleep off waits of a few milliseconds.
    const { limiter } = this.deps;
    const granted: Loaded[] = [];
    for (const group of groupBy(candidates, (r) => r.metaNumberId).values()) {
      // A lone campaign send (a retry) takes a turn on the number's schedule; replies jump it, and a
      // batch is on it already (both wait only for free slots).
      const scheduled = !options.onSchedule && group.every((r) => r.campaignId !== null);
      let waiting = group;
      for (let round = 0; waiting.length > 0; round++) {
        const answers = await limiter.acquireMany(group[0].metaNumberId, group[0].tier, waiting.map((r) => ({ recipient: r.waId, token: r.slot })), scheduled);
        const next: Loaded[] = [];
        let longest = 0;
        waiting.forEach((row, i) => {
          const a = answers[i];
          if (a.granted) granted.push(row);
          else if (round < 3 && a.reason !== 'recipient' && a.waitMs <= limiter.shortWaitMs) {
            next.push(row);
            longest = Math.max(longest, a.waitMs);
          } else results.set(row.id, { outcome: 'delay', ms: a.waitMs, reason: a.reason });
        });
        // Each is told when its own slot frees: one sleep, until the last of them, covers them all.
        if (next.length > 0) await new Promise((r) => setTimeout(r, longest + 1));
        waiting = next;
      }
    }
    if (granted.length === 0) return results;

    const asked = performance.now();
    let permits = await this.onTheWire.acquire(granted.length);
    // Gives permits back, never more than this batch still holds.
    const giveBack = (n: number) => {
      const k = Math.max(0, Math.min(n, permits));
      permits -= k;
      if (k > 0) this.onTheWire.release(k);
    };
    // A slot's lease assumes its send leaves at once; after a long wait for a connection, renew
    // the leases, and give up the sends whose slot expired meanwhile (they ask again).
    if (performance.now() - asked > RENEW_AFTER_WAIT_MS) {
      const held = new Set<string>();
      for (const [number, rows] of groupBy(granted, (r) => r.metaNumberId)) {
        for (const slot of await limiter.renew(number, rows.map((r) => r.slot))) held.add(slot);
      }
      for (const row of granted.filter((r) => !held.has(r.slot))) results.set(row.id, { outcome: 'delay', ms: 1, reason: 'throughput' });
      granted.splice(0, granted.length, ...granted.filter((r) => held.has(r.slot)));
      giveBack(permits - granted.length);
      if (granted.length === 0) return results;
    }
    let attempts: Map<string, Attempt>;
    try {
      attempts = await this.claimMany(tenantId, granted.map((r) => r.id));
    } catch (error) {
      // Nothing went to Meta: the slots are free again (the job retries; a claim that did commit is
      // found `sending` then, and resolved as an interrupted send).
      giveBack(permits);
      await Promise.all(granted.map((r) => limiter.release(r.metaNumberId, r.waId, r.slot, 'refused')));
      throw error;
    }
    const sent: { row: Loaded; attempt: Attempt; wamid: string }[] = [];
    // Every answer Meta gave is recorded, even when handling another one failed (then the job fails
    // after, and its retry finds those messages done). A batch larger than the connection pool
    // holds the whole pool; each answer gives a permit back.
    const outcomes = await Promise.allSettled(granted.map((row) => this.sendOne(row, attempts.get(row.id), results, sent).finally(() => giveBack(1))));
    giveBack(permits);
    await this.recordSentMany(sent);
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    return results;
  }

  /** One claimed send: the call to Meta and what its answer means. */
  private async sendOne(row: Loaded, attempt: Attempt | undefined, results: Map<string, SendResult>, sent: { row: Loaded; attempt: Attempt; wamid: string }[]): Promise<void> {
    const { limiter } = this.deps;
    if (!attempt) {
      await limiter.release(row.metaNumberId, row.waId, row.slot, 'refused');
      results.set(row.id, { outcome: 'skipped', why: 'claimed_elsewhere' });
      return;
    }
    let wamid: string | undefined;
    let answeredAt: number;
    try {
      const body = { ...(row.payload as MessageContent), to: row.waId, biz_opaque_callback_data: row.id };
      const answer = await this.deps.graph.sendMessage(row.metaNumberId, body, this.tokenOf(row));
      answeredAt = performance.now();
      wamid = answer.messages?.[0]?.id;
    } catch (error) {
      const metaError = isMetaApiError(error) ? error : new MetaNetworkError('connection', `send failed before an answer: ${(error as Error).message}`, error);
      results.set(row.id, await this.onError(row, attempt, metaError));
      return;
    }
    if (!wamid) {
      // A 200 without a message id: Meta took the request, but we cannot track it. Not resent.
      await limiter.release(row.metaNumberId, row.waId, row.slot, 'unknown', 0, answeredAt);
      await this.recordUnknown(row, attempt, 'Meta answered without a message id');
      results.set(row.id, { outcome: 'unknown' });
      return;
    }
    // The slot's second starts at the answer: release before writing anything.
    await limiter.release(row.metaNumberId, row.waId, row.slot, 'accepted', 0, answeredAt);
    sent.push({ row, attempt, wamid });
    results.set(row.id, { outcome: 'sent', wamid });
  }

  /** What happens to a loaded message before it may be sent; null when it is to be sent now. */
  private async beforeSending(row: Loaded): Promise<SendResult | null> {
    if (row.status === 'sending') {
      const recovered = await this.recoverInterrupted(row);
      if (recovered) return recovered;
      row.status = 'queued';
    }
    if (row.status !== 'queued') return { outcome: 'skipped', why: 'done' };
    // The last call got no answer: Meta may have the message. Adopt it if a status says so.
    if (row.lastOutcome === 'retry' && row.lastErrorCode !== null && row.lastErrorCode < 0 && row.lastAttemptId) {
      const wamid = await findSendEvidence(this.deps.db, row, new Date(row.lastStartedAt!));
      if (wamid) {
        await this.recordSent(row, { id: row.lastAttemptId, attempt: row.lastAttempt! }, wamid, ['queued'], RECOGNISED);
        return { outcome: 'sent', wamid };
      }
    }
    // Paused number or campaign: the message stays queued; resuming enqueues it again.
    if (row.numberStatus === 'paused') return { outcome: 'skipped', why: 'number_paused' };
    if (row.campaignState === 'paused') return { outcome: 'skipped', why: 'campaign_paused' };
    if (row.campaignState === 'cancelled') {
      await this.recordFailed(row, null, { code: null, title: 'campaign cancelled', detail: null });
      return { outcome: 'failed', code: null };
    }
    return null;
  }

  /**
   * The messages with what a send needs: recipient, number (tier, status, token), campaign state,
   * last attempt. One query, unprepared (drizzle's execute) like claimMany's: a prepared
   * statement's generic plan, made while message_attempts was still empty, scans it for every
   * message; until an ANALYZE replaced it (autovacuum, minutes later at best), each batch read the
   * whole table (seen in the outbound bench: 40-80 ms a batch, half the throughput).
   */
  async loadMany(tenantId: string, ids: string[]): Promise<Loaded[]> {
    if (ids.length === 0) return [];
    const rows = await this.deps.db.execute<Record<string, unknown>>(sql`
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

  private tokenOf(row: Loaded): string {
    return row.accessToken ? decryptSecret(row.accessToken, this.deps.secretsKey) : this.deps.systemToken;
  }

  /**
   * The message is `sending`: either another process is calling Meta right now, or one died doing
   * so. Returns what to do, or null when the message can simply be sent (no attempt is pending).
   */
  private async recoverInterrupted(row: Loaded): Promise<SendResult | null> {
    if (row.lastOutcome === 'pending' && row.lastAttemptId) {
      const leaseMs = this.deps.limiter.leaseMs;
      if ((row.lastAgeMs ?? 0) < leaseMs) return { outcome: 'delay', ms: Math.ceil(leaseMs - (row.lastAgeMs ?? 0)) + 250, reason: 'in_flight' };
      const attempt = { id: row.lastAttemptId, attempt: row.lastAttempt! };
      const wamid = await findSendEvidence(this.deps.db, row, new Date(row.lastStartedAt!));
      if (wamid) {
        await this.recordSent(row, attempt, wamid, ['sending'], RECOGNISED);
        return { outcome: 'sent', wamid };
      }
      await this.recordUnknown(row, attempt, 'the worker stopped during the call to Meta and its answer was never seen; not sent again, to avoid a duplicate');
      return { outcome: 'unknown' };
    }
    // `sending` without a pending attempt cannot come from a claim (one statement); put it back.
    await this.deps.db.update(messages).set({ status: 'queued' }).where(and(eq(messages.id, row.id), eq(messages.status, 'sending')));
    return null;
  }

  /**
   * queued → sending, and an attempt recorded as `pending` for each, atomically (one statement):
   * only the messages still queued are claimed. Returns the attempts by message id. Unprepared,
   * as loadMany: its lookup of the last attempt must not keep a plan made for an empty table.
   */
  private async claimMany(tenantId: string, ids: string[]): Promise<Map<string, Attempt>> {
    const rows = await this.deps.db.execute<{ id: string; message_id: string; attempt: number }>(sql`
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

  private async onError(row: Loaded, attempt: Attempt, error: MetaApiError): Promise<SendResult> {
    const { limiter } = this.deps;
    const release = (outcome: 'refused' | 'unknown', pauseMs = 0) => limiter.release(row.metaNumberId, row.waId, row.slot, outcome, pauseMs);
    const failure = { code: error.code, title: error.message, detail: error.details ?? null };
    switch (error.kind) {
      case 'rate_limited_number': {
        // Meta counts traffic we cannot see (inbound messages): hold the whole number, every worker.
        const ms = error.backoffMs ?? 1_000;
        await release('refused');
        await limiter.backOffNumber(row.metaNumberId, ms);
        await this.recordRetry(row, attempt, error);
        return { outcome: 'delay', ms: ms + jitter(200), reason: 'number_backoff' };
      }
      case 'rate_limited_recipient': {
        // Only this recipient waits; the number's other sends go on.
        const ms = Math.max(error.backoffMs ?? 6_000, limiter.recipientGapMs);
        await release('refused', ms);
        await this.recordRetry(row, attempt, error);
        return { outcome: 'delay', ms: ms + jitter(200), reason: 'recipient' };
      }
      case 'transient':
      case 'network': {
        await release(error.kind === 'network' ? 'unknown' : 'refused');
        const retries = (await this.transientRetries(row)) + 1;
        if (retries > MAX_TRANSIENT_RETRIES) {
          await this.recordFailed(row, attempt, { ...failure, title: `${failure.title} (gave up after ${MAX_TRANSIENT_RETRIES} retries)` });
          return { outcome: 'failed', code: error.code };
        }
        await this.recordRetry(row, attempt, error);
        let ms = Math.min(MAX_BACKOFF_MS, (error.backoffMs ?? 1_000) * 2 ** (retries - 1));
        if (error.kind === 'network') ms = Math.max(ms, NETWORK_RETRY_MIN_MS);
        return { outcome: 'delay', ms: ms + jitter(ms / 10), reason: 'retry' };
      }
      case 'token': {
        // The credential is bad: every send of this number would fail the same way. Stop them all
        // (the message goes back to the queue) and tell the operator; resumePhoneNumber restarts.
        await release('refused');
        await this.recordRetry(row, attempt, error);
        await this.pauseNumber(row, error);
        return { outcome: 'skipped', why: 'number_paused' };
      }
      case 'policy_limited': {
        // Spam or marketing limits: more sends make it worse. Fail, tell the tenant, and stop the
        // campaign when Meta says the number is spamming (131048).
        await release('refused');
        await this.recordFailed(row, attempt, failure);
        if (error.code === 131048 && row.campaignId) {
          // The campaign's own state, by SQL: outbound sits below campaigns and imports nothing of it.
          await this.deps.db.execute(sql`update campaigns set state = 'paused' where id = ${row.campaignId} and state in ('queued', 'running')`);
        }
        this.alert(row, `POLICY_LIMIT_${error.code}`, `Meta refused a message from ${row.displayPhoneNumber}: ${describe(error)}${row.campaignId && error.code === 131048 ? '; its campaign is paused' : ''}`);
        return { outcome: 'failed', code: error.code };
      }
      case 'window_closed':
      case 'terminal':
      default:
        await release('refused');
        await this.recordFailed(row, attempt, failure);
        return { outcome: 'failed', code: error.code };
    }
  }

  private async transientRetries(row: Loaded): Promise<number> {
    const [r] = await this.deps.db.execute<{ n: number }>(sql`
      select count(*)::int as n from message_attempts
      where message_id = ${row.id} and outcome = 'retry' and (error_code is null or error_code not in ${sql.raw(`(${RATE_LIMIT_CODES.join(',')})`)})`);
    return r?.n ?? 0;
  }

  /**
   * Meta took the message: it gets its wamid and `sent`. `from` are the statuses it may be in; a
   * late answer for a message already declared `unknown` is still the truth, so that one is always allowed.
   */
  private async recordSent(row: Loaded, attempt: Attempt, wamid: string, from: ('sending' | 'queued')[] = ['sending'], note: string | null = null): Promise<void> {
    const statuses = sql.join([...from, 'unknown'].map((s) => sql`${s}`), sql`, `);
    await retrying(() => this.deps.db.transaction(async (tx) => {
      await lockWamids(tx, [wamid]);
      const updated = await tx.execute<{ id: string }>(sql`
        with a as (update message_attempts set outcome = 'sent', wamid = ${wamid}, finished_at = coalesce(finished_at, now()), error_message = coalesce(${note}, error_message) where id = ${attempt.id})
        update messages set status = 'sent', wamid = ${wamid}, sent_at = coalesce(sent_at, now()), error_code = null, error_title = null, error_detail = null, updated_at = now()
        where id = ${row.id} and status in (${statuses})
        returning id`);
      if (updated.length > 0) await applyPendingStatuses(tx, [wamid]);
    }));
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'outbound_message', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId,
      wabaId: row.wabaId, messageId: row.id, wamid, contactWaId: row.waId, messageType: row.type, status: 'sent', summary: summaryOf(row),
    }]);
  }

  /**
   * Records many accepted sends in one transaction, under the wamids' locks (see lockWamids), then
   * tells the live feed. The statuses Meta may already have reported for them (its `sent` can beat
   * our write of the answer) are applied after, under the locks again; most batches have none.
   */
  private async recordSentMany(sent: { row: Loaded; attempt: Attempt; wamid: string }[]): Promise<void> {
    if (sent.length === 0) return;
    const wamids = sent.map((s) => s.wamid);
    const recorded = await retrying(() => this.deps.sql.begin(async (tx) => {
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
      await retrying(() => this.deps.db.transaction(async (tx) => {
        await lockWamids(tx, reported);
        await applyPendingStatuses(tx, reported);
      }));
    }
    publishActivity(this.deps.publisher, sent.map(({ row, wamid }) => ({
      ...emptyActivity(), kind: 'outbound_message' as const, direction: 'out' as const, tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId,
      wabaId: row.wabaId, messageId: row.id, wamid, contactWaId: row.waId, messageType: row.type, status: 'sent', summary: summaryOf(row),
    })));
  }

  private async recordRetry(row: Loaded, attempt: Attempt, error: MetaApiError): Promise<void> {
    await retrying(() => this.deps.db.execute(sql`
      with a as (update message_attempts set outcome = 'retry', error_code = ${error.code}, error_message = ${describe(error)}, finished_at = now() where id = ${attempt.id})
      update messages set status = 'queued', updated_at = now() where id = ${row.id} and status = 'sending'`));
  }

  async recordFailed(row: Pick<Loaded, 'id' | 'tenantId' | 'instanceId' | 'metaNumberId' | 'wabaId' | 'waId' | 'type'>, attempt: Attempt | null, failure: { code: number | null; title: string; detail: string | null }): Promise<void> {
    await retrying(() => this.deps.db.execute(sql`
      with a as (update message_attempts set outcome = 'failed', error_code = ${failure.code}, error_message = ${failure.title}, finished_at = now() where id = ${attempt?.id ?? null})
      update messages set status = 'failed', failed_at = now(), error_code = ${failure.code}, error_title = ${failure.title}, error_detail = ${failure.detail}, updated_at = now()
      where id = ${row.id} and status in ('queued', 'sending')`));
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'status', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId, wabaId: row.wabaId,
      messageId: row.id, contactWaId: row.waId, messageType: row.type, status: 'failed', summary: `failed: ${failure.code !== null ? `(#${failure.code}) ` : ''}${failure.title}`,
    }]);
  }

  private async recordUnknown(row: Loaded, attempt: Attempt, why: string): Promise<void> {
    await retrying(() => this.deps.db.execute(sql`
      with a as (update message_attempts set outcome = 'unknown', error_message = ${why}, finished_at = now() where id = ${attempt.id} and outcome = 'pending')
      update messages set status = 'unknown', updated_at = now() where id = ${row.id} and status = 'sending'`));
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'status', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId, wabaId: row.wabaId,
      messageId: row.id, contactWaId: row.waId, messageType: row.type, status: 'unknown', summary: `outcome unknown: ${why}`,
    }]);
  }

  private async pauseNumber(row: Loaded, error: MetaApiError): Promise<void> {
    const paused = await this.deps.db.update(phoneNumbers).set({ status: 'paused' })
      .where(and(eq(phoneNumbers.id, row.numberRowId), sql`${phoneNumbers.status} <> 'paused'`)).returning({ id: phoneNumbers.id });
    if (paused.length === 0) return; // another worker already did (and alerted)
    this.alert(row, 'NUMBER_PAUSED', `sends from ${row.displayPhoneNumber} are paused: Meta refused its access token (${describe(error)}). Fix the token, then run resumePhoneNumber.`);
  }

  private alert(row: Loaded, status: string, summary: string): void {
    this.deps.log.warn({ tenantId: row.tenantId, phoneNumberId: row.metaNumberId, status }, summary);
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'account_update', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId,
      wabaId: row.wabaId, messageId: row.id, status, summary,
    }]);
  }
}

function summaryOf(row: Pick<Loaded, 'text' | 'type'>): string {
  const text = row.text ?? row.type;
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}

/** "(#code) message: details", without repeating the code when Meta's message already starts with it. */
function describe(error: MetaApiError): string {
  const message = error.message.startsWith(`(#${error.code})`) ? error.message : `(#${error.code}) ${error.message}`;
  return `${message}${error.details ? `: ${error.details}` : ''}`;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function jitter(maxMs: number): number {
  return Math.floor(Math.random() * maxMs);
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
