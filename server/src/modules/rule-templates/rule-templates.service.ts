import { and, asc, desc, eq, exists, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { requireName } from '../../lib/phone.js';
import { escapeLike, isUuid } from '../../lib/sql.js';
import { assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { tenants } from '../tenants/tenants.table.js';
import { parseConfig, type SampleMessage, type TemplateConfig } from './rule-templates.config.js';
import { parseVariableSpecs } from './rule-templates.variables.js';
import {
  TEMPLATE_VISIBILITIES, ruleTemplateTenants, ruleTemplateVersions, ruleTemplates,
  type RuleTemplateRow, type RuleTemplateVersionRow, type TemplateVisibility,
} from './rule-templates.table.js';

export interface TemplateContent {
  variables?: unknown;
  config?: unknown;
  /** Legacy: a template's rules alone (its configuration's rules). */
  rules?: unknown;
  sampleMessages?: unknown;
  notes?: string | null;
}

export const LOCALES = ['pt-BR', 'en'] as const;

// Configuration templates: the operator's catalogue. The operator writes (a new template, a new
// version, a clone, who sees it); every viewer reads what is published to them; a tenant never
// edits (FORBIDDEN). A published version is never changed: editing publishes the next.
export class RuleTemplateService {
  constructor(private readonly db: Database) {}

  async list(viewer: Viewer, filter: { nameContains?: string | null; search?: string | null; locale?: string | null }, page: PageRequest) {
    const search = filter.search ?? filter.nameContains;
    const term = search?.trim() ? `%${escapeLike(search.trim())}%` : null;
    return paginate(this.db, ruleTemplates, and(
      this.visibleTo(viewer),
      filter.locale ? eq(ruleTemplates.locale, assertLocale(filter.locale)) : undefined,
      term ? or(ilike(ruleTemplates.name, term), ilike(ruleTemplates.description, term)) : undefined,
    ), page);
  }

  /** A template the viewer may see; one published to other tenants only is reported as absent. */
  async findOrFail(viewer: Viewer, id: string): Promise<RuleTemplateRow> {
    if (!isUuid(id)) throw new NotFoundError('RuleTemplate', id);
    const [row] = await this.db.select().from(ruleTemplates).where(and(eq(ruleTemplates.id, id), this.visibleTo(viewer)));
    if (!row) throw new NotFoundError('RuleTemplate', id);
    return row;
  }

  /** One version (the latest when `version` is absent). */
  async version(template: RuleTemplateRow, version?: number | null): Promise<RuleTemplateVersionRow> {
    const wanted = version ?? template.latestVersion;
    const [row] = await this.db.select().from(ruleTemplateVersions).where(and(eq(ruleTemplateVersions.templateId, template.id), eq(ruleTemplateVersions.version, wanted)));
    if (!row) throw new ValidationError(`version: template "${template.name}" has no version ${wanted} (latest is ${template.latestVersion})`, 'version');
    return row;
  }

  async versions(templateId: string): Promise<RuleTemplateVersionRow[]> {
    return this.db.select().from(ruleTemplateVersions).where(eq(ruleTemplateVersions.templateId, templateId)).orderBy(desc(ruleTemplateVersions.version));
  }

  async tenantIds(templateId: string): Promise<string[]> {
    return (await this.db.select({ id: ruleTemplateTenants.tenantId }).from(ruleTemplateTenants).where(eq(ruleTemplateTenants.templateId, templateId)).orderBy(asc(ruleTemplateTenants.tenantId))).map((r) => r.id);
  }

  async create(viewer: Viewer, input: TemplateContent & { name: string; description?: string | null; locale?: string | null; visibility?: string | null; tenantIds?: string[] | null; starterKey?: string | null; clonedFromId?: string | null }): Promise<RuleTemplateRow> {
    this.operatorOnly(viewer);
    const locale = assertLocale(input.locale ?? 'pt-BR');
    const content = parseContent(input, locale);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.insert(ruleTemplates).values({
        name: requireName(input.name), description: input.description?.trim() ?? '', locale, latestVersion: 1,
        visibility: assertVisibility(input.visibility ?? 'all'), starterKey: input.starterKey ?? null, clonedFromId: input.clonedFromId ?? null,
      }).returning();
      await tx.insert(ruleTemplateVersions).values({ templateId: row.id, version: 1, ...content });
      if (row.visibility === 'chosen' && input.tenantIds?.length) await this.replaceTenants(tx as never, row.id, input.tenantIds);
      return row;
    });
  }

  /**
   * Publishes the next version: the given parts replace the latest version's, the rest is kept.
   * Earlier versions stay as they were (instances that applied them keep pointing at them).
   */
  async publishVersion(viewer: Viewer, input: TemplateContent & { id: string; name?: string | null; description?: string | null }): Promise<RuleTemplateRow> {
    this.operatorOnly(viewer);
    const template = await this.findOrFail(viewer, input.id);
    const latest = await this.version(template);
    const content = parseContent({
      variables: input.variables ?? latest.variables,
      config: input.config ?? (input.rules !== undefined && input.rules !== null ? { ...latest.config, rules: input.rules } : latest.config),
      sampleMessages: input.sampleMessages ?? latest.sampleMessages,
      notes: input.notes ?? '',
    }, template.locale);
    return this.db.transaction(async (tx) => {
      // The template row locked: two publications at once make versions n+1 and n+2, not two n+1.
      const [locked] = await tx.select().from(ruleTemplates).where(eq(ruleTemplates.id, template.id)).for('update');
      const version = locked.latestVersion + 1;
      await tx.insert(ruleTemplateVersions).values({ templateId: template.id, version, ...content });
      const [row] = await tx.update(ruleTemplates).set({
        latestVersion: version,
        name: input.name != null ? requireName(input.name) : locked.name,
        description: input.description ?? locked.description,
      }).where(eq(ruleTemplates.id, template.id)).returning();
      return row;
    });
  }

  /** A new template to start from: the latest version of this one, as version 1, seen by no tenant until published. */
  async clone(viewer: Viewer, id: string): Promise<RuleTemplateRow> {
    this.operatorOnly(viewer);
    const template = await this.findOrFail(viewer, id);
    const latest = await this.version(template);
    return this.create(viewer, {
      name: `${template.name} (copy)`, description: template.description, locale: template.locale, visibility: 'chosen', tenantIds: [], clonedFromId: template.id,
      variables: latest.variables, config: latest.config, sampleMessages: latest.sampleMessages,
    });
  }

  /** Published to every tenant (`all`), or to the chosen ones only. */
  async setVisibility(viewer: Viewer, input: { id: string; visibility: string; tenantIds?: string[] | null }): Promise<RuleTemplateRow> {
    this.operatorOnly(viewer);
    const template = await this.findOrFail(viewer, input.id);
    const visibility = assertVisibility(input.visibility);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.update(ruleTemplates).set({ visibility }).where(eq(ruleTemplates.id, template.id)).returning();
      await this.replaceTenants(tx as never, template.id, visibility === 'chosen' ? input.tenantIds ?? [] : []);
      return row;
    });
  }

  private async replaceTenants(tx: Database, templateId: string, tenantIds: string[]): Promise<void> {
    const unique = [...new Set(tenantIds)];
    for (const [i, id] of unique.entries()) if (!isUuid(id)) throw new NotFoundError('Tenant', id ?? String(i));
    if (unique.length > 0) {
      const found = await tx.select({ id: tenants.id }).from(tenants).where(sql`${tenants.id} = any(${`{${unique.join(',')}}`}::uuid[])`);
      const missing = unique.filter((id) => !found.some((f) => f.id === id));
      if (missing.length > 0) throw new NotFoundError('Tenant', missing[0]);
    }
    await tx.delete(ruleTemplateTenants).where(eq(ruleTemplateTenants.templateId, templateId));
    if (unique.length > 0) await tx.insert(ruleTemplateTenants).values(unique.map((tenantId) => ({ templateId, tenantId })));
  }

  /** What a viewer may read: everything (operator), or what is published to all or to its tenant. */
  private visibleTo(viewer: Viewer): SQL | undefined {
    const scope = tenantScope(viewer);
    if (!scope) return undefined;
    return or(eq(ruleTemplates.visibility, 'all'), exists(this.db.select({ one: sql`1` }).from(ruleTemplateTenants)
      .where(and(eq(ruleTemplateTenants.templateId, ruleTemplates.id), eq(ruleTemplateTenants.tenantId, scope)))));
  }

  private operatorOnly(viewer: Viewer): void {
    try {
      assertOperator(viewer);
    } catch {
      throw new ForbiddenError('configuration templates are the operator\'s: a tenant reads and applies them, never edits');
    }
  }
}

/** A version's content, validated as a whole: typed variables, the configuration filled with their examples, the samples. */
export function parseContent(input: TemplateContent, locale: string): { variables: ReturnType<typeof parseVariableSpecs>; config: TemplateConfig; sampleMessages: SampleMessage[]; notes: string } {
  const variables = parseVariableSpecs(input.variables ?? []);
  const configInput = input.config ?? (input.rules !== undefined ? { rules: input.rules } : undefined);
  if (configInput === undefined) throw new ValidationError('config: a template needs its configuration (at least its rules)', 'config');
  const config = parseConfig(configInput, variables, locale);
  return { variables, config, sampleMessages: parseSamples(input.sampleMessages ?? []), notes: (input.notes ?? '').slice(0, 2000) };
}

function parseSamples(value: unknown): SampleMessage[] {
  if (!Array.isArray(value) || value.length > 20) throw new ValidationError('sampleMessages: must be an array of at most 20 messages', 'sampleMessages');
  return value.map((m, i) => {
    const path = `sampleMessages[${i}]`;
    if (typeof m === 'string' && m.trim()) return { text: m };
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ValidationError(`${path}: must be a text or { text?, buttonId?, listRowId?, messageType?, note? }`, path);
    const s = m as Record<string, unknown>;
    const out: SampleMessage = {};
    for (const key of ['text', 'buttonId', 'listRowId', 'messageType', 'note'] as const) {
      if (s[key] === undefined) continue;
      if (typeof s[key] !== 'string' || (s[key] as string).length > 1000) throw new ValidationError(`${path}.${key}: must be a text of at most 1000 characters`, `${path}.${key}`);
      out[key] = s[key] as string;
    }
    if (!out.text && !out.buttonId && !out.listRowId && !out.messageType) throw new ValidationError(`${path}: needs a text, a buttonId, a listRowId or a messageType`, path);
    return out;
  });
}

export function assertLocale(locale: string): string {
  if (!(LOCALES as readonly string[]).includes(locale)) throw new ValidationError(`locale: must be one of ${LOCALES.join(', ')}`, 'locale');
  return locale;
}

function assertVisibility(visibility: string): TemplateVisibility {
  if (!TEMPLATE_VISIBILITIES.includes(visibility as TemplateVisibility)) throw new ValidationError(`visibility: must be one of ${TEMPLATE_VISIBILITIES.join(', ')}`, 'visibility');
  return visibility as TemplateVisibility;
}
