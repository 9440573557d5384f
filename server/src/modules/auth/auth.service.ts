import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { findScopedOrFail } from './auth.scope.js';
import { UnauthenticatedError } from '../../lib/errors.js';
import { constantTimeEqual, generateApiKey, sha256Hex } from '../../lib/secrets.js';
import { requireName } from '../../lib/phone.js';
import { OPERATOR, type Viewer } from './auth.viewer.js';
import type { TenantService } from '../tenants/tenants.service.js';
import { apiKeys, type ApiKeyRow } from './api-keys.table.js';

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

    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, sha256Hex(key)));
    if (!row) throw new UnauthenticatedError('unknown API key');
    if (row.revokedAt) throw new UnauthenticatedError('this API key was revoked');
    this.touch(row);
    return { kind: 'tenant', tenantId: row.tenantId, apiKeyId: row.id };
  }

  async create(viewer: Viewer, tenantId: string, name?: string | null): Promise<{ row: ApiKeyRow; secret: string }> {
    const tenant = await this.tenants.findOrFail(viewer, tenantId);
    const { key, prefix, hash } = generateApiKey();
    const [row] = await this.db.insert(apiKeys).values({ tenantId: tenant.id, name: requireName(name ?? 'API key'), prefix, keyHash: hash }).returning();
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
