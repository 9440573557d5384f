import { and, desc, eq, isNull, lt, sql, count, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { pageSize, type Page, type PageRequest } from '../../lib/pagination.js';
import { assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { Queues } from '../../queue/queues.js';
import { JobName, QueueName } from '../../queue/names.js';
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
    await this.queues.webhooks.add(JobName.ProcessWebhookEvents, { tenantId: null, eventIds: [event.id] }, { jobId: `replay-${event.id}-${Date.now()}` });
    return row;
  }

  async listUnrouted(viewer: Viewer, filter: { includeResolved?: boolean | null }, page: PageRequest) {
    assertOperator(viewer);
    return paginate(this.db, unroutedEvents, filter.includeResolved ? undefined : isNull(unroutedEvents.resolvedAt), page);
  }
}
