import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { getTableName, type Table } from 'drizzle-orm';
import { startTestServer } from '../setup/server.js';
import { TEST_DATABASE_URL } from '../setup/test-env.js';
import { codes, gql } from '../setup/graphql-client.js';
import { RowCloner } from '../setup/clone-rows.js';
import { makeInstance, makeRuleTemplate, makeTenant, uniqueMetaId } from '../factories/index.js';
import { automationRules, campaigns, contacts, instances, messageTemplates, messages, onboardingRuns, phoneNumbers, ruleRuns, ruleTemplates, tenantWebhookEvents, tenants, unroutedEvents, webhookDeliveries, webhookEndpoints, webhookEvents } from '../../server/src/db/schema.js';

// Every connection of the schema, found by introspecting the running server (a connection added
// later is covered without editing this file), paged through with small pages. The scenario is
// the one that lost rows: many rows sharing one created_at (stored by one statement, as a
// campaign's messages are) and a burst of rows microseconds apart, many within one millisecond
// (a webhook flush). Keyset paging must return each exactly once, in order, to the last page.
//
// Rows are made by copying one row of a small "world" (one tenant's number, instance, contact,
// message...) with RowCloner, which reads each table's shape from the Postgres catalog. So a new
// connection needs nothing here unless its rows are of a kind the world does not make yet: the
// test then fails saying so.
//
// setup(): a real server over the real test Postgres; a fresh tenant per file; a second Postgres
// connection (max 1) that stores the copies, so the burst is pipelined on one connection.

const PAGE = 7;
const ONE_STATEMENT = 3 * PAGE + 3; // more than three pages sharing one timestamp, ending mid-page
const BURST = 3 * PAGE + 2;

const server = await startTestServer();
const op = server.operatorKey;
const seedSql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
const cloner = new RowCloner(seedSql);
afterAll(async () => {
  await seedSql.end();
  await server.close();
});

// --- the schema, as a client sees it ----------------------------------------------------------

interface TypeRef { kind: string; name: string | null; ofType: TypeRef | null }
interface Arg { name: string; type: TypeRef }
interface FieldInfo { name: string; args: Arg[]; type: TypeRef }
interface TypeInfo { kind: string; name: string; fields: FieldInfo[] | null; inputFields: Arg[] | null }

// Shallow on purpose: the server's depth limit (10) refuses graphql-js's full introspection query.
const INTROSPECTION = `query PagingIntrospection {
  __schema {
    queryType { name }
    mutationType { name }
    types { kind name fields { name args { name type { ...T } } type { ...T } } inputFields { name type { ...T } } }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

const introspection = await gql<{ __schema: { queryType: { name: string }; mutationType: { name: string } | null; types: TypeInfo[] } }>(server.url, op, INTROSPECTION);
if (!introspection.data) throw new Error(`introspection failed: ${JSON.stringify(introspection.errors)}`);
const schema = introspection.data.__schema;
const types = new Map(schema.types.map((t) => [t.name, t]));

const named = (ref: TypeRef): string => (ref.ofType ? named(ref.ofType) : ref.name!);
const typeText = (ref: TypeRef): string => (ref.kind === 'NON_NULL' ? `${typeText(ref.ofType!)}!` : ref.kind === 'LIST' ? `[${typeText(ref.ofType!)}]` : ref.name!);
const isConnectionType = (name: string) => {
  const t = types.get(name);
  return Boolean(t && t.kind === 'OBJECT' && name.endsWith('Connection') && t.fields?.some((f) => f.name === 'edges') && t.fields.some((f) => f.name === 'pageInfo'));
};

interface ConnectionField { parent: string; field: FieldInfo; nodeType: string }

/** Every field returning a connection, on the root types and on every object type reachable from them. */
function connectionFields(): ConnectionField[] {
  const roots = [schema.queryType.name, schema.mutationType?.name].filter((n): n is string => Boolean(n));
  const seen = new Set(roots);
  const queue = [...roots];
  const found: ConnectionField[] = [];
  while (queue.length) {
    const type = types.get(queue.shift()!)!;
    for (const field of type.fields ?? []) {
      const target = named(field.type);
      if (isConnectionType(target) && type.name !== schema.mutationType?.name) {
        const edge = named(types.get(target)!.fields!.find((f) => f.name === 'edges')!.type);
        found.push({ parent: type.name, field, nodeType: named(types.get(edge)!.fields!.find((f) => f.name === 'node')!.type) });
      }
      if (types.get(target)?.kind === 'OBJECT' && !target.startsWith('__') && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return found;
}

/** What identifies a node: its `id`, or else the id of the one object it wraps (NumberThroughput → phoneNumber). */
function identity(nodeType: string): { selection: string; read: (node: any) => string } {
  const fields = types.get(nodeType)!.fields!;
  if (fields.some((f) => f.name === 'id')) return { selection: 'id', read: (node) => String(node.id) };
  const wrapped = fields.filter((f) => types.get(named(f.type))?.fields?.some((g) => g.name === 'id'));
  if (wrapped.length !== 1) throw new Error(`${nodeType} has no id and does not wrap exactly one object with an id: the test cannot tell its nodes apart`);
  const name = wrapped[0].name;
  return { selection: `${name} { id }`, read: (node) => String(node[name].id) };
}

// --- the world: one row of each kind, for one fresh tenant --------------------------------------

interface World {
  tenantId: string;
  key: string;
  /** Every row made, by id: the table it is stored in. */
  tableOf: Map<string, string>;
  /** One id per GraphQL type: arguments named after it (`phoneNumberId`) and parents of nested connections. */
  idOf: Map<string, string>;
}
let world: World;

beforeAll(async () => {
  const services = server.core.services;
  const db = server.core.database.db;
  const { tenant, key } = await makeTenant(services);
  const { phoneNumber, instance } = await makeInstance(services, tenant.id);
  const ruleTemplate = await makeRuleTemplate(services);
  // A customer who wrote (a conversation).
  const [contact] = await db.insert(contacts).values({ tenantId: tenant.id, phoneNumberId: phoneNumber.id, waId: `55119${uniqueMetaId().slice(-8)}`, name: 'Maria', lastInboundAt: new Date() }).returning();
  const [message] = await db.insert(messages).values({
    tenantId: tenant.id, instanceId: instance.id, phoneNumberId: phoneNumber.id, contactId: contact.id, direction: 'inbound',
    wamid: `wamid.${uniqueMetaId()}`, type: 'text', text: 'Oi', payload: {}, status: 'received',
  }).returning();
  // Finished, so neither it nor its copies look like work to a job or a sweep of another test file.
  const [campaign] = await db.insert(campaigns).values({ tenantId: tenant.id, instanceId: instance.id, name: 'Black Friday', template: { name: 'promo', language: 'pt_BR' }, recipientCount: 1, state: 'completed', finishedAt: new Date() }).returning();
  const [template] = await db.insert(messageTemplates).values({ tenantId: tenant.id, wabaId: phoneNumber.wabaId, name: 'promo', language: 'pt_BR', status: 'APPROVED' }).returning();
  const [event] = await db.insert(webhookEvents).values({ bodyHash: randomUUID(), rawBody: Buffer.from('{"object":"whatsapp_business_account"}'), state: 'processed', tenantIds: [tenant.id] }).returning();
  const [unrouted] = await db.insert(unroutedEvents).values({ webhookEventId: event.id, changeIndex: '0/0', phoneNumberId: uniqueMetaId(), field: 'messages', value: {} }).returning();
  const [rule] = await db.insert(automationRules).values({ tenantId: tenant.id, instanceId: instance.id, name: 'Oi', trigger: { type: 'any_message' }, actions: [{ type: 'mark_read' }] }).returning();
  const [run] = await db.insert(ruleRuns).values({ tenantId: tenant.id, instanceId: instance.id, ruleId: rule.id, ruleName: rule.name, messageId: message.id, contactId: contact.id, status: 'done', matched: 'any message' }).returning();
  // A webhook endpoint and one delivery of one event to it, delivered (so no worker of another file attempts it).
  const [endpoint] = await db.insert(webhookEndpoints).values({ tenantId: tenant.id, url: 'https://example.com/hook', events: ['message.received'], secret: { v: 1, iv: '', tag: '', data: '' } }).returning();
  const [outboxEvent] = await db.insert(tenantWebhookEvents).values({ tenantId: tenant.id, type: 'message.received', sourceKey: `paging:${randomUUID()}`, payload: {} }).returning();
  const [delivery] = await db.insert(webhookDeliveries).values({ tenantId: tenant.id, endpointId: endpoint.id, eventId: outboxEvent.id, eventType: 'message.received', status: 'succeeded' }).returning();

  // Finished (cancelled), so no onboarding job or sweep takes it or its copies for work.
  const [onboarding] = await db.insert(onboardingRuns).values({ kind: 'quick_setup', state: 'cancelled', tenantId: tenant.id, input: { businessName: 'Padaria', ruleTemplateId: null, templateVariables: {} }, finishedAt: new Date() }).returning();

  const rows: [string, string, Table][] = [
    ['Tenant', tenant.id, tenants],
    ['PhoneNumber', phoneNumber.id, phoneNumbers],
    ['Instance', instance.id, instances],
    ['RuleTemplate', ruleTemplate.id, ruleTemplates],
    ['Contact', contact.id, contacts],
    ['Message', message.id, messages],
    ['Campaign', campaign.id, campaigns],
    ['MessageTemplate', template.id, messageTemplates],
    ['WebhookEvent', String(event.id), webhookEvents],
    ['UnroutedEvent', unrouted.id, unroutedEvents],
    ['RuleRun', run.id, ruleRuns],
    ['Conversation', contact.id, contacts],
    ['OnboardingRun', onboarding.id, onboardingRuns],
    ['WebhookEndpoint', endpoint.id, webhookEndpoints],
    // webhookDeliveries(endpointId:) names it Endpoint.
    ['Endpoint', endpoint.id, webhookEndpoints],
    ['WebhookDelivery', delivery.id, webhookDeliveries],
  ];
  world = {
    tenantId: tenant.id,
    key,
    tableOf: new Map(rows.map(([, id, table]) => [id, getTableName(table)])),
    idOf: new Map(rows.map(([type, id]) => [type, id])),
  };
});

// --- paging one connection ----------------------------------------------------------------------

interface Viewer { label: string; key: string; filter?: Record<string, unknown> }
interface PageResult { ids: string[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null; totalCount: number }

/** A query for one page of `c`, with its required arguments filled from the world. */
function pageQuery(c: ConnectionField) {
  const { selection, read } = identity(c.nodeType);
  const vars: string[] = ['$first: Int', '$after: String'];
  const args: string[] = ['first: $first', 'after: $after'];
  const values: Record<string, unknown> = {};
  for (const arg of c.field.args) {
    if (arg.name === 'first' || arg.name === 'after') continue;
    if (arg.name === 'filter') {
      vars.push(`$filter: ${typeText(arg.type)}`);
      args.push('filter: $filter');
      continue;
    }
    if (arg.type.kind !== 'NON_NULL') continue;
    // A required `fooId` names the world's Foo (phoneNumberId → PhoneNumber).
    const type = arg.name.replace(/Id$/, '').replace(/^./, (ch) => ch.toUpperCase());
    const value = world.idOf.get(type);
    if (!arg.name.endsWith('Id') || !value) throw new Error(`${c.parent}.${c.field.name}: no value for its required argument ${arg.name}; make one in the world`);
    vars.push(`$${arg.name}: ${typeText(arg.type)}`);
    args.push(`${arg.name}: $${arg.name}`);
    values[arg.name] = value;
  }
  let body = `${c.field.name}(${args.join(', ')}) { totalCount edges { cursor node { ${selection} } } pageInfo { hasNextPage endCursor } }`;
  let unwrap = (data: any) => data[c.field.name];
  if (c.parent !== schema.queryType.name) {
    // A connection on an object type: reach a node of that type through its `foo(id:)` root field.
    const root = types.get(schema.queryType.name)!.fields!.find((f) => named(f.type) === c.parent && f.type.kind !== 'LIST' && f.args.length === 1 && f.args[0].name === 'id');
    const parentId = world.idOf.get(c.parent);
    if (!root || !parentId) throw new Error(`${c.parent}.${c.field.name}: the test cannot reach a ${c.parent} (a root field ${c.parent[0].toLowerCase()}${c.parent.slice(1)}(id:) and one in the world)`);
    vars.push('$parentId: ID!');
    values.parentId = parentId;
    body = `${root.name}(id: $parentId) { ${body} }`;
    unwrap = (data: any) => data[root.name][c.field.name];
  }
  const filterType = c.field.args.find((a) => a.name === 'filter');
  const filterHasTenant = Boolean(filterType && types.get(named(filterType.type))?.inputFields?.some((f) => f.name === 'tenantId'));
  return {
    filterHasTenant,
    raw(viewer: Viewer, first: number, after: string | null) {
      return gql(server.url, viewer.key, `query Page(${vars.join(', ')}) { ${body} }`, { ...values, first, after, filter: viewer.filter ?? null });
    },
    async page(viewer: Viewer, first: number, after: string | null): Promise<PageResult | { forbidden: true }> {
      const response = await this.raw(viewer, first, after);
      if (codes(response).includes('FORBIDDEN')) return { forbidden: true };
      if (response.errors?.length || !response.data) throw new Error(`${c.parent}.${c.field.name} as ${viewer.label}: ${JSON.stringify(response.errors)}`);
      const connection = unwrap(response.data);
      return {
        ids: connection.edges.map((e: any) => read(e.node)),
        cursors: connection.edges.map((e: any) => e.cursor),
        hasNextPage: connection.pageInfo.hasNextPage,
        endCursor: connection.pageInfo.endCursor,
        totalCount: connection.totalCount,
      };
    },
  };
}

/** Pages through everything `viewer` sees, `first` at a time; stops if the API ever repeats a cursor. */
async function walk(query: ReturnType<typeof pageQuery>, viewer: Viewer, first: number) {
  const ids: string[] = [];
  const cursors = new Set<string>();
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const page = await query.page(viewer, first, after);
    if ('forbidden' in page) return null;
    pages++;
    ids.push(...page.ids);
    if (!page.hasNextPage) return { ids, pages, hasNextPage: false };
    if (!page.endCursor || cursors.has(page.endCursor)) return { ids, pages, hasNextPage: true };
    cursors.add(page.endCursor);
    after = page.endCursor;
  }
}

/** The narrowest viewer that sees the copies: the world's tenant key, else the operator (by tenant if the filter allows). */
function viewers(query: ReturnType<typeof pageQuery>): Viewer[] {
  return [
    { label: 'tenant key', key: world.key },
    ...(query.filterHasTenant ? [{ label: 'operator, filtered by tenant', key: op, filter: { tenantId: world.tenantId } }] : []),
    { label: 'operator', key: op },
  ];
}

/**
 * The connections ordered by another timestamp than created_at, by their node type: conversations
 * by the customer's last message (who wrote last is who waits). Every other connection is newest
 * first by created_at.
 */
const ORDERED_BY: Record<string, string> = { Conversation: 'last_inbound_at' };

/**
 * Rows a copy cannot be read without, by table: a configuration template is read with its latest
 * version, so each copy gets a copy of its source's versions.
 */
const COMPANIONS: Record<string, (copies: string[], source: string) => Promise<unknown>> = {
  rule_templates: (copies, source) => seedSql`
    insert into rule_template_versions (template_id, version, variables, config, sample_messages, notes)
    select t.id, v.version, v.variables, v.config, v.sample_messages, v.notes
    from unnest(${copies}::uuid[]) as t(id), rule_template_versions v where v.template_id = ${source}`,
};

/** The ids in the order the connections promise: newest first (created_at to the microsecond), ties by id; by id where a table has no created_at. */
async function hasCreatedAt(table: string): Promise<boolean> {
  const [{ has }] = await seedSql<{ has: boolean }[]>`select exists (select 1 from pg_attribute where attrelid = ${table}::regclass and attname = 'created_at' and not attisdropped) as has`;
  return has;
}

async function expectedOrder(table: string, ids: string[], nodeType: string): Promise<string[]> {
  const column = ORDERED_BY[nodeType] ?? ((await hasCreatedAt(table)) ? 'created_at' : null);
  // t.id, not id: the output column `id` is text, and would sort as text.
  const rows = await seedSql.unsafe<{ key: string }[]>(
    `select t.id::text as key from "${table}" t where t.id::text = any($1::text[]) order by ${column ? `t.${column} desc, ` : ''}t.id desc`,
    [ids] as never[],
  );
  return rows.map((r) => r.key);
}

const connections = connectionFields();
const figures: string[] = [];
afterAll(() => {
  // The figures of the issue: rows returned against rows stored, per connection.
  if (figures.length) console.log(`paging, first: ${PAGE}\n${figures.join('\n')}`);
});

describe('Connections', () => {
  it('finds the connections of the schema', () => {
    expect(connections.map((c) => `${c.parent}.${c.field.name}`)).toContain('Query.messages');
    expect(connections.length).toBeGreaterThanOrEqual(11);
  });

  describe.each(connections.map((c) => [`${c.parent}.${c.field.name}`, c] as const))('%s', (_name, c) => {
    it(`returns every row exactly once, in order, through pages of ${PAGE}, when many share a timestamp`, async () => {
      const name = `${c.parent}.${c.field.name}`;
      const query = pageQuery(c);

      // The world's row this connection lists, and the viewer that sees it.
      let source: string | undefined;
      for (const viewer of viewers(query)) {
        const all = await walk(query, viewer, 100);
        source = all?.ids.find((id) => world.tableOf.has(id));
        if (source) break;
      }
      if (!source) throw new Error(`${name} (${c.nodeType}) lists none of the rows the test made: make a ${c.nodeType} in the world (beforeAll)`);
      const table = world.tableOf.get(source)!;

      const stored = [
        source,
        ...(await cloner.cloneInOneStatement(table, source, ONE_STATEMENT)),
        ...(await cloner.cloneInBurst(table, source, BURST)),
      ];
      await COMPANIONS[table]?.(stored.slice(1), source);
      if (await hasCreatedAt(table)) {
        const [{ shared }] = await seedSql.unsafe<{ shared: number }[]>(
          `select count(*)::int as shared from "${table}" where id::text = any($1::text[]) and created_at = (select created_at from "${table}" where id::text = $2)`,
          [stored, stored[1]] as never[],
        );
        expect(shared, 'the one-statement copies share one timestamp').toBe(ONE_STATEMENT);
      }

      let viewer: Viewer | undefined;
      for (const candidate of viewers(query)) {
        const first = await query.page(candidate, 1, null);
        if (!('forbidden' in first) && first.totalCount >= stored.length) { viewer = candidate; break; }
      }
      if (!viewer) throw new Error(`${name}: no viewer sees the ${stored.length} rows stored`);

      const result = (await walk(query, viewer, PAGE))!;
      const mine = new Set(stored);
      const returned = result.ids.filter((id) => mine.has(id));
      const counts = new Map<string, number>();
      for (const id of result.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      const repeated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      figures.push(`  ${name.padEnd(28)} ${String(new Set(returned).size).padStart(3)} of ${stored.length} stored rows returned (${result.pages} pages, as ${viewer.label})`);

      expect(repeated, 'rows returned more than once').toEqual([]);
      expect(new Set(returned).size, `${name}: distinct rows returned of ${stored.length} stored`).toBe(stored.length);
      const order = await expectedOrder(table, stored, c.nodeType);
      expect(returned).toEqual(order);
      expect(result.hasNextPage).toBe(false);

      // Cursors handed out before cursors carried microseconds ([ISO time to the millisecond, id])
      // still continue right after their row, so a sync running across the upgrade loses nothing.
      // (Not for a connection ordered by another column: it never handed such cursors out.)
      if (!ORDERED_BY[c.nodeType] && await hasCreatedAt(table)) {
        const sharing = new Set(stored.slice(1, 1 + ONE_STATEMENT));
        const at = order.filter((id) => sharing.has(id))[2]; // rows of its millisecond follow it
        const [{ iso }] = await seedSql.unsafe<{ iso: string }[]>(`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as iso from "${table}" where id::text = $1`, [at]);
        const legacy = Buffer.from(JSON.stringify([iso, at])).toString('base64url');
        const next = await query.page(viewer, PAGE, legacy);
        if ('forbidden' in next) throw new Error('forbidden');
        const after = result.ids.slice(result.ids.indexOf(at) + 1, result.ids.indexOf(at) + 1 + PAGE);
        expect(next.ids).toEqual(after);
      }
    });

    it('rejects a cursor it did not make with VALIDATION_FAILED', async () => {
      const query = pageQuery(c);
      let viewer: Viewer | undefined;
      for (const candidate of viewers(query)) {
        if (!('forbidden' in await query.page(candidate, 1, null))) { viewer = candidate; break; }
      }
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const after of ['not-a-cursor', forged(['2026-01-01T00:00:00.000Z', 'not-a-uuid']), forged(['1', '00000000-0000-4000-8000-000000000000', 'x']), forged({}), forged('12.5'), forged([])]) {
        expect(codes(await query.raw(viewer!, PAGE, after)), `after: ${after}`).toEqual(['VALIDATION_FAILED']);
      }
    });
  });
});
