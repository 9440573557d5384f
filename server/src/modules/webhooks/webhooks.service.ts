import { and, desc, eq, isNull, lt, sql, count, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { pageSize, type Page, type PageRequest } from '../../lib/pagination.js';
import { assertOperator, tenantScope, type Viewer } from '../../graphql/viewer.js';
import type { Queues } from '../../queue/queues.js';
import { QueueName } from '../../queue/registry.js';
import { WEBHOOK_EVENT_STATES, unroutedEvents, webhookEvents, type WebhookEventRow, type WebhookEventState } from './webhooks.table.js';
import { paginate } from '../../lib/pagination.js';

// Webhook events are keyed by a bigint sequence: the cursor is the id, newest first.
function idCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}
function idAfter(after: string | null | undefined): number | null {
  if (!after) return null;
  const id = Number(Buffer.from(after, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id)) throw new ValidationError('after: not a cursor this API returned', 'after');
  return id;
}

export class WebhookService {
  constructor(private readonly db: Database, private readonly queues: Queues) {}

  /** Raw events; a tenant sees the events that concerned it. */
  async listEvents(viewer: Viewer, filter: { state?: string | null }, page: PageRequest): Promise<Page<WebhookEventRow>> {
    const scope = tenantScope(viewer);
    if (filter.state && !WEBHOOK_EVENT_STATES.includes(filter.state as WebhookEventState)) throw new ValidationError(`state: must be one of ${WEBHOOK_EVENT_STATES.join(', ')}`, 'state');
    const size = pageSize(page.first);
    const after = idAfter(page.after);
    const where: SQL | undefined = and(
      scope ? sql`${webhookEvents.tenantIds} @> array[${scope}]::uuid[]` : undefined,
      filter.state ? eq(webhookEvents.state, filter.state as WebhookEventState) : undefined,
    );
    const [rows, [total]] = await Promise.all([
      this.db.select().from(webhookEvents).where(and(where, after ? lt(webhookEvents.id, after) : undefined)).orderBy(desc(webhookEvents.id)).limit(size + 1),
      this.db.select({ n: count() }).from(webhookEvents).where(where),
    ]);
    const nodes = rows.slice(0, size);
    return { nodes, cursors: nodes.map((r) => idCursor(r.id)), hasNextPage: rows.length > size, hasPreviousPage: Boolean(after), totalCount: total.n };
  }

  async findEventOrFail(viewer: Viewer, id: string): Promise<WebhookEventRow> {
    const scope = tenantScope(viewer);
    const numeric = Number(id);
    if (!Number.isSafeInteger(numeric)) throw new NotFoundError('WebhookEvent', id);
    const [row] = await this.db.select().from(webhookEvents).where(and(eq(webhookEvents.id, numeric), scope ? sql`${webhookEvents.tenantIds} @> array[${scope}]::uuid[]` : undefined));
    if (!row) throw new NotFoundError('WebhookEvent', id);
    return row;
  }

  /** Processes a stored event again (operator). Safe by design: processing is idempotent. */
  async replay(viewer: Viewer, id: string): Promise<WebhookEventRow> {
    assertOperator(viewer);
    const event = await this.findEventOrFail(viewer, id);
    if (event.state === 'rejected') throw new ValidationError(`webhook event ${id} was rejected (${event.error}); there is nothing to process`, 'id');
    const [row] = await this.db.update(webhookEvents).set({ state: 'received', error: null, attempts: 0 }).where(eq(webhookEvents.id, event.id)).returning();
    await this.queues.webhooks.add('process', { tenantId: null, eventIds: [event.id] }, { jobId: `replay-${event.id}-${Date.now()}` });
    return row;
  }

  async listUnrouted(viewer: Viewer, filter: { includeResolved?: boolean | null }, page: PageRequest) {
    assertOperator(viewer);
    return paginate(this.db, unroutedEvents, filter.includeResolved ? undefined : isNull(unroutedEvents.resolvedAt), page);
  }

  async queueHealth(viewer: Viewer) {
    assertOperator(viewer);
    return Promise.all(this.queues.all.map(async (queue) => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      return { name: queue.name, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0, completed: counts.completed ?? 0 };
    }));
  }

  /** Moves every failed job of a queue back to waiting; returns how many. */
  async retryFailedJobs(viewer: Viewer, queueName: string): Promise<number> {
    assertOperator(viewer);
    const queue = this.queues.all.find((q) => q.name === queueName);
    if (!queue) throw new ValidationError(`queue: must be one of ${Object.values(QueueName).join(', ')}`, 'queue');
    const failed = await queue.getJobCountByTypes('failed');
    await queue.retryJobs({ state: 'failed', count: 1000 });
    return failed;
  }

  /** Messages in and out per second over the last `seconds`, for the throughput chart. */
  async trafficSeries(viewer: Viewer, seconds: number) {
    if (!Number.isInteger(seconds) || seconds < 10 || seconds > 3600) throw new ValidationError('seconds: must be between 10 and 3600', 'seconds');
    const scope = tenantScope(viewer);
    // In: customers' messages and Meta's status callbacks (what webhooks carry); out: our sends.
    const rows = await this.db.execute<{ at: Date; inbound: number; outbound: number }>(sql`
      select at, sum(inbound)::int as inbound, sum(outbound)::int as outbound from (
        select date_trunc('second', coalesce(sent_at, created_at)) as at,
               count(*) filter (where direction = 'inbound') as inbound,
               count(*) filter (where direction = 'outbound') as outbound
        from messages
        where coalesce(sent_at, created_at) > now() - make_interval(secs => ${seconds})
          and (direction = 'inbound' or sent_at is not null)
          ${scope ? sql`and tenant_id = ${scope}` : sql``}
        group by 1
        union all
        select date_trunc('second', created_at), count(*), 0
        from message_status_events
        where created_at > now() - make_interval(secs => ${seconds})
          ${scope ? sql`and tenant_id = ${scope}` : sql``}
        group by 1
      ) t group by at order by at`);
    return [...rows].map((r) => ({ at: new Date(r.at), inbound: Number(r.inbound), outbound: Number(r.outbound) }));
  }
}
