import { eq, ilike, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { requireName } from '../../lib/phone.js';
import { escapeLike, isUuid } from '../../lib/sql.js';
import { assertOperator, type Viewer } from '../auth/auth.viewer.js';
import { assertPlaceholdersDeclared, parseRules, parseVariables } from '../automation/rules.schema.js';
import { ruleTemplates, type RuleTemplateRow } from './rule-templates.table.js';

interface TemplateFields {
  name?: string | null;
  description?: string | null;
  variables?: unknown;
  rules?: unknown;
}

// Templates are the operator's catalogue: every viewer reads them, only the operator writes them.
export class RuleTemplateService {
  constructor(private readonly db: Database) {}

  async list(_viewer: Viewer, filter: { nameContains?: string | null }, page: PageRequest) {
    return paginate(this.db, ruleTemplates, filter.nameContains ? ilike(ruleTemplates.name, `%${escapeLike(filter.nameContains)}%`) : undefined, page);
  }

  async findOrFail(_viewer: Viewer, id: string): Promise<RuleTemplateRow> {
    if (!isUuid(id)) throw new NotFoundError('RuleTemplate', id);
    const [row] = await this.db.select().from(ruleTemplates).where(eq(ruleTemplates.id, id));
    if (!row) throw new NotFoundError('RuleTemplate', id);
    return row;
  }

  async create(viewer: Viewer, input: TemplateFields & { name: string; rules: unknown }): Promise<RuleTemplateRow> {
    assertOperator(viewer);
    const variables = parseVariables(input.variables ?? []);
    const rules = parseRules(input.rules);
    assertPlaceholdersDeclared(rules, variables);
    const [row] = await this.db.insert(ruleTemplates).values({ name: requireName(input.name), description: input.description ?? '', variables, rules }).returning();
    return row;
  }

  /** Every update bumps the version, so instances can tell they run an older one. */
  async update(viewer: Viewer, input: TemplateFields & { id: string }): Promise<RuleTemplateRow> {
    assertOperator(viewer);
    const existing = await this.findOrFail(viewer, input.id);
    const variables = input.variables != null ? parseVariables(input.variables) : existing.variables;
    const rules = input.rules != null ? parseRules(input.rules) : existing.rules;
    assertPlaceholdersDeclared(rules, variables);
    const [row] = await this.db.update(ruleTemplates).set({
      name: input.name != null ? requireName(input.name) : existing.name,
      description: input.description ?? existing.description,
      variables,
      rules,
      version: sql`${ruleTemplates.version} + 1`,
    }).where(eq(ruleTemplates.id, existing.id)).returning();
    return row;
  }
}
