import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, paginateBySequence, type Page, type PageRequest } from '../../lib/pagination.js';
import { assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { Queues } from '../../queue/queues.js';
import { JobName, QueueName } from '../../queue/names.js';
import { WEBHOOK_EVENT_STATES, unroutedEvents, webhookEvents, type WebhookEventRow, type WebhookEventState } from './webhooks.table.js';

export class WebhookService {
  constructor(private readonly db: Database, private readonly queues: Queues) {}

  /** Raw events; a tenant sees the events that concerned it. */
  async listEvents(viewer: Viewer, filter: { state?: string | null }, page: PageRequest): Promise<Page<WebhookEventRow>> {
    const scope = tenantScope(viewer);
    if (filter.state && !WEBHOOK_EVENT_STATES.includes(filter.state as WebhookEventState)) throw new ValidationError(`state: must be one of ${WEBHOOK_EVENT_STATES.join(', ')}`, 'state');
    // Keyed by a bigint sequence: the id alone orders them, newest first, and never ties.
    return paginateBySequence(this.db, webhookEvents, and(
      scope ? sql`${webhookEvents.tenantIds} @> array[${scope}]::uuid[]` : undefined,
      filter.state ? eq(webhookEvents.state, filter.state as WebhookEventState) : undefined,
    ), page);
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
