import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client.js';
import { tenantScope, type Viewer } from './auth.viewer.js';
import { NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/sql.js';

type TenantTable = PgTable & { id: PgColumn; tenantId: PgColumn };

/**
 * The one lookup of a tenant-owned row by id: a tenant viewer only finds its own rows, and
 * another tenant's id (or a malformed one) is reported exactly like an id that does not exist.
 */
export async function findScopedOrFail<T extends TenantTable>(db: Database, table: T, entity: string, viewer: Viewer, id: string): Promise<T['$inferSelect']> {
  if (!isUuid(id)) throw new NotFoundError(entity, id);
  const scope = tenantScope(viewer);
  const [row] = await db.select().from(table as TenantTable).where(and(eq(table.id, id), scope ? eq(table.tenantId, scope) : undefined));
  if (!row) throw new NotFoundError(entity, id);
  return row as T['$inferSelect'];
}
