import { and, eq, ilike, type SQL } from 'drizzle-orm';
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
}
