import type { Queue } from 'bullmq';
import { enqueueDeliveries } from '../tenant-webhooks/tenant-webhooks.jobs.js';
import type postgres from 'postgres';
import type { Database } from '../../db/client.js';
import type { Publisher } from '../../graphql/pubsub.js';
import type { Logger } from '../../lib/logger.js';
import { decryptSecret } from '../../lib/secrets.js';
import { Semaphore } from '../../lib/semaphore.js';
import { isMetaApiError, MetaNetworkError, NETWORK_CONNECTION_CODE, type GraphClient, type MessageContent, type MetaApiError } from '../../meta/index.js';
import { emptyActivity, publishActivity } from '../activity/activity.publisher.js';
import { SendAttempts, type Attempt, type FailedMessage, type Failure, type Loaded } from './outbound.attempts.js';
import { MAX_TRANSIENT_RETRIES, onSendError } from './outbound.error-policy.js';
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
//     outbound.reconcile.ts). Found: the message takes that wamid and moves on. Not found, once every
//     webhook received is processed: Meta never got it, and it is sent again. Not found while webhooks
//     wait, it waits; after UNKNOWN_AFTER_MS or MAX_TRANSIENT_RETRIES interruptions the
//     attempt and the message become `unknown`, are counted (outboundStats), and are NEVER sent
//     again; the sweeper keeps reconciling them as late statuses arrive.
//   - No answer while the worker lives (timeout, dropped connection): retried with backoff, as
//     meta-errors.ts asks, but the retry waits at least NETWORK_RETRY_MIN_MS and first looks for
//     the same evidence, so a message Meta did take (and reported) is adopted, not resent. Only a
//     message Meta accepted without any status reaching us within that wait could go twice.
/** Noted on an attempt cut off by a dead worker that Meta, by its statuses, never received. */
export const INTERRUPTED_UNSENT = 'the worker stopped during the call to Meta; no status from Meta for it once every webhook since was processed, so Meta never got it: sent again';
/** An interrupted send still without evidence either way this long after its call began stays `unknown`. */
const UNKNOWN_AFTER_MS = 10 * 60_000;
/** A send that waited this long for a Graph connection renews its limiter lease before it goes. */
const RENEW_AFTER_WAIT_MS = 1_000;

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
  /** Where tenant webhook deliveries go (message.failed); without it the sweep enqueues them. */
  webhookQueue?: Queue;
}

export class OutboundSender {
  /**
   * Sends on the wire: one per Graph connection. A send is claimed only once it holds one, so a
   * worker never has claimed sends waiting in the HTTP pool, which a crash would leave `unknown`
   * although they never reached Meta.
   */
  private readonly onTheWire: Semaphore;
  private readonly attempts: SendAttempts;

  constructor(private readonly deps: SenderDeps) {
    this.onTheWire = new Semaphore(deps.graph.connections);
    this.attempts = new SendAttempts(deps.db, deps.sql);
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
    const rows = await this.attempts.loadMany(tenantId, ids);
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
      attempts = await this.attempts.claimMany(tenantId, granted.map((r) => r.id));
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
    await this.recordSent(sent);
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
        return this.adopt(row, { id: row.lastAttemptId, attempt: row.lastAttempt! }, wamid, ['queued']);
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
        return this.adopt(row, attempt, wamid, ['sending']);
      }
      // No status for it, a lease after the call began. If every webhook received so far is
      // processed, Meta's `sent` would be here had it taken the message: it never reached Meta, and
      // goes again (as a send retried after a network error does). While webhooks are still being
      // processed the evidence may be among them: wait. Repeated interruptions, or a backlog that
      // never clears, end `unknown`, never sent again.
      const interrupted = await this.attempts.transientRetries(row);
      if (interrupted < MAX_TRANSIENT_RETRIES && (row.lastAgeMs ?? 0) < UNKNOWN_AFTER_MS) {
        if (await this.attempts.webhooksCaughtUp()) {
          await this.attempts.recordRetry(row, attempt, { code: NETWORK_CONNECTION_CODE, description: INTERRUPTED_UNSENT });
          return null;
        }
        return { outcome: 'delay', ms: 2_000, reason: 'in_flight' };
      }
      await this.recordUnknown(row, attempt, 'the worker stopped during the call to Meta and its answer was never seen; not sent again, to avoid a duplicate');
      return { outcome: 'unknown' };
    }
    await this.attempts.putBackQueued(row);
    return null;
  }

  /** Carries out what the error policy (outbound.error-policy.ts) decides for Meta's answer. */
  private async onError(row: Loaded, attempt: Attempt, error: MetaApiError): Promise<SendResult> {
    const { limiter } = this.deps;
    const transientRetries = error.kind === 'transient' || error.kind === 'network' ? await this.attempts.transientRetries(row) : 0;
    const decision = onSendError({ kind: error.kind, code: error.code, backoffMs: error.backoffMs, transientRetries, recipientGapMs: limiter.recipientGapMs, inCampaign: row.campaignId !== null });
    const failure = { code: error.code, title: error.message, detail: error.details ?? null };
    const retry = { code: error.code, description: describe(error) };
    switch (decision.action) {
      case 'back_off_number':
        await limiter.release(row.metaNumberId, row.waId, row.slot, decision.release);
        await limiter.backOffNumber(row.metaNumberId, decision.backoffMs);
        await this.attempts.recordRetry(row, attempt, retry);
        return { outcome: 'delay', ms: decision.delayMs + jitter(decision.jitterMs), reason: 'number_backoff' };
      case 'delay_recipient':
        await limiter.release(row.metaNumberId, row.waId, row.slot, decision.release, decision.recipientPauseMs);
        await this.attempts.recordRetry(row, attempt, retry);
        return { outcome: 'delay', ms: decision.delayMs + jitter(decision.jitterMs), reason: 'recipient' };
      case 'retry':
        await limiter.release(row.metaNumberId, row.waId, row.slot, decision.release);
        await this.attempts.recordRetry(row, attempt, retry);
        return { outcome: 'delay', ms: decision.delayMs + jitter(decision.jitterMs), reason: 'retry' };
      case 'pause_number':
        // The message goes back to the queue; resumePhoneNumber restarts the number's sends.
        await limiter.release(row.metaNumberId, row.waId, row.slot, decision.release);
        await this.attempts.recordRetry(row, attempt, retry);
        if (await this.attempts.pauseNumber(row)) {
          this.alert(row, 'NUMBER_PAUSED', `sends from ${row.displayPhoneNumber} are paused: Meta refused its access token (${describe(error)}). Fix the token, then run resumePhoneNumber.`);
        }
        return { outcome: 'skipped', why: 'number_paused' };
      case 'fail':
        await limiter.release(row.metaNumberId, row.waId, row.slot, decision.release);
        await this.recordFailed(row, attempt, { ...failure, title: `${failure.title}${decision.titleSuffix ?? ''}` });
        if (decision.pauseCampaign && row.campaignId) await this.attempts.pauseCampaign(row.campaignId);
        if (decision.alert) this.alert(row, `POLICY_LIMIT_${error.code}`, `Meta refused a message from ${row.displayPhoneNumber}: ${describe(error)}${decision.pauseCampaign ? '; its campaign is paused' : ''}`);
        return { outcome: 'failed', code: error.code };
    }
  }

  /** Fails a message and tells the live feed. */
  async recordFailed(row: FailedMessage, attempt: Attempt | null, failure: Failure): Promise<void> {
    const deliveries = await this.attempts.recordFailed(row, attempt, failure);
    if (this.deps.webhookQueue) await enqueueDeliveries(this.deps.webhookQueue, deliveries).catch((error: Error) => this.deps.log.warn({ err: error }, 'tenant webhooks: enqueue failed; the sweep will enqueue them'));
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'status', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId, wabaId: row.wabaId,
      messageId: row.id, contactWaId: row.waId, messageType: row.type, status: 'failed', summary: `failed: ${failure.code !== null ? `(#${failure.code}) ` : ''}${failure.title}`,
    }]);
  }

  private async recordUnknown(row: Loaded, attempt: Attempt, why: string): Promise<void> {
    await this.attempts.recordUnknown(row, attempt, why);
    publishActivity(this.deps.publisher, [{
      ...emptyActivity(), kind: 'status', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId, wabaId: row.wabaId,
      messageId: row.id, contactWaId: row.waId, messageType: row.type, status: 'unknown', summary: `outcome unknown: ${why}`,
    }]);
  }

  /** Records sends Meta accepted, then tells the live feed. */
  private async recordSent(sent: { row: Loaded; attempt: Attempt; wamid: string }[]): Promise<void> {
    await this.attempts.recordSentMany(sent);
    publishActivity(this.deps.publisher, sent.map(({ row, wamid }) => ({
      ...emptyActivity(), kind: 'outbound_message' as const, direction: 'out' as const, tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId,
      wabaId: row.wabaId, messageId: row.id, wamid, contactWaId: row.waId, messageType: row.type, status: 'sent', summary: summaryOf(row),
    })));
  }

  /** A message whose answer was lost but whose status shows Meta took it: it takes that wamid. */
  private async adopt(row: Loaded, attempt: Attempt, wamid: string, from: ('sending' | 'queued')[]): Promise<SendResult> {
    if (await this.attempts.recordSent(row, attempt, wamid, from, RECOGNISED)) {
      publishActivity(this.deps.publisher, [{
        ...emptyActivity(), kind: 'outbound_message', direction: 'out', tenantId: row.tenantId, instanceId: row.instanceId, phoneNumberId: row.metaNumberId,
        wabaId: row.wabaId, messageId: row.id, wamid, contactWaId: row.waId, messageType: row.type, status: 'sent', summary: summaryOf(row),
      }]);
    }
    return { outcome: 'sent', wamid };
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
