import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { logger } from '../../lib/logger.js';
import { ConflictError, ValidationError, WindowClosedError, isUniqueViolation } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/pagination.js';
import { normalizeE164 } from '../../lib/phone.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { Queues } from '../../queue/queues.js';
import { contacts } from '../contacts/contacts.table.js';
import type { InstanceService } from '../instances/instances.service.js';
import { messages, type MessageRow } from '../messages/messages.table.js';
import type { MessageTemplateService } from '../message-templates/message-templates.service.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import { phoneNumbers, type PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';
import type { SendLimiter } from './outbound.limiter.js';
import { canonicalJson, interactiveContent, templateContent, textContent, type BuiltContent } from './outbound.content.js';
import { enqueueSends } from './outbound.queue.js';

/** Meta's customer service window: free-form messages only within 24 h of the customer's last message. */
export const CUSTOMER_WINDOW_MS = 24 * 3600 * 1000;
export const IDEMPOTENCY_KEY_MAX = 200;

export interface SendMessage {
  instanceId: string;
  to: string;
  text?: string | null;
  template?: { name: string; language: string; variables?: string[] | null } | null;
  interactive?: { body: string; buttons: { id: string; title: string }[] } | null;
  idempotencyKey?: string | null;
}

export interface NumberThroughputRow {
  number: PhoneNumberRow;
  /** Sends Meta accepted in the last complete second. */
  lastSecond: number;
  /** The most sends Meta accepted in any one second of the last minute. */
  busiestSecond: number;
  /** Sends accepted in the last minute. */
  lastMinute: number;
}

export class OutboundService {
  constructor(
    private readonly db: Database,
    private readonly queues: Queues,
    private readonly limiter: SendLimiter,
    private readonly instances: InstanceService,
    private readonly phoneNumbers: PhoneNumberService,
    private readonly templates: MessageTemplateService,
  ) {}

  /**
   * Checks and queues one message. The same idempotency key (per tenant) returns the message it
   * first created, whatever happened since; the same key with a different message is a CONFLICT.
   */
  async sendMessage(viewer: Viewer, input: SendMessage): Promise<MessageRow> {
    const instance = await this.instances.findOrFail(viewer, input.instanceId);
    const waId = normalizeE164(input.to, 'to').slice(1); // Meta wants digits without "+"
    const key = input.idempotencyKey?.trim() || null;
    if (key && key.length > IDEMPOTENCY_KEY_MAX) throw new ValidationError(`idempotencyKey: must be at most ${IDEMPOTENCY_KEY_MAX} characters`, 'idempotencyKey');
    const [number] = await this.db.select().from(phoneNumbers).where(eq(phoneNumbers.id, instance.phoneNumberId));
    if (key) {
      const existing = await this.byIdempotencyKey(instance.tenantId, key);
      // A retry returns the first message even if it would no longer pass (say, the window closed since).
      if (existing) return this.sameOrConflict(existing, instance.id, waId, await this.buildContent(instance.tenantId, number, input).catch(() => null));
    }
    const content = await this.buildContent(instance.tenantId, number, input);
    if (content.type !== 'template') await this.assertWindowOpen(instance.tenantId, number, waId);

    const [contact] = await this.db.insert(contacts).values({ tenantId: instance.tenantId, phoneNumberId: number.id, waId })
      .onConflictDoUpdate({ target: [contacts.tenantId, contacts.phoneNumberId, contacts.waId], set: { updatedAt: sql`${contacts.updatedAt}` } })
      .returning({ id: contacts.id });
    let row: MessageRow;
    try {
      [row] = await this.db.insert(messages).values({
        tenantId: instance.tenantId, instanceId: instance.id, phoneNumberId: number.id, contactId: contact.id, direction: 'outbound',
        type: content.type, text: content.text, payload: content.payload, status: 'queued', idempotencyKey: key,
      }).returning();
    } catch (error) {
      // Two requests with one key at the same time: the loser returns the winner's message.
      if (key && isUniqueViolation(error)) {
        const existing = await this.byIdempotencyKey(instance.tenantId, key);
        if (existing) return this.sameOrConflict(existing, instance.id, waId, content);
      }
      throw error;
    }
    // If Redis is down here the message stays queued in Postgres; the sweeper enqueues it later.
    await enqueueSends(this.queues.outbound, [{ tenantId: row.tenantId, messageId: row.id }]).catch((error: Error) => {
      logger.error({ tenantId: row.tenantId, messageId: row.id, err: error }, 'outbound: enqueue failed; the sweeper will retry');
    });
    return row;
  }

  private async byIdempotencyKey(tenantId: string, key: string): Promise<MessageRow | undefined> {
    const [row] = await this.db.select().from(messages).where(and(eq(messages.tenantId, tenantId), eq(messages.idempotencyKey, key)));
    return row;
  }

  private async sameOrConflict(existing: MessageRow, instanceId: string, waId: string, content: BuiltContent | null): Promise<MessageRow> {
    const [contact] = await this.db.select({ waId: contacts.waId }).from(contacts).where(eq(contacts.id, existing.contactId));
    const samePayload = content === null || canonicalJson(content.payload) === canonicalJson(existing.payload);
    if (existing.instanceId !== instanceId || contact?.waId !== waId || !samePayload) {
      throw new ConflictError('idempotencyKey: already used for a different message', { field: 'idempotencyKey', messageId: existing.id });
    }
    return existing;
  }

  private async buildContent(tenantId: string, number: PhoneNumberRow, input: SendMessage): Promise<BuiltContent> {
    const given = [input.text != null, input.template != null, input.interactive != null].filter(Boolean).length;
    if (given !== 1) throw new ValidationError('give exactly one of text, template or interactive', 'text');
    if (input.text != null) return textContent(input.text);
    if (input.interactive != null) return interactiveContent(input.interactive);
    const ref = { name: input.template!.name.trim(), language: input.template!.language.trim() };
    const template = await this.templates.find(tenantId, number.wabaId, ref.name, ref.language);
    return templateContent(template, ref, input.template!.variables ?? []);
  }

  /** Free-form messages need the customer to have written within 24 h; the error names what may be sent instead. */
  private async assertWindowOpen(tenantId: string, number: PhoneNumberRow, waId: string): Promise<void> {
    const [contact] = await this.db.select({ lastInboundAt: contacts.lastInboundAt }).from(contacts)
      .where(and(eq(contacts.tenantId, tenantId), eq(contacts.phoneNumberId, number.id), eq(contacts.waId, waId)));
    const last = contact?.lastInboundAt ? new Date(contact.lastInboundAt) : null;
    if (last && Date.now() - last.getTime() < CUSTOMER_WINDOW_MS) return;
    const approved = await this.templates.approvedNames(tenantId, number.wabaId);
    const since = last ? `their last message was at ${last.toISOString()}` : 'they have never written to this number';
    const instead = approved.length > 0 ? `send an approved template instead: ${approved.join(', ')}` : 'this WABA has no approved template yet (create one, or run syncMessageTemplates)';
    throw new WindowClosedError(`the 24-hour window with +${waId} is closed (${since}); ${instead}`, { to: `+${waId}`, lastInboundAt: last?.toISOString() ?? null, templates: approved });
  }

  /**
   * A resumed number (PhoneNumberService.onResumed): its backoff forgotten, and its waiting single
   * messages get fresh jobs (the old ones finished without sending). Campaigns requeue their own.
   */
  async requeueNumber(number: PhoneNumberRow): Promise<number> {
    await this.limiter.clearBackoff(number.phoneNumberId);
    const suffix = `r${Date.now()}`;
    let total = 0;
    let after: string | null = null;
    for (;;) {
      const page: { id: string }[] = await this.db.execute<{ id: string }>(sql`
        select id from messages where phone_number_id = ${number.id} and tenant_id = ${number.tenantId} and direction = 'outbound' and status = 'queued' and campaign_id is null
        ${after ? sql`and id > ${after}` : sql``} order by id limit 5000`);
      if (page.length === 0) break;
      await enqueueSends(this.queues.outbound, page.map((m) => ({ tenantId: number.tenantId, messageId: m.id })), { suffix });
      total += page.length;
      after = page[page.length - 1].id;
    }
    return total;
  }

  /** Each visible number's tier and the sends Meta accepted per second, from the limiter's counters. */
  async numberThroughput(viewer: Viewer, page: PageRequest) {
    const numbers = await this.phoneNumbers.list(viewer, {}, page);
    const series = await this.limiter.sentPerSecond(numbers.nodes.map((n) => n.phoneNumberId));
    return {
      ...numbers,
      nodes: numbers.nodes.map((number): NumberThroughputRow => {
        const s = series.get(number.phoneNumberId) ?? [];
        return { number, lastSecond: s[s.length - 1] ?? 0, busiestSecond: Math.max(0, ...s), lastMinute: s.reduce((a, b) => a + b, 0) };
      }),
    };
  }

  /** Outbound messages by status, and the sends whose outcome is unknown (interrupted mid-call). */
  async stats(viewer: Viewer, phoneNumberRef?: string | null) {
    const scope = tenantScope(viewer);
    const number = phoneNumberRef ? await this.phoneNumbers.findByRef(viewer, phoneNumberRef) : null;
    const where = sql`m.direction = 'outbound' ${scope ? sql`and m.tenant_id = ${scope}` : sql``} ${number ? sql`and m.phone_number_id = ${number.id}` : sql``}`;
    const [counts] = await this.db.execute<Record<string, number>>(sql`
      select count(*) filter (where m.status = 'queued')::int as queued, count(*) filter (where m.status = 'sending')::int as sending,
             count(*) filter (where m.status = 'sent')::int as sent, count(*) filter (where m.status = 'delivered')::int as delivered,
             count(*) filter (where m.status = 'read')::int as read, count(*) filter (where m.status = 'failed')::int as failed,
             count(*) filter (where m.status = 'unknown')::int as unknown
      from messages m where ${where}`);
    const [attempts] = await this.db.execute<{ unknown: number; retries: number }>(sql`
      select count(*) filter (where a.outcome = 'unknown')::int as unknown, count(*) filter (where a.outcome = 'retry')::int as retries
      from message_attempts a join messages m on m.id = a.message_id where ${where}`);
    return { ...counts, unknownOutcomeAttempts: attempts.unknown, retriedAttempts: attempts.retries } as {
      queued: number; sending: number; sent: number; delivered: number; read: number; failed: number; unknown: number; unknownOutcomeAttempts: number; retriedAttempts: number;
    };
  }
}
