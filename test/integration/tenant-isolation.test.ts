import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { buildAppSchema } from '../../server/src/graphql/build-schema.js';
import { startTestServer } from '../setup/server.js';
import { gql } from '../setup/graphql-client.js';
import { rootOperations, selectionOf } from '../setup/schema-operations.js';
import { makeInstance, makeTenant, makeTenantWithTraffic, snapshotOfTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';

// Tenant A's key runs EVERY query and mutation of the schema, aimed at tenant B's objects. The
// operation list comes from the schema itself, so a new operation is covered without editing
// this test; an argument the test cannot fill fails it loudly instead of being skipped.

let server: Awaited<ReturnType<typeof startTestServer>>;
let schema: GraphQLSchema;
let a: Awaited<ReturnType<typeof makeTenant>>;
let b: Awaited<ReturnType<typeof makeTenantWithTraffic>>;
let template: Awaited<ReturnType<typeof makeTenantWithTraffic>>['ruleTemplate'];

beforeAll(async () => {
  server = await startTestServer();
  schema = await buildAppSchema(server.core.pubSub.pubSub as never);
  a = await makeTenant(server.core.services, 'Tenant A');
  await makeInstance(server.core.services, a.tenant.id);
  // B's traffic: a contact, a message, the raw webhook event that brought it, a campaign, a rule.
  b = await makeTenantWithTraffic(server.core.services, server.core.database.sql, 'Tenant B');
  template = b.ruleTemplate;
});
afterAll(async () => server?.close());

/** B's object id for an argument, by its name and the type the operation returns. */
function bIdFor(argName: string, returnType: string, operation: string): string {
  const byType: Record<string, string> = {
    Tenant: b.tenant.id, Instance: b.instance.id, PhoneNumber: b.phoneNumber.id, ApiKey: b.apiKey.id, CreatedApiKey: b.tenant.id,
    AutomationRule: b.ruleId, RuleTemplate: template.id, Message: b.messageId, Contact: b.contactId, WebhookEvent: b.webhookEventId, Campaign: b.campaignId,
    OnboardingRun: b.onboardingRunId, PhoneNumberDiagnosis: b.phoneNumber.id,
    WebhookEndpoint: b.endpointId, CreatedWebhookEndpoint: b.endpointId, WebhookDelivery: b.deliveryId,
  };
  // Not ids of B's objects, though their names end in "Id": a dry run's button and list row, and a customer's WhatsApp number (B's).
  if (argName === 'buttonId' || argName === 'listRowId') return 'menu';
  if (argName === 'contactWaId') return '5511900000001';
  const byName: Record<string, string> = { tenantIds: b.tenant.id, ruleId: b.ruleId, ruleIds: b.ruleId, tenantId: b.tenant.id, instanceId: b.instance.id, phoneNumberId: b.phoneNumber.id, ruleTemplateId: template.id, apiKeyId: b.apiKey.id, wabaId: b.phoneNumber.wabaId, contactId: b.contactId, messageId: b.messageId, webhookEventId: b.webhookEventId, campaignId: b.campaignId, runId: b.onboardingRunId, endpointId: b.endpointId, deliveryId: b.deliveryId };
  // Operations that return only the id they removed: B's object by the operation's name.
  const removedBy: Record<string, string> = { deleteTenant: b.tenant.id, deleteInstance: b.instance.id, removePhoneNumber: b.phoneNumber.id, deleteAutomationRule: b.ruleId, deleteWebhookEndpoint: b.endpointId };
  const id = argName === 'id' ? (returnType === 'ID' ? removedBy[operation] : byType[returnType]) : byName[argName];
  if (!id) throw new Error(`tenant-isolation test: don't know which of B's ids to pass as "${argName}" (returning ${returnType}); add it to bIdFor`);
  return id;
}

/** A plausible value for every argument, B's ids wherever an id goes. */
function valueFor(name: string, type: GraphQLInputType, returnType: string, operation: string): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [valueFor(name, inner.ofType, returnType, operation)];
  if (isInputObjectType(inner)) {
    return Object.fromEntries(Object.values(inner.getFields()).map((f) => [f.name, valueFor(f.name, f.type, returnType, operation)]));
  }
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isScalarType(inner)) {
    if (inner.name === 'ID' || name.endsWith('Id') || name === 'id') return bIdFor(name, returnType, operation);
    if (inner.name === 'Int') return name === 'first' ? 5 : name === 'throughputTier' ? 80 : name === 'seconds' ? 60 : 1;
    if (inner.name === 'Boolean') return true;
    if (inner.name === 'DateTimeISO') return name === 'until' ? '2100-01-01T00:00:00Z' : '2000-01-01T00:00:00Z';
    if (inner.name === 'JSON') {
      const json: Record<string, unknown> = { variables: { business_name: 'pwned' }, trigger: { type: 'any_message' }, conditions: [], actions: [{ type: 'mark_read' }], action: null };
      return name in json ? json[name] : [{ name: 'x', trigger: { type: 'any_message' }, action: { type: 'handoff' } }];
    }
    if (name === 'displayPhoneNumber') return uniqueE164();
    if (name === 'timezone') return 'UTC';
    if (name === 'open') return '09:00';
    if (name === 'close') return '18:00';
    if (name === 'status') return returnType.startsWith('Message') ? 'received' : 'paused';
    // Valid filter values, so that the probe reaches the scope check (see `vacuous` below).
    if (name === 'state') return returnType.startsWith('WebhookEvent') ? 'processed' : returnType.startsWith('Conversation') ? 'handoff' : returnType.startsWith('OnboardingRun') ? 'succeeded' : 'paused';
    if (name === 'holidays') return '2026-12-25';
    if (name === 'locale') return 'pt-BR';
    if (name === 'visibility') return 'all';
    if (name === 'direction') return 'inbound';
    if (name === 'wabaId') return uniqueMetaId();
    if (name === 'after') return null;
    if (name === 'url') return 'https://example.com/pwned';
    if (name === 'events') return 'message.received';
    return `pwned-${name}`;
  }
  throw new Error(`no value for ${name}`);
}

function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const returnType = getNamedType(field.type).name;
  const variables: Record<string, unknown> = {};
  const args = field.args.map((arg: GraphQLArgument) => {
    variables[arg.name] = valueFor(arg.name, arg.type, returnType, field.name);
    return { decl: `$${arg.name}: ${arg.type.toString()}`, use: `${arg.name}: $${arg.name}` };
  });
  // Filters carrying B's tenant id probe list queries; other fields get the viewer's own data.
  const decl = args.length ? `(${args.map((x) => x.decl).join(', ')})` : '';
  const use = args.length ? `(${args.map((x) => x.use).join(', ')})` : '';
  return { query: `${kind} Probe${decl} { ${field.name}${use} ${selectionOf(field.type)} }`, variables };
}

describe('tenant isolation', () => {
  it("runs every query and mutation with tenant A's key against tenant B's objects: nothing of B is read or changed", async () => {
    const before = await snapshotOfTenant(server.core.database.sql, b);
    const secrets = [...b.ids, ...b.names];
    // Errors may echo the id the caller sent; they must never reveal B's names or contents.
    const namesOfB = secrets.filter((x) => !/^[0-9a-f-]{36}$|^\d+$/.test(x));
    const operations = rootOperations(schema);
    expect(operations.length).toBeGreaterThan(10);
    const report: string[] = [];
    const refusedAsInvalid: { kind: string; name: string; query: string; variables: Record<string, unknown> }[] = [];
    for (const { kind, field } of operations) {
      const { query, variables } = operationFor(kind, field);
      const response = await gql(server.url, a.key, query, variables);
      if (response.errors?.some((e) => e.extensions?.code === 'VALIDATION_FAILED')) refusedAsInvalid.push({ kind, name: field.name, query, variables });
      const body = JSON.stringify(response.data ?? null);
      for (const secret of secrets) {
        if (body.includes(secret)) report.push(`${kind} ${field.name} returned B's ${secret}`);
      }
      // Denials look like absence (NOT_FOUND) or a plain FORBIDDEN for operator-only operations.
      for (const error of response.errors ?? []) {
        if (!['NOT_FOUND', 'FORBIDDEN', 'VALIDATION_FAILED'].includes(String(error.extensions?.code))) report.push(`${kind} ${field.name}: unexpected ${error.extensions?.code} ${error.message}`);
        for (const secret of namesOfB) if (error.message.includes(secret)) report.push(`${kind} ${field.name} error mentions ${secret}`);
      }
    }
    expect(report).toEqual([]);
    expect(await snapshotOfTenant(server.core.database.sql, b)).toEqual(before);
    // A probe refused as invalid proves nothing unless its values are valid: B's own key, with the
    // same values, must get past validation (then A's refusal was about whose objects they are).
    const vacuous: string[] = [];
    for (const probe of refusedAsInvalid) {
      const own = await gql(server.url, b.key, probe.query, probe.variables);
      const invalid = own.errors?.find((e) => e.extensions?.code === 'VALIDATION_FAILED');
      if (invalid) vacuous.push(`${probe.kind} ${probe.name}: ${invalid.message}`);
    }
    expect(vacuous).toEqual([]);
    // B's key still works: nothing A did revoked it.
    expect((await gql(server.url, b.key, `{ viewer { kind } }`)).data).toEqual({ viewer: { kind: 'tenant' } });
  });

  it("lists only the viewer's own rows", async () => {
    const response = await gql(server.url, a.key, `{ tenants { edges { node { id } } } instances { edges { node { tenantId } } } phoneNumbers { edges { node { tenantId } } } }`);
    const data = response.data as any;
    expect(data.tenants.edges.map((e: any) => e.node.id)).toEqual([a.tenant.id]);
    expect(data.instances.edges.every((e: any) => e.node.tenantId === a.tenant.id)).toBe(true);
    expect(data.phoneNumbers.edges.every((e: any) => e.node.tenantId === a.tenant.id)).toBe(true);
    expect(data.phoneNumbers.edges.length).toBe(1);
  });
});
