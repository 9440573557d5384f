import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../setup/server.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { makeInstance, makePhoneNumber, makeTenant, makeTenantWithTraffic } from '../factories/index.js';

// What an integrator does through the API alone, beyond the dashboard's everyday calls: rename,
// disable and delete a tenant, remove a number, delete an instance, list and scope keys, and the
// per-key call budget.

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

/** Every table with a tenant_id column, and how many of its rows name this tenant. */
async function rowsNaming(tenantId: string): Promise<Record<string, number>> {
  const sql = server.core.database.sql;
  const tables = await sql<{ table_name: string }[]>`
    select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = 'public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE' order by 1`;
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [{ n }] = await sql`select count(*)::int as n from ${sql(table_name)} where tenant_id = ${tenantId}`;
    counts[table_name] = n;
  }
  return counts;
}

describe('tenants through the API', () => {
  it('a tenant renames itself but cannot disable itself; the operator disables (its keys refused) and enables it again', async () => {
    const { tenant, key } = await makeTenant(server.core.services);
    const renamed = await gqlOk(server.url, key, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { id name disabled } }`, { input: { id: tenant.id, name: 'Padaria Nova' } });
    expect(renamed.updateTenant).toEqual({ id: tenant.id, name: 'Padaria Nova', disabled: false });
    const selfDisable = await gql(server.url, key, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { id } }`, { input: { id: tenant.id, disabled: true } });
    expect(codes(selfDisable)).toEqual(['FORBIDDEN']);
    const blank = await gql(server.url, key, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { id } }`, { input: { id: tenant.id, name: '   ' } });
    expect(codes(blank)).toEqual(['VALIDATION_FAILED']);

    const disabled = await gqlOk(server.url, server.operatorKey, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { disabled name } }`, { input: { id: tenant.id, disabled: true } });
    expect(disabled.updateTenant).toEqual({ disabled: true, name: 'Padaria Nova' });
    const refused = await gql(server.url, key, `{ viewer { kind } }`);
    expect([refused.status, codes(refused)]).toEqual([401, ['UNAUTHENTICATED']]);
    expect(refused.errors![0].message).toMatch(/disabled/);
    // The operator still sees it, marked disabled.
    const listed = await gqlOk(server.url, server.operatorKey, `query($id: ID!) { tenant(id: $id) { disabled } }`, { id: tenant.id });
    expect(listed.tenant).toEqual({ disabled: true });

    await gqlOk(server.url, server.operatorKey, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { id } }`, { input: { id: tenant.id, disabled: false } });
    expect(await gqlOk(server.url, key, `{ viewer { kind tenant { name disabled } } }`)).toEqual({ viewer: { kind: 'tenant', tenant: { name: 'Padaria Nova', disabled: false } } });
  });

  it('the operator deletes a tenant: every row naming it goes, other tenants keep theirs, its number can be registered again', async () => {
    const sql = server.core.database.sql;
    const doomed = await makeTenantWithTraffic(server.core.services, sql, 'Doomed');
    const bystander = await makeTenantWithTraffic(server.core.services, sql, 'Bystander');
    const before = await rowsNaming(doomed.tenant.id);
    expect(before.messages).toBe(1);
    expect(before.automation_rules).toBeGreaterThan(0);
    const bystanderBefore = await rowsNaming(bystander.tenant.id);

    // Only the operator may; a tenant cannot delete even itself.
    expect(codes(await gql(server.url, doomed.key, `mutation($id: ID!) { deleteTenant(id: $id) }`, { id: doomed.tenant.id }))).toEqual(['FORBIDDEN']);
    const deleted = await gqlOk(server.url, server.operatorKey, `mutation($id: ID!) { deleteTenant(id: $id) }`, { id: doomed.tenant.id });
    expect(deleted.deleteTenant).toBe(doomed.tenant.id);

    const after = await rowsNaming(doomed.tenant.id);
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    expect(await sql`select id from webhook_events where id = ${doomed.webhookEventId}`).toEqual([]);
    expect(await rowsNaming(bystander.tenant.id)).toEqual(bystanderBefore);
    // Its key is gone with it, and deleting again is NOT_FOUND.
    expect((await gql(server.url, doomed.key, `{ viewer { kind } }`)).status).toBe(401);
    expect(codes(await gql(server.url, server.operatorKey, `mutation($id: ID!) { deleteTenant(id: $id) }`, { id: doomed.tenant.id }))).toEqual(['NOT_FOUND']);

    // The number is free: another tenant registers the same Phone Number ID.
    const heir = await makeTenant(server.core.services);
    const again = await makePhoneNumber(server.core.services, heir.tenant.id, { phoneNumberId: doomed.phoneNumber.phoneNumberId, wabaId: doomed.phoneNumber.wabaId });
    expect(again.tenantId).toBe(heir.tenant.id);
  });
});

describe('numbers and instances through the API', () => {
  it('deleting an instance takes its rules and keeps its number and messages; removing a number frees its Phone Number ID', async () => {
    const sql = server.core.database.sql;
    const owner = await makeTenantWithTraffic(server.core.services, sql, 'Owner');
    const other = await makeTenant(server.core.services);

    // Another tenant cannot see it to delete it.
    expect(codes(await gql(server.url, other.key, `mutation($id: ID!) { deleteInstance(id: $id) }`, { id: owner.instance.id }))).toEqual(['NOT_FOUND']);
    expect(await gqlOk(server.url, owner.key, `mutation($id: ID!) { deleteInstance(id: $id) }`, { id: owner.instance.id })).toEqual({ deleteInstance: owner.instance.id });
    expect(await sql`select id from automation_rules where instance_id = ${owner.instance.id}`).toEqual([]);
    expect((await sql`select count(*)::int as n from messages where id = ${owner.messageId}`)[0].n).toBe(1);
    // The number is there, without an instance: a new one can be made on it.
    const numbers = await gqlOk(server.url, owner.key, `{ phoneNumbers { edges { node { id instance { id } } } } }`);
    expect(numbers.phoneNumbers.edges).toEqual([{ node: { id: owner.phoneNumber.id, instance: null } }]);

    // Removing the number, by Meta's Phone Number ID: the number, its contacts and messages go.
    expect(codes(await gql(server.url, other.key, `mutation($id: ID!) { removePhoneNumber(id: $id) }`, { id: owner.phoneNumber.phoneNumberId }))).toEqual(['NOT_FOUND']);
    expect(await gqlOk(server.url, owner.key, `mutation($id: ID!) { removePhoneNumber(id: $id) }`, { id: owner.phoneNumber.phoneNumberId })).toEqual({ removePhoneNumber: owner.phoneNumber.id });
    expect(await sql`select id from phone_numbers where id = ${owner.phoneNumber.id}`).toEqual([]);
    expect(await sql`select id from messages where id = ${owner.messageId}`).toEqual([]);
    // The tenant and its key remain.
    expect(await gqlOk(server.url, owner.key, `{ viewer { tenant { id } } }`)).toEqual({ viewer: { tenant: { id: owner.tenant.id } } });
    const { instance } = await makeInstance(server.core.services, other.tenant.id, { phoneNumberId: owner.phoneNumber.phoneNumberId, wabaId: owner.phoneNumber.wabaId });
    expect(instance.tenantId).toBe(other.tenant.id);
  });
});

describe('API keys', () => {
  it('lists keys without secrets; a read key reads but cannot change anything, nor make a key', async () => {
    const { tenant, key } = await makeTenant(server.core.services);
    const created = await gqlOk(server.url, key, `mutation($t: ID!) { createApiKey(tenantId: $t, name: "BI export", scope: "read") { secret apiKey { id name scope prefix } } }`, { t: tenant.id });
    const readKey = created.createApiKey.secret as string;
    expect(created.createApiKey.apiKey).toMatchObject({ name: 'BI export', scope: 'read' });
    expect(readKey.startsWith(created.createApiKey.apiKey.prefix)).toBe(true);

    const listed = await gqlOk(server.url, key, `query($id: ID!) { tenant(id: $id) { apiKeys { name scope rateLimitPerMinute revokedAt } } }`, { id: tenant.id });
    expect(listed.tenant.apiKeys).toEqual(expect.arrayContaining([
      { name: 'test key', scope: 'full', rateLimitPerMinute: null, revokedAt: null },
      { name: 'BI export', scope: 'read', rateLimitPerMinute: null, revokedAt: null },
    ]));
    expect(JSON.stringify(listed)).not.toContain(readKey);

    // Reads work with the read key…
    expect(await gqlOk(server.url, readKey, `{ viewer { kind tenant { id } } }`)).toEqual({ viewer: { kind: 'tenant', tenant: { id: tenant.id } } });
    // …every mutation is FORBIDDEN before it runs: the tenant keeps its name.
    const rename = await gql(server.url, readKey, `mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { id } }`, { input: { id: tenant.id, name: 'Changed by a read key' } });
    expect([rename.status, codes(rename)]).toEqual([403, ['FORBIDDEN']]);
    expect(rename.errors![0].message).toMatch(/read-only/);
    expect(codes(await gql(server.url, readKey, `mutation($t: ID!) { createApiKey(tenantId: $t, scope: "full") { secret } }`, { t: tenant.id }))).toEqual(['FORBIDDEN']);
    expect((await server.core.database.sql`select name from tenants where id = ${tenant.id}`)[0].name).toBe(tenant.name);
    // A scope that does not exist is a clear error.
    const bad = await gql(server.url, key, `mutation($t: ID!) { createApiKey(tenantId: $t, scope: "admin") { secret } }`, { t: tenant.id });
    expect(codes(bad)).toEqual(['VALIDATION_FAILED']);
    expect(bad.errors![0].message).toMatch(/read, full/);
  });

  it("a key past its budget of calls a minute gets RATE_LIMITED (429, retry-after) while other keys go on; only the operator sets a key's budget", async () => {
    const { tenant, key } = await makeTenant(server.core.services);
    expect(codes(await gql(server.url, key, `mutation($t: ID!) { createApiKey(tenantId: $t, rateLimitPerMinute: 3) { secret } }`, { t: tenant.id }))).toEqual(['FORBIDDEN']);
    // Budgets are per minute window: if the window turns mid-test, try again with a fresh key.
    for (let attempt = 0; ; attempt++) {
      const window = Math.floor(Date.now() / 60_000);
      const made = await gqlOk(server.url, server.operatorKey, `mutation($t: ID!) { createApiKey(tenantId: $t, name: "tight", rateLimitPerMinute: 3) { secret apiKey { rateLimitPerMinute } } }`, { t: tenant.id });
      expect(made.createApiKey.apiKey.rateLimitPerMinute).toBe(3);
      const tight = made.createApiKey.secret as string;
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await gql(server.url, tight, `{ viewer { kind } }`)).status);
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tight}` }, body: JSON.stringify({ query: '{ viewer { kind } }' }) });
      if (Math.floor(Date.now() / 60_000) !== window && attempt < 2) continue;
      expect(statuses).toEqual([200, 200, 200]);
      const body = await response.json() as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(response.status).toBe(429);
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: retryAfter, limitPerMinute: 3 });
      expect(body.errors[0].message).toMatch(/more than 3 calls in a minute/);
      break;
    }
    // The tenant's other key has its own budget (the default), untouched.
    expect((await gql(server.url, key, `{ viewer { kind } }`)).status).toBe(200);
    // The budget is shared across server processes: it lives in Redis, keyed by the API key.
    const keys = await server.core.redis.keys('*:ratelimit:*');
    expect(keys.length).toBeGreaterThan(0);
  });
});
