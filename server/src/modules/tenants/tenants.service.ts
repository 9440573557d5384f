import { and, eq, ilike, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { requireName } from '../../lib/phone.js';
import { escapeLike, isUuid } from '../../lib/sql.js';
import { assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { tenants, type TenantRow } from './tenants.table.js';

export class TenantService {
  constructor(private readonly db: Database) {}

  async list(viewer: Viewer, filter: { nameContains?: string | null }, page: PageRequest) {
    const scope = tenantScope(viewer);
    const conditions: (SQL | undefined)[] = [scope ? eq(tenants.id, scope) : undefined];
    if (filter.nameContains) conditions.push(ilike(tenants.name, `%${escapeLike(filter.nameContains)}%`));
    return paginate(this.db, tenants, and(...conditions), page);
  }

  /** A tenant the viewer may see; another tenant's id is reported as not found. */
  async findOrFail(viewer: Viewer, id: string): Promise<TenantRow> {
    const scope = tenantScope(viewer);
    if (!isUuid(id) || (scope && scope !== id)) throw new NotFoundError('Tenant', id);
    const [row] = await this.db.select().from(tenants).where(eq(tenants.id, id));
    if (!row) throw new NotFoundError('Tenant', id);
    return row;
  }

  async create(viewer: Viewer, input: { name: string }): Promise<TenantRow> {
    assertOperator(viewer);
    const [row] = await this.db.insert(tenants).values({ name: requireName(input.name) }).returning();
    return row;
  }

  /** Renames (the tenant itself may), or disables and enables (the operator only). */
  async update(viewer: Viewer, input: { id: string; name?: string | null; disabled?: boolean | null }): Promise<TenantRow> {
    const existing = await this.findOrFail(viewer, input.id);
    if (input.disabled != null) assertOperator(viewer);
    const changes: Partial<TenantRow> = {};
    if (input.name != null) changes.name = requireName(input.name);
    if (input.disabled != null) changes.disabledAt = input.disabled ? (existing.disabledAt ?? new Date()) : null;
    if (Object.keys(changes).length === 0) return existing;
    const [row] = await this.db.update(tenants).set(changes).where(eq(tenants.id, existing.id)).returning();
    return row;
  }

  /**
   * Deletes a tenant and all its data (operator only): numbers, instances, contacts, messages,
   * rules, keys, campaigns go with it (foreign keys cascade), and the rows that name it without a
   * key (statuses, account events, raw webhook events that concerned it alone) are removed too.
   * Its numbers are released: another tenant may register them.
   */
  async delete(viewer: Viewer, id: string): Promise<TenantRow> {
    assertOperator(viewer);
    const existing = await this.findOrFail(viewer, id);
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`delete from message_status_events where tenant_id = ${existing.id}`);
      await tx.execute(sql`delete from account_events where tenant_id = ${existing.id}`);
      await tx.execute(sql`delete from webhook_events where tenant_ids = array[${existing.id}]::uuid[]`);
      await tx.delete(tenants).where(eq(tenants.id, existing.id));
    });
    return existing;
  }
}
