import { and, asc, eq, gte, lt } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { isUuid } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { MESSAGE_DIRECTIONS, MESSAGE_STATUSES, STATUS_RANK, messageAttempts, messageStatusEvents, messages, type MessageDirection, type MessageRow, type MessageStatus } from './messages.table.js';

export interface MessageFilterInput {
  instanceId?: string | null;
  contactId?: string | null;
  direction?: string | null;
  status?: string | null;
  since?: Date | null;
  until?: Date | null;
}

export interface TimelineStep {
  status: string;
  at: Date;
  errorCode: number | null;
  error: string | null;
}

export class MessageService {
  constructor(private readonly db: Database) {}

  async list(viewer: Viewer, filter: MessageFilterInput, page: PageRequest) {
    const scope = tenantScope(viewer);
    if (filter.direction && !MESSAGE_DIRECTIONS.includes(filter.direction as MessageDirection)) throw new ValidationError(`direction: must be one of ${MESSAGE_DIRECTIONS.join(', ')}`, 'direction');
    if (filter.status && !MESSAGE_STATUSES.includes(filter.status as MessageStatus)) throw new ValidationError(`status: must be one of ${MESSAGE_STATUSES.join(', ')}`, 'status');
    if (filter.instanceId && !isUuid(filter.instanceId)) throw new NotFoundError('Instance', filter.instanceId);
    if (filter.contactId && !isUuid(filter.contactId)) throw new NotFoundError('Contact', filter.contactId);
    return paginate(this.db, messages, and(
      scope ? eq(messages.tenantId, scope) : undefined,
      filter.instanceId ? eq(messages.instanceId, filter.instanceId) : undefined,
      filter.contactId ? eq(messages.contactId, filter.contactId) : undefined,
      filter.direction ? eq(messages.direction, filter.direction as MessageDirection) : undefined,
      filter.status ? eq(messages.status, filter.status as MessageStatus) : undefined,
      filter.since ? gte(messages.createdAt, filter.since) : undefined,
      filter.until ? lt(messages.createdAt, filter.until) : undefined,
    ), page);
  }

  async findOrFail(viewer: Viewer, id: string): Promise<MessageRow> {
    return findScopedOrFail(this.db, messages, 'Message', viewer, id);
  }

  /** queued → (attempts) → sent → delivered → read / failed, each with its time, in order. */
  async timeline(message: MessageRow): Promise<TimelineStep[]> {
    const steps: TimelineStep[] = [{ status: message.direction === 'inbound' ? 'received' : 'queued', at: new Date(message.metaTimestamp ?? message.createdAt), errorCode: null, error: null }];
    if (message.direction === 'outbound') {
      const attempts = await this.db.select().from(messageAttempts).where(and(eq(messageAttempts.tenantId, message.tenantId), eq(messageAttempts.messageId, message.id))).orderBy(asc(messageAttempts.attempt));
      for (const a of attempts) {
        if (a.outcome === 'sent') continue; // shown as the `sent` status below
        steps.push({ status: `attempt ${a.attempt}: ${a.outcome}`, at: new Date(a.finishedAt ?? a.startedAt), errorCode: a.errorCode, error: a.errorMessage });
      }
      if (message.sentAt) steps.push({ status: 'sent', at: new Date(message.sentAt), errorCode: null, error: null });
    }
    if (message.wamid) {
      const events = await this.db.select().from(messageStatusEvents).where(and(eq(messageStatusEvents.tenantId, message.tenantId), eq(messageStatusEvents.wamid, message.wamid)));
      // In progress order (Meta may report read before delivered), each with Meta's time.
      events.sort((x, y) => STATUS_RANK[x.status] - STATUS_RANK[y.status] || x.occurredAt.getTime() - y.occurredAt.getTime());
      for (const e of events) {
        if (e.status === 'sent' && message.sentAt) continue;
        steps.push({ status: e.status, at: new Date(e.occurredAt), errorCode: e.errorCode, error: [e.errorTitle, e.errorDetail].filter(Boolean).join(': ') || null });
      }
    }
    if (message.status === 'failed' && !steps.some((s) => s.status === 'failed')) {
      steps.push({ status: 'failed', at: new Date(message.failedAt ?? message.updatedAt), errorCode: message.errorCode, error: [message.errorTitle, message.errorDetail].filter(Boolean).join(': ') || null });
    }
    if (message.status === 'unknown') steps.push({ status: 'unknown', at: new Date(message.updatedAt), errorCode: null, error: 'the send was interrupted and Meta\'s answer was never seen' });
    return steps;
  }
}
