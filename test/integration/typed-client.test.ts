import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { startTestServer } from '../setup/server.js';
import { uniqueE164, uniqueMetaId } from '../factories/index.js';
import {
  AddPhoneNumberDocument, CreateApiKeyDocument, CreateInstanceDocument, CreateTenantDocument, InstancesDocument, ViewerDocument,
  type InstancesQuery, type TypedDocumentString,
} from '../../web/src/api/generated.js';

// setup(): a real server over the test Postgres and Redis. The script below is what an integrator
// writes with the typed client of `pnpm codegen` (README, "Typed client for integrators"): the
// dashboard's own generated documents (web/src/api/generated.ts, from schema/schema.graphql), and
// a fetch of a few lines. The type assertions are checked by `pnpm typecheck`; the calls here.
let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

class WabahubError extends Error {
  constructor(readonly errors: { message: string; extensions?: { code?: string } }[]) {
    super(errors.map((e) => `${e.message} (${e.extensions?.code})`).join('; '));
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** The integrator's whole client: the document says what comes back and what it takes. */
async function wabahub<R, V>(key: string, document: TypedDocumentString<R, V>, variables: V): Promise<R> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const { data, errors } = (await response.json()) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  if (errors?.length || !data) throw new WabahubError(errors ?? [{ message: `HTTP ${response.status}` }]);
  return data;
}

describe('the typed client (pnpm codegen)', () => {
  it('creates a tenant and its key as the operator, then lists the tenant\'s instances with that key, every result typed as the schema says', async () => {
    const operator = server.operatorKey;
    const { createTenant: tenant } = await wabahub(operator, CreateTenantDocument, { input: { name: 'Padaria Real' } });
    expectTypeOf(tenant.id).toEqualTypeOf<string>();
    expectTypeOf(tenant.apiKeys).toEqualTypeOf<{ id: string; name: string; prefix: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }[]>();
    expect(tenant).toMatchObject({ name: 'Padaria Real', apiKeys: [] });

    const { createApiKey } = await wabahub(operator, CreateApiKeyDocument, { tenantId: tenant.id, name: 'CRM' });
    expectTypeOf(createApiKey.secret).toEqualTypeOf<string>();
    const key = createApiKey.secret;

    const phoneNumberId = uniqueMetaId();
    await wabahub(operator, AddPhoneNumberDocument, { input: { tenantId: tenant.id, phoneNumberId, displayPhoneNumber: uniqueE164(), wabaId: uniqueMetaId() } });
    const { createInstance } = await wabahub(key, CreateInstanceDocument, { input: { phoneNumberId, name: 'Loja Centro', timezone: 'America/Sao_Paulo' } });

    const { viewer } = await wabahub(key, ViewerDocument, {});
    expect(viewer).toEqual({ kind: 'tenant', tenant: { id: tenant.id, name: 'Padaria Real' } });

    const { instances } = await wabahub(key, InstancesDocument, { first: 10 });
    expectTypeOf(instances).toEqualTypeOf<InstancesQuery['instances']>();
    type Listed = (typeof instances)['edges'][number]['node'];
    expectTypeOf<Listed['phoneNumber']>().toEqualTypeOf<{ id: string; phoneNumberId: string; displayPhoneNumber: string }>();
    expectTypeOf<Listed['automationRules']>().toEqualTypeOf<{ id: string; name: string; enabled: boolean }[]>();
    expectTypeOf(instances.pageInfo.endCursor).toEqualTypeOf<string | null>();
    expect(instances.totalCount).toBe(1);
    expect(instances.edges[0].node).toMatchObject({ id: createInstance.id, tenantId: tenant.id, name: 'Loja Centro', timezone: 'America/Sao_Paulo', status: 'active', phoneNumber: { phoneNumberId }, automationRules: [] });
  });

  it('takes only the variables the operation declares, with their types', async () => {
    // Compile-time: a missing required variable, or one of the wrong type, does not type-check.
    const unchecked = () => {
      // @ts-expect-error input is required
      void wabahub(server.operatorKey, CreateTenantDocument, {});
      // @ts-expect-error first is an Int
      void wabahub(server.operatorKey, InstancesDocument, { first: 'ten' });
    };
    expect(typeof unchecked).toBe('function');

    // Run time: the server's own check still stands behind the types (a tenant key may not create tenants).
    const { createTenant } = await wabahub(server.operatorKey, CreateTenantDocument, { input: { name: 'Outra' } });
    const { createApiKey } = await wabahub(server.operatorKey, CreateApiKeyDocument, { tenantId: createTenant.id });
    const refused = await wabahub(createApiKey.secret, CreateTenantDocument, { input: { name: 'x' } }).catch((e: WabahubError) => e);
    expect(refused).toBeInstanceOf(WabahubError);
    expect((refused as WabahubError).code).toBe('FORBIDDEN');
  });
});
