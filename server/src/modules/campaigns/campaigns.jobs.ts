import { DelayedError, type Job, type Queue } from 'bullmq';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { JobDefinition, JobDeps, SweepDefinition } from '../../queue/job-types.js';
import { JobName } from '../../queue/names.js';
import { Topics } from '../../graphql/pubsub.js';
import { messages, type MessageStatus } from '../messages/messages.table.js';
import { enqueueBatch, enqueueBatches, type SendBatchJob } from '../outbound/outbound.queue.js';
import { sendLimiter, type SendLimiter } from '../outbound/outbound.limiter.js';
import { campaigns, type CampaignRow, type CampaignState } from './campaigns.table.js';
import { recordWebhookEvents, type NewTenantWebhookEvent } from '../tenant-webhooks/tenant-webhooks.events.js';
import { enqueueDeliveries } from '../tenant-webhooks/tenant-webhooks.jobs.js';

// One `campaign` job per campaign, on the outbound queue. It enqueues the campaign's messages
// (once; again after a crash, which makes no second job: batch jobs are named by their first
// message), then stays
// alive as the campaign's progress ticker: every second it counts the messages by status, publishes
// the counts when they changed, and marks the campaign completed once nothing is left to send. It
// keeps ticking a while after that, because delivered and read statuses keep arriving.

/** One campaign to run; `tenantId` scopes every read. */
export interface CampaignJob {
  tenantId: string;
  campaignId: string;
}

export const CAMPAIGN_TICK_MS = 1_000;
const PAUSED_TICK_MS = 3_000;
/** How long progress is still reported after a campaign finished. */
export const CAMPAIGN_TAIL_MS = 2 * 60_000;
const ENQUEUE_PAGE = 5_000;

export function campaignJobId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

export async function enqueueCampaignJob(queue: Queue, job: CampaignJob): Promise<void> {
  await queue.add(JobName.Campaign, job, { jobId: campaignJobId(job.campaignId), removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 }, attempts: 20, backoff: { type: 'exponential', delay: 1_000 } });
}

/** Per-status counts of a campaign's messages. */
export interface CampaignCounts {
  total: number;
  queued: number;
  sending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  unknown: number;
}

/** What the campaignProgress subscription carries; published on Redis, so plain JSON. */
export interface CampaignProgressPayload extends CampaignCounts {
  tenantId: string;
  campaignId: string;
  state: CampaignState;
  updatedAt: string;
}

export async function countCampaign(db: Pick<Database, 'select'>, campaign: Pick<CampaignRow, 'id' | 'tenantId'>): Promise<CampaignCounts> {
  const rows = await db.select({ status: messages.status, n: sql<number>`count(*)::int` }).from(messages)
    .where(and(eq(messages.campaignId, campaign.id), eq(messages.tenantId, campaign.tenantId))).groupBy(messages.status);
  const counts: CampaignCounts = { total: 0, queued: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, unknown: 0 };
  for (const r of rows) {
    counts.total += r.n;
    if (r.status in counts && r.status !== ('total' as MessageStatus)) counts[r.status as Exclude<keyof CampaignCounts, 'total'>] += r.n;
  }
  return counts;
}

export function progressPayload(campaign: Pick<CampaignRow, 'id' | 'tenantId' | 'state'>, counts: CampaignCounts): CampaignProgressPayload {
  return { tenantId: campaign.tenantId, campaignId: campaign.id, state: campaign.state, ...counts, updatedAt: new Date().toISOString() };
}

/** A tenant webhook: the campaign ended (completed, or cancelled by a person) with these counts. */
export function campaignFinishedEvent(campaign: Pick<CampaignRow, 'id' | 'tenantId' | 'instanceId' | 'name' | 'state' | 'finishedAt'>, counts: CampaignCounts | null): NewTenantWebhookEvent {
  return {
    tenantId: campaign.tenantId, instanceId: campaign.instanceId, type: 'campaign.finished', sourceKey: `campaign.finished:${campaign.id}`, lane: null,
    data: { campaignId: campaign.id, instanceId: campaign.instanceId, name: campaign.name, state: campaign.state, finishedAt: campaign.finishedAt ? new Date(campaign.finishedAt).toISOString() : null, counts },
  };
}

export const campaignJob: JobDefinition<CampaignJob> = {
  name: JobName.Campaign,
  handler: (deps) => (job, token) => runCampaignJob(deps, job, token),
};

async function runCampaignJob(deps: JobDeps, job: Job<CampaignJob>, token?: string): Promise<unknown> {
  const db = deps.db;
  const load = async () => (await db.select().from(campaigns).where(and(eq(campaigns.id, job.data.campaignId), eq(campaigns.tenantId, job.data.tenantId))))[0];
  let campaign = await load();
  if (!campaign) return { outcome: 'missing' };

  if (campaign.state === 'queued') {
    await enqueueQueuedMessages(db, deps.queues.outbound, sendLimiter(deps), campaign);
    await db.update(campaigns).set({ state: 'running', startedAt: sql`coalesce(${campaigns.startedAt}, now())` })
      .where(and(eq(campaigns.id, campaign.id), eq(campaigns.state, 'queued')));
    campaign = (await load())!;
  }

  const counts = await countCampaign(db, campaign);
  if (campaign.state === 'running' && counts.queued === 0 && counts.sending === 0) {
    // Completed and its campaign.finished webhook in one transaction: neither without the other.
    const { done, deliveries } = await db.transaction(async (tx) => {
      const [row] = await tx.update(campaigns).set({ state: 'completed', finishedAt: new Date() })
        .where(and(eq(campaigns.id, campaign.id), eq(campaigns.state, 'running'))).returning();
      if (!row) return { done: undefined, deliveries: [] };
      return { done: row, deliveries: await recordWebhookEvents(tx, [campaignFinishedEvent(row, counts)]) };
    });
    if (done) campaign = done;
    await enqueueDeliveries(deps.queues['tenant-webhooks'], deliveries).catch((error: Error) => deps.log.warn({ err: error }, 'tenant webhooks: enqueue failed; the sweep will enqueue them'));
  }
  await publishIfChanged(deps, campaign, counts);

  const finishedLongAgo = campaign.finishedAt !== null && Date.now() - new Date(campaign.finishedAt).getTime() > CAMPAIGN_TAIL_MS;
  if (finishedLongAgo) return { outcome: campaign.state, ...counts };
  await job.moveToDelayed(Date.now() + (campaign.state === 'paused' ? PAUSED_TICK_MS : CAMPAIGN_TICK_MS), token);
  throw new DelayedError('campaign progress: next tick');
}

/**
 * Enqueues every unsent message of a campaign, in batches, behind conversational sends, on its
 * number's schedule: each batch comes due at the turns the limiter reserved for it, so a backlog
 * reaches the workers at the number's rate instead of all at once. `sending` ones are included:
 * after a Redis loss their jobs are gone too, and a job for a send that is still in flight only
 * waits out its lease and finds it done.
 *
 * An enqueueing after the first (`suffix`: a resume, a sweep) makes fresh batches even for
 * messages whose earlier batch still waits (a quick pause and resume): that earlier batch sends
 * them in its turn and the fresh one finds them done, so nothing leaves twice, but the fresh
 * batches' turns were reserved for nothing and the number's next campaign starts that much later.
 */
export async function enqueueQueuedMessages(db: Database, queue: Queue, limiter: SendLimiter, campaign: Pick<CampaignRow, 'id' | 'tenantId'>, suffix?: string): Promise<number> {
  const [number] = await db.execute<{ phone_number_id: string; throughput_tier: number }>(sql`
    select p.phone_number_id, p.throughput_tier from campaigns c join instances i on i.id = c.instance_id join phone_numbers p on p.id = i.phone_number_id
    where c.id = ${campaign.id} and c.tenant_id = ${campaign.tenantId}`);
  if (!number) return 0;
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const page: { id: string }[] = await db.select({ id: messages.id }).from(messages)
      .where(and(eq(messages.campaignId, campaign.id), eq(messages.tenantId, campaign.tenantId), inArray(messages.status, ['queued', 'sending']), after ? gt(messages.id, after) : undefined))
      .orderBy(asc(messages.id)).limit(ENQUEUE_PAGE);
    if (page.length === 0) return total;
    const tier = Number(number.throughput_tier);
    const firstMs = await limiter.reserveTurns(number.phone_number_id, tier, page.length);
    await enqueueBatches(queue, { tenantId: campaign.tenantId, campaignId: campaign.id }, page.map((m) => m.id), tier, { firstMs, everyMs: limiter.windowMs / tier }, suffix);
    total += page.length;
    after = page[page.length - 1].id;
  }
}

async function publishIfChanged(deps: JobDeps, campaign: CampaignRow, counts: CampaignCounts): Promise<void> {
  const key = `${deps.queues.prefix}:campaign:${campaign.id}:progress`;
  const fingerprint = JSON.stringify([campaign.state, counts]);
  const previous = await deps.redis.getset(key, fingerprint);
  await deps.redis.pexpire(key, CAMPAIGN_TAIL_MS * 2);
  if (previous === fingerprint) return;
  deps.publisher.publish(Topics.CampaignProgress, progressPayload(campaign, counts));
}

/**
 * Campaign messages whose batch Redis lost, or whose batch failed for good. A campaign's messages
 * wait in batch jobs named by their first message, so their loss shows through the campaign's own
 * job instead, which lives as long as the campaign is unfinished: when it is gone, the campaign's
 * queued messages are enqueued again on the number's schedule, with a new ticker. While it lives,
 * a batch that failed for good (out of attempts) is found in the failed set. Returns how many
 * messages were enqueued.
 */
export const requeueStaleCampaignsSweep: SweepDefinition = {
  name: 'campaigns: re-enqueue lost batches',
  run: (deps) => requeueStaleCampaigns(deps, deps.env.OUTBOUND_SWEEP_AFTER_MS),
};

export async function requeueStaleCampaigns(deps: Pick<JobDeps, 'db' | 'queues' | 'redis' | 'env'>, olderThanMs: number, limit = 2_000): Promise<number> {
  const queue = deps.queues.outbound;
  const stale = await deps.db.execute<{ id: string; tenant_id: string; campaign_id: string; campaign_state: string }>(sql`
    select m.id, m.tenant_id, m.campaign_id, c.state as campaign_state
    from messages m
    join phone_numbers p on p.id = m.phone_number_id
    join campaigns c on c.id = m.campaign_id
    where m.status in ('queued', 'sending') and m.direction = 'outbound' and m.campaign_id is not null
      and m.updated_at < now() - (${olderThanMs} * interval '1 millisecond')
      and p.status <> 'paused' and c.state in ('running', 'queued')
    order by m.updated_at limit ${limit}`);
  if (stale.length === 0) return 0;
  let requeued = 0;
  const campaignsOf = new Map(stale.map((m) => [m.campaign_id, m]));
  const ticking = new Set<string>();
  for (const [campaignId, { tenant_id: tenantId, campaign_state: state }] of campaignsOf) {
    if (await deps.redis.exists(queue.toKey(campaignJobId(campaignId)))) {
      ticking.add(campaignId);
      continue;
    }
    // A campaign that never started enqueues its messages itself, once its job runs.
    if (state === 'running') requeued += await enqueueQueuedMessages(deps.db, queue, sendLimiter(deps), { id: campaignId, tenantId }, `s${Date.now()}`);
    await enqueueCampaignJob(queue, { tenantId, campaignId });
  }
  if (ticking.size > 0) requeued += await requeueFailedBatches(queue, new Set(stale.filter((m) => ticking.has(m.campaign_id)).map((m) => m.id)));
  return requeued;
}

/**
 * Campaign batches in the failed set that still hold some of `staleIds`: each is replaced by a
 * batch of those messages, due now (the limiter paces it like any other). Only looked for when a
 * ticking campaign has stale messages, which healthy campaigns do not. Returns the messages enqueued.
 */
async function requeueFailedBatches(queue: Queue, staleIds: Set<string>): Promise<number> {
  const PAGE = 500;
  let requeued = 0;
  const failed: Job<SendBatchJob>[] = [];
  // Pages of the failed set, newest first; replacing a batch removes it, so the whole set is read first.
  for (let start = 0; ; start += PAGE) {
    const page = await queue.getFailed(start, start + PAGE - 1);
    failed.push(...page.filter((job) => job?.name === JobName.SendBatch));
    if (page.length < PAGE) break;
  }
  for (const job of failed) {
    const messageIds = (job.data.messageIds ?? []).filter((id) => staleIds.has(id));
    if (messageIds.length === 0) continue;
    // Named after the failed batch (its creation time): two sweeps replacing it at once make one
    // job. Added before the failed one is removed, so a crash in between loses nothing.
    await enqueueBatch(queue, { ...job.data, messageIds }, `f${job.timestamp}`);
    await job.remove().catch(() => {}); // another sweep removed it first
    requeued += messageIds.length;
  }
  return requeued;
}
