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
import { parseBusinessHours } from './instances.business-hours.js';

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

  /** Deletes an instance: its rules and their runs go; its number, contacts and messages stay (messages keep no instance). */
  async delete(viewer: Viewer, id: string): Promise<InstanceRow> {
    const existing = await this.findOrFail(viewer, id);
    await this.db.delete(instances).where(and(eq(instances.id, existing.id), eq(instances.tenantId, existing.tenantId)));
    return existing;
  }

  async update(viewer: Viewer, input: {
    id: string; name?: string | null; timezone?: string | null; status?: string | null; businessHours?: BusinessHours['days'] | null; holidays?: string[] | null;
    handoffTimeoutHours?: number | null; replyLimitPerHour?: number | null;
  }): Promise<InstanceRow> {
    const existing = await this.findOrFail(viewer, input.id);
    const changes: Partial<InstanceRow> = {};
    if (input.name != null) changes.name = requireName(input.name);
    if (input.timezone != null) changes.timezone = assertTimezone(input.timezone);
    if (input.status != null) changes.status = assertStatus(input.status);
    if (input.businessHours != null || input.holidays != null) {
      const days = input.businessHours ?? existing.businessHours?.days ?? [];
      const holidays = input.holidays ?? existing.businessHours?.holidays ?? [];
      // No intervals and no holidays: always open (null), as before hours were set.
      changes.businessHours = days.length === 0 && holidays.length === 0 ? null : parseBusinessHours({ days, holidays }, 'businessHours');
    }
    if (input.handoffTimeoutHours != null) changes.handoffTimeoutHours = boundedInt(input.handoffTimeoutHours, 1, 720, 'handoffTimeoutHours');
    if (input.replyLimitPerHour != null) changes.replyLimitPerHour = boundedInt(input.replyLimitPerHour, 1, 100, 'replyLimitPerHour');
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

function boundedInt(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new ValidationError(`${field}: must be a whole number from ${min} to ${max}`, field);
  return value;
}
