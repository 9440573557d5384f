import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { MetaRequestError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import type { Viewer } from '../auth/auth.viewer.js';
import { isMetaApiError, type GraphClient, type TemplateComponent, type TemplateInfo } from '../../meta/index.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import { phoneNumbers, type PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';
import { messageTemplates, type MessageTemplateRow } from './message-templates.table.js';

/** The only template status Meta lets a business send. */
export const SENDABLE_TEMPLATE_STATUS = 'APPROVED';

/** A template that stopped existing at Meta (deleted there, or gone from a sync). */
export const DELETED_TEMPLATE_STATUS = 'DELETED';

type Db = Pick<Database, 'select' | 'update' | 'insert'>;

/**
 * Templates number their variables {{1}}, {{2}}, ...; a send passes one body parameter for each
 * distinct placeholder of the BODY component (Meta answers 132000 otherwise).
 */
export function countBodyVariables(components: readonly TemplateComponent[]): number {
  const body = components.find((c) => String(c.type).toUpperCase() === 'BODY');
  const found = new Set((body?.text ?? '').match(/\{\{\s*\d+\s*\}\}/g)?.map((m) => m.replace(/\s/g, '')) ?? []);
  return found.size;
}

/** The BODY text of a template, for people and for the stored copy of a send. */
export function templateBody(components: readonly TemplateComponent[]): string | null {
  return components.find((c) => String(c.type).toUpperCase() === 'BODY')?.text ?? null;
}

/** The body with {{n}} replaced by the n-th variable. */
export function renderTemplateBody(components: readonly TemplateComponent[], variables: readonly string[]): string | null {
  const body = templateBody(components);
  return body === null ? null : body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => variables[Number(n) - 1] ?? whole);
}

export interface TemplateStatusUpdate {
  wabaId: string;
  name: string;
  language: string;
  /** Meta's event: APPROVED, REJECTED, PENDING, PAUSED, DISABLED, FLAGGED, REINSTATED, PENDING_DELETION, DELETED, ... */
  event: string;
  reason?: string | null;
  metaTemplateId?: string | number | null;
}

/**
 * Applies a `message_template_status_update` webhook to the mirrored template (the inbound worker
 * calls this inside its transaction). REINSTATED puts a template back to APPROVED. A template we
 * never synced is created with the status, so sends are refused or allowed correctly at once; its
 * body (and so its variable count) arrives with the next syncMessageTemplates.
 * Returns the template as it now is, or null when the WABA belongs to no tenant of wabahub.
 */
export async function applyTemplateStatusUpdate(db: Db, update: TemplateStatusUpdate): Promise<MessageTemplateRow | null> {
  const status = update.event.toUpperCase() === 'REINSTATED' ? SENDABLE_TEMPLATE_STATUS : update.event.toUpperCase();
  const reason = update.reason && update.reason.toUpperCase() !== 'NONE' ? update.reason : null;
  const metaTemplateId = update.metaTemplateId === null || update.metaTemplateId === undefined ? null : String(update.metaTemplateId);
  const [existing] = await db.select().from(messageTemplates)
    .where(and(eq(messageTemplates.wabaId, update.wabaId), eq(messageTemplates.name, update.name), eq(messageTemplates.language, update.language)));
  if (existing) {
    const [row] = await db.update(messageTemplates).set({
      status,
      rejectedReason: status === 'REJECTED' || reason ? reason : null,
      metaTemplateId: metaTemplateId ?? existing.metaTemplateId,
      updatedAt: new Date(),
    }).where(eq(messageTemplates.id, existing.id)).returning();
    return row;
  }
  const [owner] = await db.select({ tenantId: phoneNumbers.tenantId }).from(phoneNumbers).where(eq(phoneNumbers.wabaId, update.wabaId)).limit(1);
  if (!owner) return null;
  const [row] = await db.insert(messageTemplates).values({
    tenantId: owner.tenantId, wabaId: update.wabaId, name: update.name, language: update.language, status, rejectedReason: reason, metaTemplateId,
  }).onConflictDoUpdate({
    target: [messageTemplates.wabaId, messageTemplates.name, messageTemplates.language],
    set: { status, rejectedReason: reason, updatedAt: new Date() },
  }).returning();
  return row;
}

/** Meta lists `rejected_reason` on templates ("NONE" when there is none). */
function rejectedReasonOf(template: TemplateInfo): string | null {
  const reason = (template as TemplateInfo & { rejected_reason?: string }).rejected_reason;
  return reason && reason !== 'NONE' ? reason : null;
}

export class MessageTemplateService {
  constructor(
    private readonly db: Database,
    private readonly graph: GraphClient,
    private readonly phoneNumbers: PhoneNumberService,
    private readonly systemToken: string,
  ) {}

  /**
   * Reads the number's WABA templates from Meta and mirrors them: new ones are added, changed ones
   * updated, and ones Meta no longer lists are marked DELETED (kept, since messages refer to them).
   */
  async sync(viewer: Viewer, phoneNumberRef: string): Promise<MessageTemplateRow[]> {
    const number = await this.phoneNumbers.findByRef(viewer, phoneNumberRef);
    let remote: TemplateInfo[];
    try {
      remote = await this.graph.listTemplates(number.wabaId, this.phoneNumbers.tokenFor(number, this.systemToken));
    } catch (error) {
      if (isMetaApiError(error)) throw new MetaRequestError(`Meta refused to list the templates of WABA ${number.wabaId}: (#${error.code}) ${error.message}`, { metaCode: error.code, kind: error.kind });
      throw error;
    }
    return this.db.transaction(async (tx) => {
      const seen = new Set<string>();
      for (const t of remote) {
        const components = (t.components ?? []) as TemplateComponent[];
        seen.add(`${t.name}\u0000${t.language}`);
        const values = {
          tenantId: number.tenantId, wabaId: number.wabaId, metaTemplateId: t.id ?? null, name: t.name, language: t.language,
          category: t.category ?? null, status: String(t.status).toUpperCase(), variableCount: countBodyVariables(components), components,
          rejectedReason: rejectedReasonOf(t),
        };
        await tx.insert(messageTemplates).values(values).onConflictDoUpdate({
          target: [messageTemplates.wabaId, messageTemplates.name, messageTemplates.language],
          set: { ...values, updatedAt: new Date() },
        });
      }
      const current = await tx.select().from(messageTemplates).where(eq(messageTemplates.wabaId, number.wabaId));
      const gone = current.filter((row) => !seen.has(`${row.name}\u0000${row.language}`) && row.status !== DELETED_TEMPLATE_STATUS).map((row) => row.id);
      if (gone.length > 0) await tx.update(messageTemplates).set({ status: DELETED_TEMPLATE_STATUS, updatedAt: new Date() }).where(inArray(messageTemplates.id, gone));
      return tx.select().from(messageTemplates).where(eq(messageTemplates.wabaId, number.wabaId)).orderBy(messageTemplates.name, messageTemplates.language);
    });
  }

  /**
   * Submits to Meta the templates a number's WABA lacks (a configuration template carries them),
   * mirroring each as Meta answers (PENDING, to be reviewed; the status webhook moves it on).
   * A template the WABA already has, in any state but DELETED, is left as it is. Returns what
   * became of each: its status, or Meta's refusal in words.
   */
  async submitMissing(number: PhoneNumberRow, specs: { name: string; language: string; category: string; components: TemplateComponent[] }[]): Promise<{ name: string; language: string; status: string; error: string | null }[]> {
    const results = [];
    for (const spec of specs) {
      const existing = await this.find(number.tenantId, number.wabaId, spec.name, spec.language);
      if (existing && existing.status !== DELETED_TEMPLATE_STATUS) {
        results.push({ name: spec.name, language: spec.language, status: existing.status, error: null });
        continue;
      }
      try {
        const answer = await this.graph.createTemplate(number.wabaId, { name: spec.name, language: spec.language, category: spec.category as never, components: spec.components }, this.phoneNumbers.tokenFor(number, this.systemToken));
        const values = {
          tenantId: number.tenantId, wabaId: number.wabaId, metaTemplateId: answer.id ?? null, name: spec.name, language: spec.language, category: answer.category ?? spec.category,
          status: String(answer.status ?? 'PENDING').toUpperCase(), variableCount: countBodyVariables(spec.components), components: spec.components, rejectedReason: null,
        };
        // The status webhook may have come first (Meta reviews fast): never move a status back to PENDING.
        await this.db.insert(messageTemplates).values(values).onConflictDoUpdate({
          target: [messageTemplates.wabaId, messageTemplates.name, messageTemplates.language],
          set: { metaTemplateId: values.metaTemplateId, components: values.components, variableCount: values.variableCount, category: values.category, updatedAt: new Date() },
        });
        const row = await this.find(number.tenantId, number.wabaId, spec.name, spec.language);
        results.push({ name: spec.name, language: spec.language, status: row?.status ?? values.status, error: null });
      } catch (error) {
        if (!isMetaApiError(error)) throw error;
        results.push({ name: spec.name, language: spec.language, status: 'NOT_SUBMITTED', error: `Meta refused the template: (#${error.code}) ${error.message}${error.details ? `: ${error.details}` : ''}` });
      }
    }
    return results;
  }

  /** The templates of a number's WABA, newest first. */
  async list(viewer: Viewer, phoneNumberRef: string, filter: { status?: string | null; name?: string | null }, page: PageRequest) {
    const number = await this.phoneNumbers.findByRef(viewer, phoneNumberRef);
    if (filter.status !== undefined && filter.status !== null && filter.status.trim() === '') throw new ValidationError('status: must not be empty', 'status');
    return paginate(this.db, messageTemplates, and(
      eq(messageTemplates.wabaId, number.wabaId),
      eq(messageTemplates.tenantId, number.tenantId),
      filter.status ? eq(messageTemplates.status, filter.status.trim().toUpperCase()) : undefined,
      filter.name ? eq(messageTemplates.name, filter.name.trim()) : undefined,
    ), page);
  }

  /** One template of a WABA by name and language, whatever its status. */
  async find(tenantId: string, wabaId: string, name: string, language: string): Promise<MessageTemplateRow | undefined> {
    const [row] = await this.db.select().from(messageTemplates).where(and(
      eq(messageTemplates.tenantId, tenantId), eq(messageTemplates.wabaId, wabaId), eq(messageTemplates.name, name), eq(messageTemplates.language, language),
    ));
    return row;
  }

  /** Names of the templates a WABA may send now ("name (language)"), for errors that suggest one. */
  async approvedNames(tenantId: string, wabaId: string): Promise<string[]> {
    const rows = await this.db.select({ name: messageTemplates.name, language: messageTemplates.language }).from(messageTemplates)
      .where(and(eq(messageTemplates.tenantId, tenantId), eq(messageTemplates.wabaId, wabaId), eq(messageTemplates.status, SENDABLE_TEMPLATE_STATUS)))
      .orderBy(messageTemplates.name, messageTemplates.language);
    return rows.map((r) => `${r.name} (${r.language})`);
  }
}
