import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { getIntrospectionQuery } from 'graphql';
import { startTestServer } from '../setup/server.js';
import { startTcpProxy } from '../setup/tcp-proxy.js';
import { TEST_DATABASE_URL } from '../setup/test-env.js';
import { startPrivateRedis } from '../setup/redis-control.js';
import { eventually } from '../setup/webhooks.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { makeInstance, makeRuleTemplate, makeTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';

// setup(): a real server on a free port over the real test Postgres and Redis.
let server: Awaited<ReturnType<typeof startTestServer>>;
let op: string;
beforeAll(async () => {
  server = await startTestServer();
  op = server.operatorKey;
});
afterAll(async () => server?.close());

/** One operation over graphql-ws, as the dashboard sends them: its result, or the errors it was refused with. */
async function overSocket(key: string, query: string): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
  try {
    return await new Promise((resolve) => {
      let result = {};
      client.subscribe({ query }, { next: (value) => { result = value; }, error: (errors) => resolve({ errors: errors as never }), complete: () => resolve(result) });
    });
  } finally {
    await client.dispose();
  }
}

const CREATE_TENANT = `mutation($name: String!) { createTenant(input: { name: $name }) { id name createdAt } }`;
const ADD_NUMBER = `mutation($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) { id tenantId phoneNumberId displayPhoneNumber wabaId throughputTier status hasOwnToken } }`;
const CREATE_INSTANCE = `mutation($input: CreateInstanceInput!) { createInstance(input: $input) { id name timezone status phoneNumber { phoneNumberId } } }`;

describe('GraphQL API', () => {
  describe('tenants', () => {
    it('creates a tenant and reads it back by id and in the list', async () => {
      const name = `Padaria ${uniqueMetaId()}`;
      const { createTenant } = await gqlOk(server.url, op, CREATE_TENANT, { name });
      expect(createTenant.name).toBe(name);
      const { tenant } = await gqlOk(server.url, op, `query($id: ID!) { tenant(id: $id) { id name } }`, { id: createTenant.id });
      expect(tenant).toEqual({ id: createTenant.id, name });
      const { tenants } = await gqlOk(server.url, op, `query($q: String) { tenants(filter: { nameContains: $q }) { totalCount edges { node { id } } } }`, { q: name });
      expect(tenants.totalCount).toBe(1);
      expect(tenants.edges[0].node.id).toBe(createTenant.id);
    });

    it('rejects an empty name with VALIDATION_FAILED', async () => {
      const response = await gql(server.url, op, CREATE_TENANT, { name: '   ' });
      expect(codes(response)).toEqual(['VALIDATION_FAILED']);
      expect(response.errors?.[0].message).toMatch(/name: must not be empty/);
    });

    it('reports an unknown id as NOT_FOUND', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        const response = await gql(server.url, op, `query($id: ID!) { tenant(id: $id) { id } }`, { id });
        expect(codes(response)).toEqual(['NOT_FOUND']);
      }
    });
  });

  describe('pagination', () => {
    it('walks a filtered list page by page with cursors, newest first, without gaps or repeats', async () => {
      const marker = `Paged ${uniqueMetaId()}`;
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await gqlOk(server.url, op, CREATE_TENANT, { name: `${marker} ${i}` })).createTenant.id);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { tenants }: any = await gqlOk(server.url, op, `query($after: String, $q: String) { tenants(first: 3, after: $after, filter: { nameContains: $q }) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after, q: marker });
        expect(tenants.totalCount).toBe(7);
        seen.push(...tenants.edges.map((e: any) => e.node.id));
        pages++;
        if (!tenants.pageInfo.hasNextPage) break;
        after = tenants.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...created].reverse());
    });

    it('rejects a page size over 100 and a forged cursor', async () => {
      expect(codes(await gql(server.url, op, `{ tenants(first: 1000) { totalCount } }`))).toEqual(['VALIDATION_FAILED']);
      expect(codes(await gql(server.url, op, `{ tenants(after: "bm9wZQ") { totalCount } }`))).toEqual(['VALIDATION_FAILED']);
    });

    it('rejects a cursor forged to hold what Postgres would refuse: an id that is no uuid, a year-0 date', async () => {
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const after of [forged(['2020-01-01T00:00:00.000Z', 'not-a-uuid']), forged(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])]) {
        const response = await gql(server.url, op, `query($after: String) { tenants(after: $after) { totalCount } }`, { after });
        expect(response.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['VALIDATION_FAILED', 'after']]);
      }
    });
  });

  describe('phone numbers', () => {
    it('adds a number, normalising the E.164 form, and never returns its token', async () => {
      const { tenant } = await makeTenant(server.core.services);
      const phoneNumberId = uniqueMetaId();
      const { addPhoneNumber } = await gqlOk(server.url, op, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId, displayPhoneNumber: '+55 (11) 98765-4321', wabaId: uniqueMetaId(), throughputTier: 1000, accessToken: 'EAAG-secret-token' } });
      expect(addPhoneNumber).toMatchObject({ tenantId: tenant.id, phoneNumberId, displayPhoneNumber: '+5511987654321', throughputTier: 1000, status: 'pending', hasOwnToken: true });
      // Encrypted at rest: the plain token is nowhere in the row.
      const [row] = await server.core.database.sql`select access_token::text as t from phone_numbers where phone_number_id = ${phoneNumberId}`;
      expect(row.t).not.toContain('EAAG-secret-token');
      expect(server.core.services.phoneNumbers.tokenFor((await server.core.services.phoneNumbers.findByMetaId(phoneNumberId))!, 'system')).toBe('EAAG-secret-token');
    });

    it.each([
      ['an invalid E.164 number', { displayPhoneNumber: '12ab' }, 'VALIDATION_FAILED', /E\.164/],
      ['a too-short number', { displayPhoneNumber: '+55 11' }, 'VALIDATION_FAILED', /E\.164/],
      ['a non-numeric phone number id', { phoneNumberId: 'abc' }, 'VALIDATION_FAILED', /phoneNumberId/],
      ['an unsupported throughput tier', { throughputTier: 500 }, 'VALIDATION_FAILED', /throughputTier/],
      ['an unknown tenant', { tenantId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', /Tenant/],
    ])('rejects %s', async (_label, override, code, message) => {
      const { tenant } = await makeTenant(server.core.services);
      const response = await gql(server.url, op, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId: uniqueMetaId(), displayPhoneNumber: uniqueE164(), wabaId: uniqueMetaId(), ...override } });
      expect(codes(response)).toEqual([code]);
      expect(response.errors?.[0].message).toMatch(message);
    });

    it('rejects a phone number id already registered, even by another tenant, with CONFLICT', async () => {
      const a = await makeTenant(server.core.services);
      const b = await makeTenant(server.core.services);
      const phoneNumberId = uniqueMetaId();
      await gqlOk(server.url, op, ADD_NUMBER, { input: { tenantId: a.tenant.id, phoneNumberId, displayPhoneNumber: uniqueE164(), wabaId: uniqueMetaId() } });
      const response = await gql(server.url, op, ADD_NUMBER, { input: { tenantId: b.tenant.id, phoneNumberId, displayPhoneNumber: uniqueE164(), wabaId: uniqueMetaId() } });
      expect(codes(response)).toEqual(['CONFLICT']);
      expect(response.errors?.[0].message).toContain(phoneNumberId);
    });

    it('lists numbers filtered by tenant', async () => {
      const { tenant } = await makeTenant(server.core.services);
      await makeInstance(server.core.services, tenant.id);
      await makeInstance(server.core.services, tenant.id);
      const { phoneNumbers } = await gqlOk(server.url, op, `query($t: ID) { phoneNumbers(filter: { tenantId: $t }) { totalCount edges { node { tenantId instance { id } } } } }`, { t: tenant.id });
      expect(phoneNumbers.totalCount).toBe(2);
      expect(phoneNumbers.edges.every((e: any) => e.node.tenantId === tenant.id && e.node.instance)).toBe(true);
    });
  });

  describe('instances', () => {
    it('creates an instance by Meta phone number id, updates it, lists it', async () => {
      const { tenant, key } = await makeTenant(server.core.services);
      const phoneNumberId = uniqueMetaId();
      await gqlOk(server.url, op, ADD_NUMBER, { input: { tenantId: tenant.id, phoneNumberId, displayPhoneNumber: uniqueE164(), wabaId: uniqueMetaId() } });
      const { createInstance } = await gqlOk(server.url, key, CREATE_INSTANCE, { input: { phoneNumberId, name: 'Loja Centro', timezone: 'America/Sao_Paulo' } });
      expect(createInstance).toMatchObject({ name: 'Loja Centro', timezone: 'America/Sao_Paulo', status: 'active', phoneNumber: { phoneNumberId } });
      const { updateInstance } = await gqlOk(server.url, key, `mutation($input: UpdateInstanceInput!) { updateInstance(input: $input) { name status businessHours { day open close } } }`, {
        input: { id: createInstance.id, name: 'Loja Centro 2', status: 'paused', businessHours: [{ day: 1, open: '09:00', close: '18:00' }] },
      });
      expect(updateInstance).toEqual({ name: 'Loja Centro 2', status: 'paused', businessHours: [{ day: 1, open: '09:00', close: '18:00' }] });
      const { instances } = await gqlOk(server.url, key, `{ instances { totalCount edges { node { id } } } }`);
      expect(instances.edges.map((e: any) => e.node.id)).toEqual([createInstance.id]);
    });

    it.each([
      ['an invalid timezone', { timezone: 'Mars/Olympus' }, /timezone/],
      ['an empty name', { name: '' }, /name/],
    ])('rejects %s', async (_label, override, message) => {
      const { tenant } = await makeTenant(server.core.services);
      const { phoneNumber } = await makeInstance(server.core.services, tenant.id);
      const other = await server.core.services.phoneNumbers.add({ kind: 'operator' }, { tenantId: tenant.id, phoneNumberId: uniqueMetaId(), displayPhoneNumber: uniqueE164(), wabaId: phoneNumber.wabaId });
      const response = await gql(server.url, op, CREATE_INSTANCE, { input: { phoneNumberId: other.id, name: 'X', timezone: 'UTC', ...override } });
      expect(codes(response)).toEqual(['VALIDATION_FAILED']);
      expect(response.errors?.[0].message).toMatch(message);
    });

    it('allows one instance per number', async () => {
      const { tenant } = await makeTenant(server.core.services);
      const { phoneNumber } = await makeInstance(server.core.services, tenant.id);
      const response = await gql(server.url, op, CREATE_INSTANCE, { input: { phoneNumberId: phoneNumber.id, name: 'Second' } });
      expect(codes(response)).toEqual(['CONFLICT']);
    });

    it('rejects bad business hours', async () => {
      const { tenant } = await makeTenant(server.core.services);
      const { instance } = await makeInstance(server.core.services, tenant.id);
      const response = await gql(server.url, op, `mutation($input: UpdateInstanceInput!) { updateInstance(input: $input) { id } }`, { input: { id: instance.id, businessHours: [{ day: 9, open: '18:00', close: '09:00' }] } });
      expect(codes(response)).toEqual(['VALIDATION_FAILED']);
    });
  });

  describe('rule templates', () => {
    const RULES = [{ name: 'greet', trigger: { type: 'first_message' }, action: { type: 'reply_text', text: 'Olá, aqui é {{business_name}}' } }];

    it('publishes, updates (bumping the version) and applies a template with its variables filled', async () => {
      const { createRuleTemplate: t } = await gqlOk(server.url, op, `mutation($input: CreateRuleTemplateInput!) { createRuleTemplate(input: $input) { id version variables { name required } rules } }`, {
        input: { name: 'Boas-vindas', variables: [{ name: 'business_name', description: 'Nome da loja' }], rules: RULES },
      });
      expect(t.version).toBe(1);
      const { updateRuleTemplate } = await gqlOk(server.url, op, `mutation($input: UpdateRuleTemplateInput!) { updateRuleTemplate(input: $input) { version description } }`, { input: { id: t.id, description: 'v2' } });
      expect(updateRuleTemplate).toEqual({ version: 2, description: 'v2' });

      const { tenant, key } = await makeTenant(server.core.services);
      const { instance } = await makeInstance(server.core.services, tenant.id);
      const { applyRuleTemplate } = await gqlOk(server.url, key, `mutation($input: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $input) { name actions ruleTemplateVersion } }`, {
        input: { instanceId: instance.id, ruleTemplateId: t.id, variables: { business_name: 'Padaria Real' } },
      });
      expect(applyRuleTemplate).toEqual([{ name: 'greet', actions: [{ type: 'reply_text', text: 'Olá, aqui é Padaria Real' }], ruleTemplateVersion: 2 }]);
    });

    it('refuses to apply a template with a missing variable, and changes nothing', async () => {
      const template = await makeRuleTemplate(server.core.services);
      const { tenant, key } = await makeTenant(server.core.services);
      const { instance } = await makeInstance(server.core.services, tenant.id);
      const response = await gql(server.url, key, `mutation($input: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $input) { id } }`, { input: { instanceId: instance.id, ruleTemplateId: template.id, variables: {} } });
      expect(codes(response)).toEqual(['VALIDATION_FAILED']);
      expect(response.errors?.[0].message).toContain('business_name');
      expect(response.errors?.[0].extensions?.missing).toEqual(['business_name']);
      expect(await server.core.services.automation.listForInstance({ kind: 'operator' }, instance.id)).toEqual([]);
    });

    it.each([
      ['rules that are not a list', 'nope', /rules: must be an array/],
      ['an unknown trigger', [{ name: 'x', trigger: { type: 'telepathy' }, action: { type: 'handoff' } }], /rules\[0\]\.trigger\.type/],
      ['four reply buttons', [{ name: 'x', trigger: { type: 'any_message' }, action: { type: 'reply_buttons', text: 'pick', buttons: [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` })) } }], /rules\[0\]\.action\.buttons\[3\]: at most 3 buttons/],
      ['an undeclared variable', [{ name: 'x', trigger: { type: 'any_message' }, action: { type: 'reply_text', text: 'hi {{who}}' } }], /undeclared variables: who/],
    ])('rejects %s', async (_label, rules, message) => {
      const response = await gql(server.url, op, `mutation($input: CreateRuleTemplateInput!) { createRuleTemplate(input: $input) { id } }`, { input: { name: 'Bad', rules } });
      expect(codes(response)).toEqual(['VALIDATION_FAILED']);
      expect(response.errors?.[0].message).toMatch(message);
    });

    it('lets tenants read templates but not publish them', async () => {
      const template = await makeRuleTemplate(server.core.services);
      const { key } = await makeTenant(server.core.services);
      const { ruleTemplate } = await gqlOk(server.url, key, `query($id: ID!) { ruleTemplate(id: $id) { id } }`, { id: template.id });
      expect(ruleTemplate.id).toBe(template.id);
      const response = await gql(server.url, key, `mutation { createRuleTemplate(input: { name: "mine", rules: [] }) { id } }`);
      expect(codes(response)).toEqual(['FORBIDDEN']);
    });
  });

  describe('auth', () => {
    it('rejects a request without a key with 401 UNAUTHENTICATED', async () => {
      const response = await gql(server.url, null, `{ tenants { totalCount } }`);
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    });

    it('rejects an unknown key and a malformed header', async () => {
      expect(codes(await gql(server.url, 'whk_nope', `{ viewer { kind } }`))).toEqual(['UNAUTHENTICATED']);
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic abc' }, body: JSON.stringify({ query: '{ viewer { kind } }' }) });
      expect(response.status).toBe(401);
    });

    it('creates a key whose secret works once shown, and stops it working once revoked', async () => {
      const { tenant } = await makeTenant(server.core.services);
      const { createApiKey } = await gqlOk(server.url, op, `mutation($t: ID!) { createApiKey(tenantId: $t, name: "CRM") { secret apiKey { id prefix name } } }`, { t: tenant.id });
      expect(createApiKey.secret.startsWith(createApiKey.apiKey.prefix)).toBe(true);
      const { viewer } = await gqlOk(server.url, createApiKey.secret, `{ viewer { kind tenant { id } apiKey { id } } }`);
      expect(viewer).toEqual({ kind: 'tenant', tenant: { id: tenant.id }, apiKey: { id: createApiKey.apiKey.id } });
      // Only a hash is stored.
      const rows = await server.core.database.sql`select key_hash from api_keys where id = ${createApiKey.apiKey.id}`;
      expect(rows[0].key_hash).not.toContain(createApiKey.secret);

      await gqlOk(server.url, op, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: createApiKey.apiKey.id });
      const response = await gql(server.url, createApiKey.secret, `{ viewer { kind } }`);
      expect(response.status).toBe(401);
      expect(response.errors?.[0].message).toMatch(/revoked/);
    });

    it('does not suggest field names to unauthenticated callers', async () => {
      const response = await gql(server.url, null, `{ tenantz { totalCount } }`);
      expect(JSON.stringify(response)).not.toMatch(/Did you mean/);
    });

    it('lets only the operator create tenants', async () => {
      const { key } = await makeTenant(server.core.services);
      expect(codes(await gql(server.url, key, CREATE_TENANT, { name: 'sneaky' }))).toEqual(['FORBIDDEN']);
    });
  });

  describe('limits', () => {
    it('rejects a too-deep query', async () => {
      const deep = `{ instances { edges { node { phoneNumber { instance { phoneNumber { instance { phoneNumber { instance { phoneNumber { id } } } } } } } } } } }`;
      const response = await gql(server.url, op, deep);
      expect(response.status).toBe(400);
      expect(codes(response)).toContain('QUERY_TOO_DEEP');
    });

    it("accepts the standard introspection query that integrators' tools send", async () => {
      const response = await gql(server.url, op, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }));
      expect(response.errors).toBeUndefined();
      expect(response.data?.__schema.queryType.name).toBe('Query');
    });

    it('still counts the depth of introspection fields other than ofType', async () => {
      const deep = `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }`;
      expect(codes(await gql(server.url, op, deep))).toContain('QUERY_TOO_DEEP');
    });

    it('rejects a query with 100 aliases', async () => {
      const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;
      const response = await gql(server.url, op, query);
      expect(codes(response)).toContain('TOO_MANY_ALIASES');
    });

    it('rejects a query whose cost multiplies past the limit', async () => {
      const query = `{ tenants(first: 100) { edges { node { apiKeys { id name prefix createdAt lastUsedAt revokedAt tenantId } } } } t2: tenants(first: 100) { edges { node { apiKeys { id name prefix createdAt } } } } }`;
      const response = await gql(server.url, op, query);
      expect(codes(response)).toContain('QUERY_TOO_COSTLY');
    });

    it('rejects an oversize body with 413', async () => {
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${op}` }, body: JSON.stringify({ query: `{ viewer { kind } }`, variables: { pad: 'x'.repeat(300 * 1024) } }) });
      expect(response.status).toBe(413);
      expect((await response.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('reads a body over 256 KB only from an authenticated caller, and runs it only as sendCampaign', async () => {
      const big = JSON.stringify({ query: `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id } }`, variables: { pad: 'x'.repeat(1024 * 1024) } });
      const post = (key: string | null, body: string) => fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });
      const anonymous = await post(null, big);
      expect(anonymous.status).toBe(413);
      expect((await anonymous.json()).errors[0]).toMatchObject({ extensions: { code: 'PAYLOAD_TOO_LARGE' }, message: expect.stringMatching(/only sendCampaign, by an authenticated caller/) });
      expect((await post('not-a-key', big)).status).toBe(413);
      // Authenticated and sendCampaign: read and run (here it fails on the missing input, as it should).
      const campaign = await post(op, big);
      expect((await campaign.json()).errors[0].extensions.code).not.toBe('PAYLOAD_TOO_LARGE');
      // Authenticated, but two fields, or a query: refused.
      const twoFields = JSON.stringify({ query: `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id } createTenant(input: { name: "x" }) { id } }`, variables: { pad: 'x'.repeat(1024 * 1024) } });
      expect((await post(op, twoFields)).status).toBe(413);
      expect((await post(op, JSON.stringify({ query: '{ viewer { kind } }', variables: { pad: 'x'.repeat(1024 * 1024) } }))).status).toBe(413);
      expect((await post(op, JSON.stringify({ query: 'mutation { sendCampaign(input: {}) { id } }', variables: { pad: 'x'.repeat(17 * 1024 * 1024) } }))).status).toBe(413);
      // Other methods and bodies of undeclared length get the same rules.
      const options = await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { 'content-type': 'application/json' }, body: big });
      expect(options.status).toBe(413);
      const chunks = new ReadableStream({ start(c) { for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode(big.slice(i * (big.length / 8), (i + 1) * (big.length / 8)))); c.close(); } });
      const chunked = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
      expect(chunked.status).toBe(413);
    });

    it('applies the same limits and error codes over the websocket', async () => {
      const deep = `{ instances { edges { node { phoneNumber { instance { phoneNumber { instance { phoneNumber { instance { phoneNumber { id } } } } } } } } } } }`;
      expect((await overSocket(op, deep)).errors?.map((e) => e.extensions?.code)).toContain('QUERY_TOO_DEEP');
      const aliases = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;
      expect((await overSocket(op, aliases)).errors?.map((e) => e.extensions?.code)).toContain('TOO_MANY_ALIASES');
      expect((await overSocket(op, '{ tenantz { id } }')).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const missing = await overSocket(op, '{ tenant(id: "00000000-0000-4000-8000-000000000000") { id } }');
      expect(missing.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
      expect((await overSocket(op, '{ viewer { kind } }')).data).toEqual({ viewer: { kind: 'operator' } });
    });

    it('rejects malformed JSON with 400', async () => {
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${op}` }, body: '{"query": ' });
      expect(response.status).toBe(400);
    });
  });

  describe('input Postgres cannot store', () => {
    // One check at the API's edge for every argument (graphql/storable-arguments.ts): refused as
    // VALIDATION_FAILED naming the path, before any service or statement runs.
    const refusal = (response: Awaited<ReturnType<typeof gql>>) => response.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }));

    it('refuses a NUL in a string argument, naming the field, and stores nothing', async () => {
      const name = `Padaria ${uniqueMetaId()}`;
      expect(refusal(await gql(server.url, op, CREATE_TENANT, { name: `${name}\u0000` }))).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.name', message: `input.name: contains a NUL character (U+0000) at offset ${name.length}, which cannot be stored` }]);
      expect((await server.core.database.sql`select count(*)::int as n from tenants where name like ${`${name}%`}`)[0].n).toBe(0);
      // A literal in the query text is the same value.
      expect(refusal(await gql(server.url, op, `mutation { createTenant(input: { name: "a\\u0000" }) { id } }`))?.[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.name' });
    });

    it('refuses an unpaired surrogate (half of an emoji), and takes whole emoji and RTL text', async () => {
      expect(refusal(await gql(server.url, op, CREATE_TENANT, { name: 'Padaria \uD83D' }))?.[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.name', message: expect.stringMatching(/unpaired surrogate \(U\+D83D\)/) });
      const { createTenant } = await gqlOk(server.url, op, CREATE_TENANT, { name: 'Padaria 🥐 مخبز' });
      expect(createTenant.name).toBe('Padaria 🥐 مخبز');
    });

    it('looks inside JSON arguments, keys included', async () => {
      const { tenant, key } = await makeTenant(server.core.services);
      const { instance } = await makeInstance(server.core.services, tenant.id);
      const template = await makeRuleTemplate(server.core.services);
      const apply = `mutation($input: ApplyRuleTemplateInput!) { applyRuleTemplate(input: $input) { id } }`;
      const input = (variables: unknown) => ({ input: { instanceId: instance.id, ruleTemplateId: template.id, variables } });
      expect(refusal(await gql(server.url, key, apply, input({ business_name: 'Padaria\u0000' })))?.[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.variables.business_name' });
      expect(refusal(await gql(server.url, key, apply, input({ 'business\u0000name': 'x' })))?.[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.variables["business\\u0000name"]' });
      const rules = [{ name: 'greet', trigger: { type: 'keyword', keywords: ['oi'] }, action: { type: 'reply_text', text: 'Olá\u0000' } }];
      expect(refusal(await gql(server.url, op, `mutation($input: CreateRuleTemplateInput!) { createRuleTemplate(input: $input) { id } }`, { input: { name: `T ${uniqueMetaId()}`, rules } }))?.[0])
        .toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.rules[0].action.text' });
    });

    it('refuses dates outside 1970-9999, and takes the edges', async () => {
      const messages = `query($filter: MessageFilter) { messages(filter: $filter) { totalCount } }`;
      expect(refusal(await gql(server.url, op, messages, { filter: { since: '0000-01-01T00:00:00Z' } }))).toEqual([{ code: 'VALIDATION_FAILED', field: 'filter.since', message: 'filter.since: is outside 1970-01-01 to 9999-12-31' }]);
      expect(refusal(await gql(server.url, op, messages, { filter: { until: '1969-12-31T23:59:59Z' } }))?.[0]).toMatchObject({ field: 'filter.until' });
      expect((await gql(server.url, op, messages, { filter: { since: '1970-01-01T00:00:00Z', until: '9999-12-31T23:59:59Z' } })).errors).toBeUndefined();
    });

    it('checks subscriptions too, once, when they start over the websocket', async () => {
      const refused = await overSocket(op, `subscription { webhookActivity(filter: { phoneNumberId: "x\\u0000" }) { __typename } }`);
      expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', field: 'filter.phoneNumberId' } });
    });

    it('answers more than 50 bad values in the variables BAD_USER_INPUT, not INTERNAL_SERVER_ERROR', async () => {
      // graphql-js gives up past 50 errors with an error of its own, which Apollo leaves without a code.
      const recipients = Array.from({ length: 60 }, () => ({ to: 5511, variables: 'x', unknown: true }));
      const response = await gql(server.url, op, `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id } }`, { input: { instanceId: 'x', template: { name: 'x', language: 'x' }, recipients } });
      expect(new Set(codes(response))).toEqual(new Set(['BAD_USER_INPUT']));
      expect(response.errors?.at(-1)?.message).toMatch(/Too many errors/);
    });
  });

  describe('internal errors', () => {
    it('answers a failure of ours INTERNAL_SERVER_ERROR without its cause, and counts it in /metrics by root field', async () => {
      // A server whose Postgres goes away mid-life: its queries fail with errors no caller caused.
      const database = new URL(TEST_DATABASE_URL);
      const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) });
      database.port = String(proxy.port);
      const own = await startTestServer({ DATABASE_URL: database.toString() });
      const internalErrors = async () => {
        const text = await (await fetch(`${own.url}/metrics`)).text();
        return Object.fromEntries([...text.matchAll(/^wabahub_graphql_internal_errors_total\{field="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
      };
      try {
        expect(await internalErrors()).toEqual({ none: 0 });
        await gqlOk(own.url, own.operatorKey, `{ tenants(first: 1) { totalCount } }`);
        await proxy.cut();
        const answers = [
          await gql(own.url, own.operatorKey, `{ tenants(first: 1) { totalCount } }`),
          await gql(own.url, own.operatorKey, `{ aliased: phoneNumbers(first: 1) { totalCount } }`),
        ];
        expect(answers.map((r) => r.errors?.map((e) => [e.path?.[0], e.extensions?.code, e.message]))).toEqual([
          [['tenants', 'INTERNAL_SERVER_ERROR', 'internal error']], [['aliased', 'INTERNAL_SERVER_ERROR', 'internal error']],
        ]);
        // An alias is the caller's text: it is counted as "other", so callers cannot mint labels.
        expect(await internalErrors()).toEqual({ none: 0, tenants: 1, other: 1 });
      } finally {
        await proxy.restore();
        await own.close();
        await proxy.close();
      }
    });
  });

  describe('health', () => {
    it('answers /healthz, /readyz with both stores up, and /metrics in Prometheus text', async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ postgres: 'ok', redis: 'ok' });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('wabahub_http_request_duration_seconds_bucket');
    });

    it('answers /readyz 503 naming Redis while it is down, and 200 once it is back; /healthz stays 200', { timeout: 30_000 }, async () => {
      // A Redis of this test's own, so that stopping it touches nobody else.
      const redis = await startPrivateRedis();
      const own = await startTestServer({ REDIS_URL: redis.url });
      try {
        expect((await fetch(`${own.url}/readyz`)).status).toBe(200);
        await redis.stopServer();
        const down = await fetch(`${own.url}/readyz`);
        expect(down.status).toBe(503);
        expect(await down.json()).toMatchObject({ status: 'not ready', postgres: 'ok', redis: expect.stringMatching(/^down/) });
        expect((await fetch(`${own.url}/healthz`)).status).toBe(200);
        await redis.restartEmpty();
        await eventually(async () => (await fetch(`${own.url}/readyz`)).status === 200, 'readyz back to 200', 15_000, 200);
      } finally {
        await own.close();
        await redis.stop();
      }
    });
  });
});
