import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Kind, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, print,
  type GraphQLArgument, type GraphQLInputObjectType, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { gql, gqlOk, type GraphQLResponse } from '../setup/graphql-client.js';
import { introspectSchema, rootOperations, selectionOf, type RootOperation } from '../setup/schema-operations.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { eventually, FIXTURE_NUMBERS, FIXTURE_WABAS, loadFixture, postWebhook, uniqueTag } from '../setup/webhooks.js';
import { makePhoneNumber, makeTenantWithTraffic, snapshotOfTenant, uniqueE164, uniqueMetaId } from '../factories/index.js';
import { OPERATOR } from '../../server/src/modules/auth/auth.viewer.js';
import { DEMO } from '@wabahub/meta-simulator';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../setup/test-env.js';
import { startWebhookReceiver, type WebhookReceiver } from '../setup/webhook-receiver.js';

// A hostile integrator, driven by the running schema's introspection: every query and mutation,
// every argument and (recursively) every input-object field, called with hostile values for its
// type (empty, very long, NUL and lone surrogates, SQL and path fragments, emoji and RTL text,
// out-of-range numbers and dates, wrong types, deep and large JSON, missing and unknown fields,
// another tenant's ids), with the operator key and with tenant A's key. Every answer must be a
// clear error or data: never INTERNAL_SERVER_ERROR, never anything of tenant B in A's answers;
// the server must be healthy after. A new operation, argument or input field is fuzzed without
// editing this file: values come from its type; the tables below only make the untouched parts of
// a call valid, so that the hostile part reaches the service and Postgres.
//
// Subscriptions are not fuzzed: their arguments pass the same schema (and the same argument
// checks) as queries', and each call would need its own websocket.
//
// setup(): the simulator plays Meta; a real server AND worker, so mutations really run (sends,
// campaigns, replays and template syncs reach the simulator), and the test waits for what they
// started to finish: nothing is left queued for another test's sweeper.

let h: OutboundHarness;
let schema: GraphQLSchema;
let a: Awaited<ReturnType<typeof makeSender>> & { spareKeyId: string; messageId: string; campaignId: string; webhookEventId: string; contactId: string; customer: string; ruleId: string; endpointId: string; deliveryId: string };
// A's webhook endpoint answers 200: the fuzz's test sends and redeliveries end at once.
let receiver: WebhookReceiver;
let b: Awaited<ReturnType<typeof makeTenantWithTraffic>>;

beforeAll(async () => {
  // No pair-rate or per-recipient gap: the fuzz sends many messages to one customer, and waiting
  // out Meta's 6 s pair rate would make the run minutes long.
  h = await startOutboundHarness('fuzz', { env: { OUTBOUND_RECIPIENT_GAP_MS: '0' }, sim: { pairRateWindowMs: 0 } });
  const services = h.server.core.services;
  const sender = await makeSender(h);
  // A customer writes to A (a real signed webhook): A gets a contact in its 24-hour window, a
  // message and a webhook event of its own, so free-form sends and replays go all the way.
  const tag = uniqueTag();
  const posted = await postWebhook(h.server.url, loadFixture('inbound-text', { numbers: { [FIXTURE_NUMBERS.first]: sender.simNumber.id }, wabas: { [FIXTURE_WABAS.first]: sender.waba.id }, tag }), DEMO.appSecret);
  expect(posted.status).toBe(200);
  const sql = h.server.core.database.sql;
  const message = await eventually(async () => (await sql`select id, contact_id from messages where wamid like ${`%.${tag}`}`)[0], 'the inbound message stored');
  const spare = await services.auth.create(OPERATOR, sender.tenant.id, 'spare key: fuzzed revokeApiKey revokes this one');
  const campaign = await gqlOk(h.server.url, sender.key, `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id } }`, {
    input: { instanceId: sender.instance.id, name: 'A campaign', template: { name: 'boas_vindas', language: 'pt_BR' }, recipients: [{ to: uniqueE164(), variables: ['Ana'] }] },
  });
  // The fixture's customer: its message opened the window.
  const customer = `+${JSON.parse(loadFixture('inbound-text', {})).entry[0].changes[0].value.messages[0].from}`;
  b = await makeTenantWithTraffic(services, sql, 'Tenant B');
  const [rule] = await services.templateApplications.apply(OPERATOR, { instanceId: sender.instance.id, ruleTemplateId: b.ruleTemplate.id, variables: { business_name: 'A Shop' } });
  receiver = await startWebhookReceiver({ record: false });
  const { row: endpoint } = await services.tenantWebhooks.create(OPERATOR, { tenantId: sender.tenant.id, url: `${receiver.url}/fuzz`, events: ['message.received'] });
  const delivery = await services.tenantWebhooks.sendTest(OPERATOR, endpoint.id);
  a = { ...sender, spareKeyId: spare.row.id, messageId: message.id, contactId: message.contact_id, campaignId: campaign.sendCampaign.id, webhookEventId: String(posted.body.webhookEventId), customer, ruleId: rule.id, endpointId: endpoint.id, deliveryId: delivery.id };
  schema = await introspectSchema(h.server.url, h.server.operatorKey);
}, 60_000);
afterAll(async () => {
  const prefix = h?.server.core.queues.prefix;
  await h?.close();
  await receiver?.close();
  // Campaign tickers report progress for two minutes after their campaign completed (delayed
  // jobs, by design), and the limiter keeps counters: with the worker gone, every key under the
  // file's own prefix goes, so nothing is left behind.
  if (prefix) {
    const redis = new Redis(TEST_REDIS_URL);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 })) if ((keys as string[]).length) await redis.unlink(...(keys as string[]));
    redis.disconnect();
  }
}, 150_000);

// ---------------------------------------------------------------------------------------------
// Valid values for the parts of a call that are not under attack. Looked up by `Type.field`, then
// by field name; anything unknown gets a generic value of its type (a new operation is still fuzzed,
// its hostile values may just stop at an earlier check).

/** What a value is being made for: the field (or argument) name and the input type (or operation) holding it. */
interface Where { field: string; holder: string; returnType: string }

type Baseline = () => unknown | Promise<unknown>;

const FIELD_BASELINES: Record<string, Baseline> = {
  tenantId: () => a.tenant.id,
  instanceId: () => a.instance.id,
  phoneNumberId: () => a.phoneNumber.id,
  ruleTemplateId: () => b.ruleTemplate.id,
  contactId: () => a.contactId,
  to: () => a.customer,
  displayPhoneNumber: () => uniqueE164(),
  wabaId: () => a.phoneNumber.wabaId,
  timezone: () => 'America/Sao_Paulo',
  language: () => 'pt_BR',
  queue: () => 'outbound',
  seconds: () => 60,
  first: () => 5,
  throughputTier: () => 80,
  day: () => 1,
  open: () => '09:00',
  close: () => '18:00',
  text: () => 'Olá, tudo bem?',
  body: () => 'Escolha uma opção',
  rules: () => [{ name: 'greet', trigger: { type: 'first_message' }, action: { type: 'reply_text', text: 'Olá!' } }],
  ruleId: () => a.ruleId,
  ruleIds: () => [a.ruleId],
  trigger: () => ({ type: 'keyword', keywords: ['cardapio'], match: 'contains' }),
  actions: () => [{ type: 'reply_text', text: 'Nosso cardápio: ...' }],
  tag: () => 'vip',
  endpointId: () => a.endpointId,
  deliveryId: () => a.deliveryId,
  events: () => ['message.received', 'rule.fired'],
  url: () => `${receiver.url}/fuzz`,
  'SendTemplateInput.name': () => 'boas_vindas',
  'CampaignTemplateInput.name': () => 'boas_vindas',
  'SendTemplateInput.variables': () => ['Ana'],
  'CampaignRecipientInput.to': () => uniqueE164(),
  'CampaignRecipientInput.variables': () => ['Ana'],
  'ApplyRuleTemplateInput.variables': () => ({ business_name: 'Fuzz Shop' }),
  'WebhookActivityFilter.phoneNumberId': () => a.phoneNumber.phoneNumberId,
  // Operator-made objects need names nobody used; tenants' need none.
  'CreateRuleTemplateInput.name': () => `Fuzz template ${uniqueMetaId()}`,
  'RuleTemplateVariableInput.name': () => 'business_name',
  // A disabled tenant's key is refused: A must stay enabled for the rest of the run.
  'UpdateTenantInput.disabled': () => false,
};

/** Whole input objects whose valid form is more than their required fields. `fuzzed` is the field under attack. */
const TYPE_BASELINES: Record<string, (fuzzed: string | undefined) => unknown | Promise<unknown>> = {
  // Exactly one of text, template or interactive: the template unless one of them is under attack.
  SendMessageInput: (fuzzed) => ({ instanceId: a.instance.id, to: a.customer, ...(['text', 'template', 'interactive'].includes(fuzzed!) ? {} : { template: { name: 'boas_vindas', language: 'pt_BR', variables: ['Ana'] } }) }),
  SendInteractiveInput: () => ({ body: 'Escolha uma opção', buttons: [{ id: 'yes', title: 'Sim' }, { id: 'no', title: 'Não' }] }),
  SendCampaignInput: () => ({ instanceId: a.instance.id, name: 'Fuzz campaign', template: { name: 'boas_vindas', language: 'pt_BR' }, recipients: [{ to: uniqueE164(), variables: ['Ana'] }] }),
  // A number of the tenant's own WABA that Meta lists for its token (what a tenant key must prove).
  AddPhoneNumberInput: () => {
    const number = h.sim.createNumber({ wabaId: a.waba.id, id: uniqueMetaId() });
    const token = h.sim.core.createToken({ kind: 'business', wabaIds: [a.waba.id] }).token;
    return { tenantId: a.tenant.id, phoneNumberId: number.id, wabaId: a.waba.id, displayPhoneNumber: uniqueE164(), accessToken: token };
  },
  // A number without an instance, so that the instance can be created.
  CreateInstanceInput: async () => ({ phoneNumberId: (await makePhoneNumber(h.server.core.services, a.tenant.id)).id, name: 'Fuzz instance' }),
  ApplyRuleTemplateInput: () => ({ instanceId: a.instance.id, ruleTemplateId: b.ruleTemplate.id, variables: { business_name: 'Fuzz Shop' } }),
};

/** A's object of the type an operation returns, for its `id` argument. */
function idByReturnType(returnType: string): string {
  const ids: Record<string, string> = {
    Tenant: a.tenant.id, Instance: a.instance.id, PhoneNumber: a.phoneNumber.id, ApiKey: a.spareKeyId, Message: a.messageId, Contact: a.contactId,
    Campaign: a.campaignId, WebhookEvent: a.webhookEventId, RuleTemplate: b.ruleTemplate.id, AutomationRule: a.ruleId,
    WebhookEndpoint: a.endpointId, CreatedWebhookEndpoint: a.endpointId, WebhookDelivery: a.deliveryId,
  };
  return ids[returnType] ?? randomUUID();
}

async function scalarBaseline(scalar: string, where: Where): Promise<unknown> {
  if (where.field === 'id') return idByReturnType(where.returnType);
  switch (scalar) {
    case 'ID': return randomUUID();
    case 'Int': return 1;
    case 'Float': return 1.5;
    case 'Boolean': return true;
    case 'DateTimeISO': return '2024-01-01T00:00:00.000Z';
    case 'JSON': return {};
    default: return `Fuzz ${where.field}`;
  }
}

async function baseline(type: GraphQLInputType, where: Where): Promise<unknown> {
  const known = FIELD_BASELINES[`${where.holder}.${where.field}`] ?? FIELD_BASELINES[where.field];
  if (known) return known();
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [await baseline(inner.ofType, itemOf(where))];
  if (isInputObjectType(inner)) return baselineObject(inner, where, undefined);
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isScalarType(inner)) return scalarBaseline(inner.name, where);
  throw new Error(`no baseline for ${String(type)}`);
}

/** A list's item: the list's field-level value is not the item's. */
const itemOf = (where: Where): Where => ({ ...where, field: `${where.field}[]` });

async function baselineObject(type: GraphQLInputObjectType, where: Where, fuzzed: string | undefined): Promise<Record<string, unknown>> {
  const made = TYPE_BASELINES[type.name];
  if (made) return { ...(await made(fuzzed)) as Record<string, unknown> };
  const object: Record<string, unknown> = {};
  for (const field of Object.values(type.getFields())) {
    if (isNonNullType(field.type) && field.defaultValue === undefined) object[field.name] = await baseline(field.type, { ...where, field: field.name, holder: type.name });
  }
  return object;
}

// ---------------------------------------------------------------------------------------------
// Hostile values, by the type of the position they are put in.

const MISSING = Symbol('missing');
const LONG = 'x'.repeat(100_000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Hostile {
  label: string;
  value?: unknown;
  /** A value made from the position's valid one (e.g. an object with one more field). */
  derive?: (valid: unknown) => unknown;
  /** Also sent as a literal in the query text, not only as a variable. */
  literal?: boolean;
  /** Another tenant's id: sent with the tenant key only (the operator may use it). */
  otherTenant?: boolean;
}

const STRINGS: Hostile[] = [
  { label: 'empty', value: '' },
  { label: '100k characters', value: LONG },
  { label: 'NUL', value: 'fuzz\u0000nul', literal: true },
  { label: 'lone surrogate', value: 'fuzz\uD800 \uDC00' },
  { label: 'SQL, path and template fragments', value: "'; drop table tenants; -- ../../etc/passwd {{7*7}} ${7*7} %s <script>alert(1)</script>" },
  { label: 'emoji and RTL', value: '😀👍🏽 مرحبا עברית \u202Eexe.txt' },
  { label: 'CRLF and control characters', value: '  fuzz\r\nX-Injected: 1\u0001\u001f\u007f  ' },
  { label: 'wrong type: number', value: 42 },
];

/** Cursors are an argument's own text (Relay puts them at the top level): forged ones, with what a cursor holds made hostile. */
const CURSORS: Hostile[] = [
  { label: 'forged cursor (year 0, NUL id)', value: base64url(['0000-01-01T00:00:00.000Z', 'x\u0000']) },
  { label: 'forged cursor (year 0, a uuid)', value: base64url(['0000-01-01T00:00:00.000Z', randomUUID()]) },
  { label: 'forged cursor (not a uuid)', value: base64url(['2020-01-01T00:00:00.000Z', 'not-a-uuid']) },
];

const IDS: Hostile[] = [
  { label: 'empty', value: '' },
  { label: 'not a uuid', value: 'not-a-uuid' },
  { label: 'huge number', value: '99999999999999999999999999' },
  { label: 'SQL', value: "1' or '1'='1" },
  { label: 'NUL', value: `${randomUUID()}\u0000` },
  { label: 'wrong type: boolean', value: true },
];

const INTS: Hostile[] = [
  { label: 'zero', value: 0 },
  { label: 'negative', value: -1 },
  { label: 'max int', value: 2_147_483_647 },
  { label: 'beyond 32 bits', value: 2_147_483_648 },
  { label: 'fraction', value: 1.5 },
  { label: 'wrong type: string', value: '1' },
];

const FLOATS: Hostile[] = [
  { label: 'huge', value: 1e308 },
  { label: 'negative zero', value: -0 },
  { label: 'wrong type: string', value: 'NaN' },
];

const BOOLEANS: Hostile[] = [
  { label: 'wrong type: string', value: 'true' },
  { label: 'wrong type: number', value: 1 },
];

const DATES: Hostile[] = [
  { label: 'year 0', value: '0000-01-01T00:00:00Z', literal: true },
  { label: 'before 1970', value: '1969-12-31T23:59:59Z' },
  { label: 'year 9999', value: '9999-12-31T23:59:59Z' },
  { label: 'year 10000', value: '10000-01-01T00:00:00Z' },
  { label: 'year 300000 (expanded ISO year)', value: '+300000-01-01T00:00:00Z' },
  { label: 'year 300000 in unix seconds', value: 9_400_000_000_000 },
  { label: 'February 30', value: '2024-02-30T00:00:00Z' },
  { label: 'not a date', value: 'not a date' },
  { label: 'empty', value: '' },
  { label: 'wrong type: boolean', value: true },
];

function nested(depth: number, leaf: unknown, asArray = false): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
}

const JSONS: Hostile[] = [
  { label: '200 levels deep', value: nested(200, 'deep') },
  { label: '200 arrays deep', value: nested(200, 1, true) },
  // About 200 KB: under the 256 KB body limit, so it reaches the resolver.
  { label: 'large', value: Object.fromEntries(Array.from({ length: 8_000 }, (_, i) => [`key_${i}`, `value number ${i}`])) },
  { label: 'NUL in a value', value: { business_name: 'fuzz\u0000', nested: { text: 'a\u0000b' } }, literal: true },
  { label: 'NUL in a key', value: { 'fuzz\u0000': 'x' } },
  { label: 'NUL deep inside', value: [{ name: 'x', trigger: { type: 'keyword', keywords: ['a\u0000'] }, action: { type: 'reply_text', text: 'b\u0000' } }] },
  { label: 'lone surrogate', value: { business_name: '\uD800' } },
  { label: '__proto__', value: JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') },
  { label: 'string', value: 'just a string' },
  { label: 'number', value: 42 },
  { label: 'empty array', value: [] },
  { label: 'empty object', value: {} },
];

function hostileFor(type: GraphQLInputType): Hostile[] {
  const inner = isNonNullType(type) ? type.ofType : type;
  // null where a value is required; where it is not, null is only "not given" (as for a scalar),
  // except for objects and lists, whose null a service may still have to tell from "empty".
  const values: Hostile[] = isNonNullType(type) || !isScalarType(inner) ? [{ label: 'null', value: null }] : [];
  if (isListType(inner)) {
    values.push({ label: 'empty list', value: [] }, { label: 'list of nulls', value: [null, null] },
      { label: '200 items', derive: (valid) => Array.from({ length: 200 }, () => (valid as unknown[])[0]) },
      // More than graphql-js's 50 errors per request: it gives up with an error of its own.
      { label: '200 items of the wrong type', value: Array.from({ length: 200 }, () => ({ fuzz: [1] })) });
  } else if (isInputObjectType(inner)) {
    values.push({ label: 'unknown field', derive: (valid) => ({ ...(valid as object), fuzzUnknownField: 'x' }) },
      { label: 'wrong type: string', value: 'fuzz' }, { label: 'wrong type: list', value: [1, 2] });
  } else if (isEnumType(inner)) {
    values.push({ label: 'unknown value', value: 'NOT_A_VALUE' }, { label: 'wrong type: number', value: 1 });
  } else if (isScalarType(inner)) {
    const byScalar: Record<string, Hostile[]> = { String: STRINGS, ID: IDS, Int: INTS, Float: FLOATS, Boolean: BOOLEANS, DateTimeISO: DATES, JSON: JSONS };
    // A scalar this test does not know (a new one) gets strings and JSON: whatever it is, those are hostile.
    values.push(...(byScalar[inner.name] ?? [...STRINGS, ...JSONS]));
  }
  return values;
}

/** A path into an argument: field names, and 0 for a list's first item. */
type Segment = string | 0;
interface Probe { arg: string; path: Segment[]; hostile: Hostile }

/** B's ids to try where A's key names an object: the one of the kind named, or all of them. */
function idsOfB(field: string, returnType: string): string[] {
  const byField: Record<string, string[]> = {
    tenantId: [b.tenant.id], instanceId: [b.instance.id], phoneNumberId: [b.phoneNumber.id, b.phoneNumber.phoneNumberId], contactId: [b.contactId],
    wabaId: [b.phoneNumber.wabaId], campaignId: [b.campaignId], messageId: [b.messageId], webhookEventId: [b.webhookEventId], ruleId: [b.ruleId], ruleIds: [b.ruleId],
    endpointId: [b.endpointId], deliveryId: [b.deliveryId],
  };
  const byReturnType: Record<string, string[]> = {
    Tenant: [b.tenant.id], Instance: [b.instance.id], PhoneNumber: [b.phoneNumber.id], ApiKey: [b.apiKey.id], Message: [b.messageId], Contact: [b.contactId],
    Campaign: [b.campaignId], WebhookEvent: [b.webhookEventId], AutomationRule: [b.ruleId],
    WebhookEndpoint: [b.endpointId], CreatedWebhookEndpoint: [b.endpointId], WebhookDelivery: [b.deliveryId],
  };
  return (field === 'id' ? byReturnType[returnType] : byField[field]) ?? b.ids;
}

/** Probes for one position and, within reason (4 levels), everything inside it. */
function probesAt(arg: string, type: GraphQLInputType, path: Segment[], field: string, returnType: string, depth: number, out: Probe[]) {
  for (const hostile of hostileFor(type)) out.push({ arg, path, hostile });
  const inner = isNonNullType(type) ? type.ofType : type;
  if (depth === 0 && isScalarType(inner) && inner.name === 'String') for (const hostile of CURSORS) out.push({ arg, path, hostile });
  if (depth >= 4) return;
  // Another tenant's ids, wherever an id goes.
  if (isScalarType(inner) && (inner.name === 'ID' || /Id$/.test(field))) {
    for (const id of idsOfB(field, returnType)) out.push({ arg, path, hostile: { label: `tenant B's id ${id}`, value: id, otherTenant: true } });
  }
  if (isListType(inner)) probesAt(arg, inner.ofType, [...path, 0], field, returnType, depth + 1, out);
  if (isInputObjectType(inner)) {
    for (const f of Object.values(inner.getFields())) {
      if (isNonNullType(f.type)) out.push({ arg, path: [...path, f.name], hostile: { label: 'missing required field', value: MISSING } });
      probesAt(arg, f.type, [...path, f.name], f.name, returnType, depth + 1, out);
    }
  }
}

/** The argument's value with `hostile` at `path` and valid values around it (MISSING: left out). */
async function build(type: GraphQLInputType, path: Segment[], hostile: Hostile, where: Where): Promise<unknown> {
  if (path.length === 0) return hostile.derive ? hostile.derive(await baseline(type, where)) : hostile.value;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [await build(inner.ofType, path.slice(1), hostile, itemOf(where))];
  if (!isInputObjectType(inner)) throw new Error(`path ${path.join('.')} goes into ${String(type)}`);
  const name = path[0] as string;
  const object = await baselineObject(inner, where, name);
  const value = await build(inner.getFields()[name].type, path.slice(1), hostile, { ...where, field: name, holder: inner.name });
  if (value === MISSING) delete object[name];
  else object[name] = value;
  return object;
}

/** `value` written as a GraphQL literal (null when it cannot be: a key that is not a GraphQL name). */
function literalOf(value: unknown): string | null {
  if (value === null) return 'null';
  if (typeof value === 'string') return print({ kind: Kind.STRING, value });
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map(literalOf);
    return items.includes(null) ? null : `[${items.join(', ')}]`;
  }
  const entries: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const literal = literalOf(v);
    if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(k) || literal === null) return null;
    entries.push(`${k}: ${literal}`);
  }
  return `{ ${entries.join(', ')} }`;
}

interface Call { operation: RootOperation; probe: string; key: 'operator' | 'tenant'; query: string; variables: Record<string, unknown> }

async function callsFor(operation: RootOperation): Promise<Call[]> {
  const { field, kind } = operation;
  const returnType = getNamedType(field.type).name;
  const selection = selectionOf(field.type);
  const argsBaseline = async (skip?: string) => {
    const variables: Record<string, unknown> = {};
    for (const arg of field.args) {
      if (arg.name !== skip && isNonNullType(arg.type) && arg.defaultValue === undefined) variables[arg.name] = await baseline(arg.type, { field: arg.name, holder: field.name, returnType });
    }
    return variables;
  };
  const text = (literals: Record<string, string> = {}, extra = '') => {
    const declared = field.args.filter((arg: GraphQLArgument) => !(arg.name in literals));
    const decl = declared.length ? `(${declared.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ')})` : '';
    const uses = [...declared.map((arg) => `${arg.name}: $${arg.name}`), ...Object.entries(literals).map(([name, value]) => `${name}: ${value}`), ...(extra ? [extra] : [])];
    return `${kind} Fuzz${decl} { ${field.name}${uses.length ? `(${uses.join(', ')})` : ''} ${selection} }`;
  };
  const calls: Call[] = [];
  const both = (probe: string, query: string, variables: Record<string, unknown>, keys: Call['key'][] = ['operator', 'tenant']) => {
    for (const key of keys) calls.push({ operation, probe, key, query, variables });
  };
  both('valid values', text(), await argsBaseline());
  both('unknown argument', text({}, 'fuzzUnknownArgument: 1'), await argsBaseline());
  for (const arg of field.args) {
    if (isNonNullType(arg.type)) both(`${arg.name}: missing`, text(), await argsBaseline(arg.name));
    const probes: Probe[] = [];
    probesAt(arg.name, arg.type, [], arg.name, returnType, 0, probes);
    for (const probe of probes) {
      const where = { field: arg.name, holder: field.name, returnType };
      const value = await build(arg.type, probe.path, probe.hostile, where);
      const variables = await argsBaseline(arg.name);
      if (value !== MISSING) variables[arg.name] = value;
      const label = `${[arg.name, ...probe.path].join('.')}: ${probe.hostile.label}`;
      const keys: Call['key'][] = probe.hostile.otherTenant ? ['tenant'] : ['operator', 'tenant'];
      both(label, text(), variables, keys);
      if (probe.hostile.literal && value !== MISSING) {
        // The same value written in the query text: literals are coerced by another path than variables.
        const literal = literalOf(value);
        if (literal !== null) {
          const { [arg.name]: _inlined, ...rest } = variables;
          // Literals are coerced the same whoever asks: the tenant key is enough.
          both(`${label} (literal)`, text({ [arg.name]: literal }), rest, ['tenant']);
        }
      }
    }
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------

/** Runs `run` over `items`, `concurrency` at a time. */
async function runAll<T>(items: T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

describe('the API under hostile input', () => {
  it("answers every query and mutation, for every argument and hostile value, with data or a clear error, and neither shows nor changes another tenant's data", async () => {
    const operations = rootOperations(schema);
    expect(operations.length).toBeGreaterThan(30);
    const sql = h.server.core.database.sql;
    const before = await snapshotOfTenant(sql, b);
    const calls = (await Promise.all(operations.map(callsFor))).flat();
    const started = Date.now();
    const internal: string[] = [];
    const leaks: string[] = [];
    const codes = new Map<string, number>();
    const secrets = [...b.ids, ...b.names];
    await runAll(calls, 4, async (call) => {
      let response: GraphQLResponse;
      try {
        response = await gql(h.server.url, call.key === 'operator' ? h.server.operatorKey : a.key, call.query, call.variables);
      } catch (error) {
        internal.push(`${call.operation.field.name} [${call.key}] ${call.probe}: no JSON answer (${(error as Error).message})`);
        return;
      }
      for (const error of response.errors ?? []) {
        const code = String(error.extensions?.code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code === 'INTERNAL_SERVER_ERROR') internal.push(`${call.operation.field.name} [${call.key}] ${call.probe}: ${error.message}`);
      }
      if (response.status >= 500 && !response.errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) internal.push(`${call.operation.field.name} [${call.key}] ${call.probe}: HTTP ${response.status}`);
      if (call.key === 'tenant') {
        // Anything of B's in A's answer that A did not send itself (errors may echo the id asked for).
        const answer = JSON.stringify(response);
        const sent = call.query + JSON.stringify(call.variables);
        for (const secret of secrets) if (answer.includes(secret) && !sent.includes(secret)) leaks.push(`${call.operation.field.name} ${call.probe}: answered B's ${secret}`);
      }
    });
    const seconds = (Date.now() - started) / 1000;
    const byOperation = new Map<string, number>();
    for (const line of internal) byOperation.set(line.split(' ')[0], (byOperation.get(line.split(' ')[0]) ?? 0) + 1);
    console.log(`api fuzz: ${calls.length} calls to ${operations.length} operations in ${seconds.toFixed(1)} s; errors by code ${JSON.stringify(Object.fromEntries(codes))}; ` +
      `${internal.length} INTERNAL_SERVER_ERROR in ${byOperation.size} operations ${JSON.stringify(Object.fromEntries(byOperation))}`);
    expect(internal).toEqual([]);
    expect(leaks).toEqual([]);
    expect(await snapshotOfTenant(sql, b)).toEqual(before);
    // Every operation was called, with both keys.
    expect(new Set(calls.map((c) => `${c.operation.field.name} ${c.key}`)).size).toBe(operations.length * 2);
  }, 240_000);

  it('is healthy after the run: health, readiness, ordinary calls with both keys, nothing counted as internal, what the mutations started finished', async () => {
    expect((await fetch(`${h.server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', postgres: 'ok', redis: 'ok' }]);
    expect(await gqlOk(h.server.url, a.key, `{ viewer { kind tenant { id } } }`)).toEqual({ viewer: { kind: 'tenant', tenant: { id: a.tenant.id } } });
    const operator = await gqlOk(h.server.url, h.server.operatorKey, `query($id: ID!) { tenant(id: $id) { id name } messages(first: 1) { totalCount } }`, { id: a.tenant.id });
    // A may rename itself during the run: the name is whatever the database now holds.
    const [{ name }] = await h.server.core.database.sql`select name from tenants where id = ${a.tenant.id}`;
    expect(operator.tenant).toEqual({ id: a.tenant.id, name });
    // The server's own count agrees with the answers: no INTERNAL_SERVER_ERROR, for any field.
    const metrics = await (await fetch(`${h.server.url}/metrics`)).text();
    const counted = [...metrics.matchAll(/^wabahub_graphql_internal_errors_total\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.reduce((x, y) => x + y, 0)).toBe(0);
    // What the mutations started has run to its end: every send of A's has left (or failed), every
    // campaign that runs has completed; only paused and cancelled campaigns keep queued messages.
    const sql = h.server.core.database.sql;
    const unfinished = async () => (await sql`
      select (select count(*)::int from messages m left join campaigns c on c.id = m.campaign_id
              where m.tenant_id = ${a.tenant.id} and m.status in ('queued', 'sending') and coalesce(c.state, 'none') not in ('paused', 'cancelled'))
           + (select count(*)::int from campaigns where tenant_id = ${a.tenant.id} and state in ('queued', 'running')) as n`)[0].n as number;
    await eventually(async () => (await unfinished()) === 0, "A's sends and campaigns to finish", 60_000);
    const { queues } = h.server.core;
    const failed = await Promise.all([queues.outbound, queues.webhooks].map((q) => q.getFailed()));
    expect(failed.flat().map((job) => `${job.queueName} ${job.name}: ${job.failedReason}`)).toEqual([]);
  }, 90_000);
});
