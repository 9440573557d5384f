import { and, eq, ilike, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { NotFoundError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { escapeLike, isUuid } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import { contacts, type ContactRow } from './contacts.table.js';

export class ContactService {
  constructor(private readonly db: Database) {}

  async list(viewer: Viewer, filter: { phoneNumberId?: string | null; search?: string | null; tenantId?: string | null }, page: PageRequest) {
    const scope = tenantScope(viewer);
    for (const [field, value] of [['phoneNumberId', filter.phoneNumberId], ['tenantId', filter.tenantId]] as const) {
      if (value && !isUuid(value)) throw new NotFoundError(field === 'tenantId' ? 'Tenant' : 'PhoneNumber', value);
    }
    const search = filter.search ? `%${escapeLike(filter.search)}%` : null;
    return paginate(this.db, contacts, and(
      scope ? eq(contacts.tenantId, scope) : undefined,
      filter.tenantId ? eq(contacts.tenantId, filter.tenantId) : undefined,
      filter.phoneNumberId ? eq(contacts.phoneNumberId, filter.phoneNumberId) : undefined,
      search ? or(ilike(contacts.name, search), ilike(contacts.waId, search)) : undefined,
    ), page);
  }

  async findOrFail(viewer: Viewer, id: string): Promise<ContactRow> {
    return findScopedOrFail(this.db, contacts, 'Contact', viewer, id);
  }
}
