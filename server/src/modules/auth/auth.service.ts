import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from './auth.scope.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../lib/errors.js';
import { constantTimeEqual, generateApiKey, sha256Hex } from '../../lib/secrets.js';
import { requireName } from '../../lib/phone.js';
import { OPERATOR, type Viewer } from './auth.viewer.js';
import type { TenantService } from '../tenants/tenants.service.js';
import { API_KEY_SCOPES, apiKeys, type ApiKeyRow, type ApiKeyScope } from './api-keys.table.js';
import { tenants } from '../tenants/tenants.table.js';

const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly operatorKey: string,
    private readonly tenants: TenantService,
  ) {}

  /** Resolves `Authorization: Bearer <key>` to a viewer, or throws UNAUTHENTICATED saying why. */
  async authenticate(authorization: string | undefined | null): Promise<Viewer> {
    if (!authorization) throw new UnauthenticatedError('missing API key: send "Authorization: Bearer <key>"');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new UnauthenticatedError('malformed Authorization header: expected "Bearer <key>"');
    const key = match[1];
    if (constantTimeEqual(key, this.operatorKey)) return OPERATOR;

    const [found] = await this.db.select({ key: apiKeys, disabledAt: tenants.disabledAt }).from(apiKeys).innerJoin(tenants, eq(tenants.id, apiKeys.tenantId)).where(eq(apiKeys.keyHash, sha256Hex(key)));
    if (!found) throw new UnauthenticatedError('unknown API key');
    const row = found.key;
    if (row.revokedAt) throw new UnauthenticatedError('this API key was revoked');
    if (found.disabledAt) throw new UnauthenticatedError("this API key's tenant is disabled; the operator can enable it again");
    this.touch(row);
    return { kind: 'tenant', tenantId: row.tenantId, apiKeyId: row.id, scope: row.scope, rateLimitPerMinute: row.rateLimitPerMinute };
  }

  async create(viewer: Viewer, tenantId: string, name?: string | null, options: { scope?: string | null; rateLimitPerMinute?: number | null } = {}): Promise<{ row: ApiKeyRow; secret: string }> {
    const tenant = await this.tenants.findOrFail(viewer, tenantId);
    const scope = options.scope ?? 'full';
    if (!API_KEY_SCOPES.includes(scope as ApiKeyScope)) throw new ValidationError(`scope: must be one of ${API_KEY_SCOPES.join(', ')}`, 'scope');
    // A read key cannot make a full one: a key never hands out more than it has.
    if (viewer.kind === 'tenant' && viewer.scope === 'read') throw new ForbiddenError('this API key is read-only');
    const limit = options.rateLimitPerMinute ?? null;
    if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > 100_000)) throw new ValidationError('rateLimitPerMinute: must be a whole number from 1 to 100000', 'rateLimitPerMinute');
    if (limit !== null && viewer.kind !== 'operator') throw new ForbiddenError('only the operator sets a key\'s rate limit');
    const { key, prefix, hash } = generateApiKey();
    const [row] = await this.db.insert(apiKeys).values({ tenantId: tenant.id, name: requireName(name ?? 'API key'), prefix, keyHash: hash, scope: scope as ApiKeyScope, rateLimitPerMinute: limit }).returning();
    return { row, secret: key };
  }

  async findOrFail(viewer: Viewer, id: string): Promise<ApiKeyRow> {
    return findScopedOrFail(this.db, apiKeys, 'ApiKey', viewer, id);
  }

  async listForTenant(viewer: Viewer, tenantId: string): Promise<ApiKeyRow[]> {
    const tenant = await this.tenants.findOrFail(viewer, tenantId);
    return this.db.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant.id)).orderBy(apiKeys.createdAt);
  }

  /** Revoking twice is harmless: the first revocation time is kept. */
  async revoke(viewer: Viewer, id: string): Promise<ApiKeyRow> {
    const existing = await this.findOrFail(viewer, id);
    if (existing.revokedAt) return existing;
    const [row] = await this.db.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, existing.id), isNull(apiKeys.revokedAt))).returning();
    return row ?? (await this.findOrFail(viewer, id));
  }

  /** Records use to the minute, off the request's path; a failure here must not fail the request. */
  private touch(row: ApiKeyRow): void {
    const threshold = new Date(Date.now() - LAST_USED_RESOLUTION_MS);
    if (row.lastUsedAt && row.lastUsedAt > threshold) return;
    this.db
      .update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, threshold))))
      .catch(() => {});
  }
}
