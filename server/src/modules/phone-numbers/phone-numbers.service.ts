import { and, eq, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { ConflictError, ForbiddenError, MetaRequestError, NotFoundError, ValidationError, isUniqueViolation } from '../../lib/errors.js';
import { isMetaApiError, type GraphClient } from '../../meta/index.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { assertMetaId, normalizeE164 } from '../../lib/phone.js';
import { decryptSecret, encryptSecret } from '../../lib/secrets.js';
import { isUuid } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { TenantService } from '../tenants/tenants.service.js';
import { refreshMetaState } from './phone-numbers.meta-state.js';
import { PHONE_NUMBER_STATUSES, THROUGHPUT_TIERS, phoneNumbers, type PhoneNumberRow, type ThroughputTier } from './phone-numbers.table.js';

export interface AddPhoneNumber {
  tenantId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  throughputTier?: number | null;
  verifiedName?: string | null;
  accessToken?: string | null;
}

/** Told when a paused number may send again (outbound and campaigns re-enqueue what waited). */
export type NumberResumedListener = (number: PhoneNumberRow) => Promise<unknown>;

export class PhoneNumberService {
  private readonly resumedListeners: NumberResumedListener[] = [];

  constructor(
    private readonly db: Database,
    private readonly secretsKey: Buffer,
    private readonly tenants: TenantService,
    private readonly graph: GraphClient,
  ) {}

  /** Domains above this one (outbound, campaigns) subscribe at composition, so this one imports none of them. */
  onResumed(listener: NumberResumedListener): void {
    this.resumedListeners.push(listener);
  }

  async list(viewer: Viewer, filter: { tenantId?: string | null; wabaId?: string | null; status?: string | null }, page: PageRequest) {
    return paginate(this.db, phoneNumbers, this.scoped(viewer, filter), page);
  }

  async findOrFail(viewer: Viewer, id: string): Promise<PhoneNumberRow> {
    return findScopedOrFail(this.db, phoneNumbers, 'PhoneNumber', viewer, id);
  }

  /** Routing lookup for webhooks and sends: by Meta's Phone Number ID, across all tenants. */
  async findByMetaId(phoneNumberId: string): Promise<PhoneNumberRow | undefined> {
    const [row] = await this.db.select().from(phoneNumbers).where(eq(phoneNumbers.phoneNumberId, phoneNumberId));
    return row;
  }

  /** A number named by wabahub's id or by Meta's Phone Number ID, within what the viewer may see. */
  async findByRef(viewer: Viewer, ref: string): Promise<PhoneNumberRow> {
    if (isUuid(ref)) return this.findOrFail(viewer, ref);
    const row = /^\d+$/.test(ref.trim()) ? await this.findByMetaId(ref.trim()) : undefined;
    const scope = tenantScope(viewer);
    if (!row || (scope && row.tenantId !== scope)) throw new NotFoundError('PhoneNumber', ref);
    return row;
  }

  /**
   * Restarts a number paused after Meta refused its token: status back to `connected`, then the
   * listeners (its backoff forgotten, every message still queued for it enqueued again).
   */
  async resume(viewer: Viewer, ref: string): Promise<PhoneNumberRow> {
    const number = await this.findByRef(viewer, ref);
    if (number.status !== 'paused') return number;
    const [row] = await this.db.update(phoneNumbers).set({ status: 'connected' }).where(and(eq(phoneNumbers.id, number.id), eq(phoneNumbers.status, 'paused'))).returning();
    if (!row) return this.findOrFail(viewer, number.id);
    for (const listener of this.resumedListeners) await listener(row);
    return row;
  }

  async add(viewer: Viewer, input: AddPhoneNumber): Promise<PhoneNumberRow> {
    const tenant = await this.tenants.findOrFail(viewer, input.tenantId);
    const tier = input.throughputTier ?? 80;
    if (!THROUGHPUT_TIERS.includes(tier as ThroughputTier)) throw new ValidationError(`throughputTier: must be one of ${THROUGHPUT_TIERS.join(', ')}`, 'throughputTier');
    const values = {
      tenantId: tenant.id,
      phoneNumberId: assertMetaId(input.phoneNumberId, 'phoneNumberId'),
      // As Meta shows it: its test numbers (+1 555 …) are in no country's ranges, only of a possible length.
      displayPhoneNumber: normalizeE164(input.displayPhoneNumber, 'displayPhoneNumber', { accept: 'possible' }),
      wabaId: assertMetaId(input.wabaId, 'wabaId'),
      throughputTier: tier as ThroughputTier,
      verifiedName: input.verifiedName?.trim() || null,
      accessToken: input.accessToken ? encryptSecret(input.accessToken, this.secretsKey) : null,
    };
    if (viewer.kind === 'tenant') await this.assertOwnedBy(input.accessToken, values.wabaId, values.phoneNumberId);
    try {
      const [row] = await this.db.insert(phoneNumbers).values(values).returning();
      return row;
    } catch (error) {
      // The id is unique across every tenant: say it is taken without saying by whom.
      if (isUniqueViolation(error)) throw new ConflictError(`phoneNumberId ${values.phoneNumberId} is already registered in wabahub`, { field: 'phoneNumberId' });
      throw error;
    }
  }

  /**
   * A tenant adding a number proves it is its own: with the business token it got from Embedded
   * Signup, Meta must list the number in that WABA. Otherwise a tenant could take another client's
   * Phone Number ID before that client registers it, and the client's messages would be routed to
   * it. Numbers shared with the app's system user alone are the operator's to add.
   */
  private async assertOwnedBy(token: string | null | undefined, wabaId: string, phoneNumberId: string): Promise<void> {
    if (!token) throw new ForbiddenError("a tenant adds a number with its business token (accessToken, from Embedded Signup), so Meta can show the number is the tenant's; the operator adds numbers shared with the app");
    let numbers;
    try {
      numbers = await this.graph.listPhoneNumbers(wabaId, token);
    } catch (error) {
      if (isMetaApiError(error)) throw new MetaRequestError(`Meta refused to list the numbers of WABA ${wabaId} with this accessToken: (#${error.code}) ${error.message}`, { field: 'accessToken', metaCode: error.code, kind: error.kind });
      throw error;
    }
    if (!numbers.some((n) => n.id === phoneNumberId)) {
      throw new ValidationError(`Meta lists no phone number ${phoneNumberId} in WABA ${wabaId} for this accessToken`, 'phoneNumberId');
    }
  }

  /**
   * Removes a number from wabahub: its instance, contacts and messages go with it, and its
   * Phone Number ID is free to register again (for this tenant or another). Meta keeps the number.
   */
  async remove(viewer: Viewer, ref: string): Promise<PhoneNumberRow> {
    const number = await this.findByRef(viewer, ref);
    await this.db.delete(phoneNumbers).where(and(eq(phoneNumbers.id, number.id), eq(phoneNumbers.tenantId, number.tenantId)));
    return number;
  }

  /** Reads the number's state from Meta (status, quality, name, limit, tier) and stores it; throws Meta's error. */
  async refreshFromMeta(row: PhoneNumberRow, systemToken: string): Promise<PhoneNumberRow> {
    return (await refreshMetaState(this.db, this.graph, row, this.tokenFor(row, systemToken))).row;
  }

  /** The token to call Meta with for this number: its own business token, else the app's. */
  tokenFor(row: PhoneNumberRow, systemToken: string): string {
    return row.accessToken ? decryptSecret(row.accessToken, this.secretsKey) : systemToken;
  }

  private scoped(viewer: Viewer, filter: { tenantId?: string | null; wabaId?: string | null; status?: string | null }): SQL | undefined {
    const scope = tenantScope(viewer);
    if (filter.status && !PHONE_NUMBER_STATUSES.includes(filter.status as never)) throw new ValidationError(`status: must be one of ${PHONE_NUMBER_STATUSES.join(', ')}`, 'status');
    if (filter.tenantId && !isUuid(filter.tenantId)) throw new NotFoundError('Tenant', filter.tenantId);
    return and(
      scope ? eq(phoneNumbers.tenantId, scope) : undefined,
      filter.tenantId ? eq(phoneNumbers.tenantId, filter.tenantId) : undefined,
      filter.wabaId ? eq(phoneNumbers.wabaId, filter.wabaId) : undefined,
      filter.status ? eq(phoneNumbers.status, filter.status as PhoneNumberRow['status']) : undefined,
    );
  }
}
