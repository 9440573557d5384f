import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { ConflictError, NotFoundError, ValidationError, isUniqueViolation } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { requireName } from '../../lib/phone.js';
import { isUuid } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import { INSTANCE_STATUSES, instances, type BusinessHours, type InstanceRow, type InstanceStatus } from './instances.table.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class InstanceService {
  constructor(
    private readonly db: Database,
    private readonly phoneNumbers: PhoneNumberService,
  ) {}

  async list(viewer: Viewer, filter: { tenantId?: string | null; status?: string | null }, page: PageRequest) {
    const scope = tenantScope(viewer);
    if (filter.status) assertStatus(filter.status);
    if (filter.tenantId && !isUuid(filter.tenantId)) throw new NotFoundError('Tenant', filter.tenantId);
    return paginate(this.db, instances, and(
      scope ? eq(instances.tenantId, scope) : undefined,
      filter.tenantId ? eq(instances.tenantId, filter.tenantId) : undefined,
      filter.status ? eq(instances.status, filter.status as InstanceStatus) : undefined,
    ), page);
  }

  async findOrFail(viewer: Viewer, id: string): Promise<InstanceRow> {
    return findScopedOrFail(this.db, instances, 'Instance', viewer, id);
  }

  async findByPhoneNumber(phoneNumberRowId: string): Promise<InstanceRow | undefined> {
    const [row] = await this.db.select().from(instances).where(eq(instances.phoneNumberId, phoneNumberRowId));
    return row;
  }

  async create(viewer: Viewer, input: { phoneNumberId: string; name: string; timezone?: string | null }): Promise<InstanceRow> {
    const number = await this.phoneNumbers.findByRef(viewer, input.phoneNumberId);
    try {
      const [row] = await this.db.insert(instances).values({
        tenantId: number.tenantId,
        phoneNumberId: number.id,
        name: requireName(input.name),
        timezone: assertTimezone(input.timezone ?? 'UTC'),
      }).returning();
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`phone number ${number.phoneNumberId} already has an instance`, { field: 'phoneNumberId' });
      throw error;
    }
  }

  async update(viewer: Viewer, input: { id: string; name?: string | null; timezone?: string | null; status?: string | null; businessHours?: BusinessHours['days'] | null }): Promise<InstanceRow> {
    const existing = await this.findOrFail(viewer, input.id);
    const changes: Partial<InstanceRow> = {};
    if (input.name != null) changes.name = requireName(input.name);
    if (input.timezone != null) changes.timezone = assertTimezone(input.timezone);
    if (input.status != null) changes.status = assertStatus(input.status);
    if (input.businessHours != null) changes.businessHours = input.businessHours.length === 0 ? null : { days: assertBusinessHours(input.businessHours) };
    if (Object.keys(changes).length === 0) return existing;
    const [row] = await this.db.update(instances).set(changes).where(and(eq(instances.id, existing.id), eq(instances.tenantId, existing.tenantId))).returning();
    return row;
  }

}

function assertStatus(status: string): InstanceStatus {
  if (!INSTANCE_STATUSES.includes(status as InstanceStatus)) throw new ValidationError(`status: must be one of ${INSTANCE_STATUSES.join(', ')}`, 'status');
  return status as InstanceStatus;
}

export function assertTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    throw new ValidationError(`timezone: "${timezone}" is not an IANA timezone (e.g. America/Sao_Paulo)`, 'timezone');
  }
}

function assertBusinessHours(days: BusinessHours['days']): BusinessHours['days'] {
  return days.map((d, i) => {
    const path = `businessHours[${i}]`;
    if (!Number.isInteger(d.day) || d.day < 0 || d.day > 6) throw new ValidationError(`${path}.day: must be 0 (Sunday) to 6`, path);
    if (!HHMM.test(d.open) || !HHMM.test(d.close)) throw new ValidationError(`${path}: times must be "HH:MM"`, path);
    if (d.close <= d.open) throw new ValidationError(`${path}: close must be after open`, path);
    return { day: d.day, open: d.open, close: d.close };
  });
}
