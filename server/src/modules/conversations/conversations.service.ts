import { and, count, desc, eq, inArray, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { Queue } from 'bullmq';
import type { Database } from '../../db/client.js';
import { recordWebhookEvents } from '../tenant-webhooks/tenant-webhooks.events.js';
import { enqueueDeliveries } from '../tenant-webhooks/tenant-webhooks.jobs.js';
import type { Publisher } from '../../graphql/pubsub.js';
import { ValidationError } from '../../lib/errors.js';
import { escapeLike } from '../../lib/sql.js';
import { afterCursorOn, cursorKeyOf, newestFirst, pageSize, toPage, type Page, type PageRequest } from '../../lib/pagination.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { emptyActivity, publishActivity } from '../activity/activity.publisher.js';
import { contacts, type ContactRow } from '../contacts/contacts.table.js';
import type { ContactService } from '../contacts/contacts.service.js';
import type { InstanceService } from '../instances/instances.service.js';
import { instances } from '../instances/instances.table.js';
import { messages, type MessageRow } from '../messages/messages.table.js';
import { parseTag } from '../automation/rules.schema.js';

// A conversation is a customer who wrote to one of the tenant's numbers, seen by the people who
// answer: the last message, what they have not read, and whether automation handed it to them.
// Ordered by the customer's last message, newest first: who wrote last is who is waiting.

export const CONVERSATION_STATES = ['open', 'handoff'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export interface ConversationRow {
  /** The customer's contact id. */
  id: string;
  contact: ContactRow;
  instanceId: string | null;
  lastMessage: MessageRow | null;
  unreadCount: number;
  inHandoff: boolean;
}

const inHandoffSql = sql`(${contacts.handoffStartedAt} is not null and (${contacts.handoffExpiresAt} is null or ${contacts.handoffExpiresAt} > now()))`;

export class ConversationService {
  constructor(
    private readonly db: Database,
    private readonly contactService: ContactService,
    private readonly instanceService: InstanceService,
    private readonly publisher: Publisher,
    /** Where tenant webhook deliveries go (handoff.resolved); without it the sweep enqueues them. */
    private readonly webhookQueue?: Queue,
  ) {}

  async list(viewer: Viewer, filter: { instanceId?: string | null; state?: string | null; search?: string | null }, page: PageRequest): Promise<Page<ConversationRow>> {
    const scope = tenantScope(viewer);
    if (filter.state && !CONVERSATION_STATES.includes(filter.state as ConversationState)) throw new ValidationError(`state: must be one of ${CONVERSATION_STATES.join(', ')}`, 'state');
    const instance = filter.instanceId ? await this.instanceService.findOrFail(viewer, filter.instanceId) : null;
    const search = filter.search?.trim() ? `%${escapeLike(filter.search.trim())}%` : null;
    const where: SQL | undefined = and(
      isNotNull(contacts.lastInboundAt),
      scope ? eq(contacts.tenantId, scope) : undefined,
      instance ? and(eq(contacts.tenantId, instance.tenantId), eq(contacts.phoneNumberId, instance.phoneNumberId)) : undefined,
      filter.state === 'handoff' ? inHandoffSql : filter.state === 'open' ? sql`not ${inHandoffSql}` : undefined,
      search ? or(sql`${contacts.name} ilike ${search}`, sql`${contacts.waId} ilike ${search}`) : undefined,
    );
    const size = pageSize(page.first);
    // Keyset on (last_inbound_at, id), the cursor carrying the time to the microsecond (lib/pagination.ts).
    const key = { createdAt: contacts.lastInboundAt, id: contacts.id };
    const [rows, [total]] = await Promise.all([
      this.db.select({ contact: contacts, instanceId: instances.id, micros: cursorKeyOf(key), inHandoff: sql<boolean>`${inHandoffSql}` })
        .from(contacts).leftJoin(instances, eq(instances.phoneNumberId, contacts.phoneNumberId))
        .where(and(where, afterCursorOn(key, page.after))).orderBy(...newestFirst(key)).limit(size + 1),
      this.db.select({ n: count() }).from(contacts).where(where),
    ]);
    const nodes = rows.slice(0, size);
    const ids = nodes.map((r) => r.contact.id);
    const [last, unread] = ids.length === 0 ? [[], []] : await Promise.all([
      this.db.selectDistinctOn([messages.contactId]).from(messages)
        .where(and(inArray(messages.contactId, ids), inArray(messages.tenantId, [...new Set(nodes.map((r) => r.contact.tenantId))])))
        .orderBy(messages.contactId, desc(messages.createdAt), desc(messages.id)),
      this.db.execute<{ contact_id: string; n: number }>(sql`
        select m.contact_id, count(*)::int as n from messages m join contacts c on c.id = m.contact_id
        where m.contact_id = any(${`{${ids.join(',')}}`}::uuid[]) and m.tenant_id = c.tenant_id and m.direction = 'inbound'
          and m.created_at > coalesce(c.last_read_at, '-infinity'::timestamptz)
        group by m.contact_id`),
    ]);
    const lastByContact = new Map(last.map((m) => [m.contactId, m]));
    const unreadByContact = new Map([...unread].map((u) => [u.contact_id, u.n]));
    return toPage(rows.map((r) => ({
      micros: r.micros,
      node: { id: r.contact.id, contact: r.contact, instanceId: r.instanceId, inHandoff: r.inHandoff, lastMessage: lastByContact.get(r.contact.id) ?? null, unreadCount: unreadByContact.get(r.contact.id) ?? 0 },
    })), size, total.n, page.after);
  }

  /** A customer's messages, both directions, oldest first: the last `last` of them. */
  async thread(viewer: Viewer, contactId: string, last = 100): Promise<{ contact: ContactRow; messages: MessageRow[] }> {
    if (!Number.isInteger(last) || last < 1 || last > 500) throw new ValidationError('last: must be between 1 and 500', 'last');
    const contact = await this.contactService.findOrFail(viewer, contactId);
    const rows = await this.db.select().from(messages).where(and(eq(messages.tenantId, contact.tenantId), eq(messages.contactId, contact.id)))
      .orderBy(desc(messages.createdAt), desc(messages.id)).limit(last);
    return { contact, messages: rows.reverse() };
  }

  /** A person has read the conversation up to now. */
  async markRead(viewer: Viewer, contactId: string): Promise<ContactRow> {
    const contact = await this.contactService.findOrFail(viewer, contactId);
    const [row] = await this.db.update(contacts).set({ lastReadAt: new Date() }).where(and(eq(contacts.id, contact.id), eq(contacts.tenantId, contact.tenantId))).returning();
    return row;
  }

  /** A person is done: automation answers this customer again. */
  async resolveHandoff(viewer: Viewer, contactId: string): Promise<ContactRow> {
    const contact = await this.contactService.findOrFail(viewer, contactId);
    const [instance] = await this.db.select({ id: instances.id }).from(instances).where(eq(instances.phoneNumberId, contact.phoneNumberId));
    // Resolved and its handoff.resolved webhook in one transaction.
    const { row, deliveries } = await this.db.transaction(async (tx) => {
      const [resolved] = await tx.update(contacts).set({ handoffStartedAt: null, handoffExpiresAt: null, handoffNote: null })
        .where(and(eq(contacts.id, contact.id), eq(contacts.tenantId, contact.tenantId))).returning();
      if (!contact.handoffStartedAt) return { row: resolved, deliveries: [] };
      return {
        row: resolved,
        deliveries: await recordWebhookEvents(tx, [{
          tenantId: contact.tenantId, instanceId: instance?.id ?? null, type: 'handoff.resolved', sourceKey: `handoff.resolved:${contact.id}:${contact.handoffStartedAt.toISOString()}`, lane: contact.id,
          data: { contact: { id: contact.id, waId: contact.waId, name: contact.name }, instanceId: instance?.id ?? null, startedAt: contact.handoffStartedAt.toISOString(), resolvedAt: new Date().toISOString() },
        }]),
      };
    });
    if (this.webhookQueue) await enqueueDeliveries(this.webhookQueue, deliveries).catch(() => { /* the sweep enqueues them */ });
    if (contact.handoffStartedAt) {
      publishActivity(this.publisher, [{ ...emptyActivity(), kind: 'handoff', direction: 'out', tenantId: contact.tenantId, instanceId: instance?.id ?? null, contactWaId: contact.waId, contactName: contact.name, status: 'resolved', summary: `handoff of ${contact.name ?? `+${contact.waId}`} resolved; automation answers again` }]);
    }
    return row;
  }

  async tag(viewer: Viewer, contactId: string, tag: string): Promise<ContactRow> {
    const contact = await this.contactService.findOrFail(viewer, contactId);
    const value = parseTag(tag, 'tag');
    const [row] = await this.db.update(contacts).set({ tags: sql`array(select distinct unnest(${contacts.tags} || array[${value}]::text[]) order by 1)` })
      .where(and(eq(contacts.id, contact.id), eq(contacts.tenantId, contact.tenantId))).returning();
    return row;
  }

  async untag(viewer: Viewer, contactId: string, tag: string): Promise<ContactRow> {
    const contact = await this.contactService.findOrFail(viewer, contactId);
    const value = parseTag(tag, 'tag');
    const [row] = await this.db.update(contacts).set({ tags: sql`array_remove(${contacts.tags}, ${value})` })
      .where(and(eq(contacts.id, contact.id), eq(contacts.tenantId, contact.tenantId))).returning();
    return row;
  }
}
