import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { executePrepared, pipelinedTransaction, type Database } from '../../db/client.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { instances } from '../instances/instances.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { messageStatusEvents, type MessageStatus } from '../messages/messages.table.js';
import { META_STATUSES, applyPendingStatuses, lockWamids, moveForwardSql, wamidLocksSql } from '../messages/message-status.js';
import { emptyActivity } from '../activity/activity.publisher.js';
import type { ActivityPayload } from '../activity/activity.types.js';
import { accountEvents, unroutedEvents, webhookEvents } from './webhooks.table.js';
import { changesOf, messageSummary, metaTime, type MetaStatus, type WebhookChange } from './webhook-payload.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Activity = Omit<ActivityPayload, 'id' | 'occurredAt'> & { occurredAt: Date };

interface Route {
  phoneNumberRowId: string;
  tenantId: string;
  wabaId: string;
  instanceId: string | null;
}

export interface ProcessOutcome {
  eventId: number;
  outcome: 'processed' | 'skipped' | 'busy';
  activity: Activity[];
  tenantIds: string[];
}

/** Hook for account-level changes other domains own (template status → message templates). */
export type AccountChangeHandler = (tx: Tx, change: WebhookChange, tenantId: string | null) => Promise<void>;

/**
 * Applies stored webhook events in ONE transaction: every entry and every change of each. A job
 * of message changes only (messages, statuses: nearly all traffic) takes processMessageChanges,
 * one statement; any other, the general path below: one transaction for the group of events,
 * one statement for all their contacts and messages. On this kind of machine a round trip to
 * Postgres costs more than the row it carries: per-event statements fell behind 1,000 events/s.
 * Processing the same event again changes nothing: messages are unique by wamid, statuses by
 * (wamid, status), unrouted and account events by (event, change); and the event rows are locked
 * and marked processed in the same transaction, so a worker killed midway leaves no half-applied
 * event. Rows another worker holds right now are reported `busy` and left to it.
 */
export async function processWebhookEvents(db: Database, eventIds: number[], onAccountChange?: AccountChangeHandler): Promise<ProcessOutcome[]> {
  if (eventIds.length === 0) return [];
  return (await processMessageChanges(db, eventIds)) ?? db.transaction(async (tx) => {
    // Every statement of a job has one text whatever its number of events (arrays and JSON
    // record sets, not n placeholders): Postgres parses and plans each once per connection.
    const ids = `{${eventIds.map(Number).join(',')}}`;
    const locked = await tx.select({ id: webhookEvents.id, state: webhookEvents.state, rawBody: webhookEvents.rawBody, summary: webhookEvents.summary })
      .from(webhookEvents).where(sql`${webhookEvents.id} = any(${ids}::bigint[])`).orderBy(webhookEvents.id).for('update', { skipLocked: true });
    // A row missing here is locked by another worker (skip locked): busy, theirs.
    const { outcomes, toApply } = parseEvents(eventIds, new Map(locked.map((e) => [e.id, e])), 'busy');
    if (toApply.length === 0) return outcomes;
    const routes = await routesFor(tx, toApply.flatMap((e) => e.changes));
    // Every status's wamid locked first, in one order: jobs applying statuses of the same messages
    // at once wait for each other instead of deadlocking, and a send recording a wamid waits too.
    await lockWamids(tx, toApply.flatMap((e) => e.changes.flatMap((c) => statusesOf(c).map((s) => s.id))));
    const inbound = await storeInboundMessages(tx, toApply, routes);
    const finished: { id: number; tenantIds: string[]; summary: Record<string, number> }[] = [];
    for (const event of toApply) {
      const { activity, tenantIds, summary } = await applyEvent(tx, event, routes, inbound, onAccountChange);
      Object.assign(event.outcome, { activity, tenantIds });
      finished.push({ id: event.id, tenantIds, summary });
    }
    await tx.execute(sql`
      update webhook_events e set state = 'processed', processed_at = now(), tenant_ids = v.tenant_ids, summary = v.summary, error = null, attempts = e.attempts + 1
      from jsonb_to_recordset(${JSON.stringify(finished.map((f) => ({ id: f.id, tenant_ids: f.tenantIds, summary: f.summary })))}::jsonb) as v(id bigint, tenant_ids uuid[], summary jsonb)
      -- The id list too: a record set's size is unknown to the planner, which would otherwise
      -- hash-join it against a scan of the whole table once the plan is cached.
      where e.id = v.id and e.id = any(${ids}::bigint[])`);
    return outcomes;
  });
}

/**
 * The common case in one statement and no explicit transaction: a job whose events only carry
 * message changes (customers' messages, their contacts, statuses of our messages) for registered
 * numbers. The events are read without a lock, parsed and routed here; then ONE statement locks
 * the ones still unfinished (skipping rows another worker holds), upserts the contacts, inserts
 * the messages and the statuses of the locked events, moves our messages forward by those
 * statuses, and marks the events processed, committed together. Two round trips, both prepared
 * statements, where the general path takes nine and more (two per statement, several per status):
 * under load each round trip waits for a core, and at 1,000 statuses a second the general path
 * fell behind by seconds. Anything else (account events, unrouted numbers, a replay of an event
 * that was unrouted) returns null for the general path.
 */
async function processMessageChanges(db: Database, eventIds: number[]): Promise<ProcessOutcome[] | null> {
  const ids = `{${eventIds.map(Number).join(',')}}`;
  const rows = await executePrepared<{ id: string; state: string; raw_body: Buffer; summary: Record<string, number> | null }>(db,
    sql`select id, state, raw_body, summary from webhook_events where id = any(${ids}::bigint[])`);
  const { outcomes, toApply } = parseEvents(eventIds, new Map(rows.map((e) => [Number(e.id), { state: e.state, rawBody: e.raw_body, summary: e.summary }])), 'skipped');
  if (toApply.some((e) => e.summary?.unrouted)) return null;
  if (toApply.length === 0) return outcomes;
  const changes = toApply.flatMap((e) => e.changes);
  if (changes.some((c) => c.field !== 'messages' || !c.phoneNumberId)) return null;
  const routes = await routesFor(db, changes);
  if (changes.some((c) => !routes.has(c.phoneNumberId!))) return null;

  const { contactRows, pending } = inboundOf(toApply, routes);
  const messageRows = inboundRows(pending);
  const statusRows = toApply.flatMap((event) => event.changes.flatMap((change) => statusesOf(change).map((s) => {
    const error = statusError(s);
    return {
      event_id: event.id, wamid: s.id, tenant_id: routes.get(change.phoneNumberId!)!.tenantId, status: s.status, occurred_at: metaTime(s.timestamp),
      error_code: error.code, error_title: error.title, error_detail: error.detail, payload: s,
    };
  }))).map((row, ord) => ({ ord, ...row }));
  const finished = toApply.map((e) => ({ id: e.id, tenant_ids: [...new Set(e.changes.map((c) => routes.get(c.phoneNumberId!)!.tenantId))] }));
  const statement = sql`
    with locked as (
      select id from webhook_events
      where id = any(${ids}::bigint[]) and state in ('received', 'processing', 'failed')
      order by id for update skip locked
    ), ${storeInboundSql(contactRows, messageRows, 'locked')}, ${applyStatusesSql(statusRows, 'locked')}, counted as (
      -- Counted once for the job and joined, not a subquery per event: that scanned every stored
      -- message of the job per event (a sweep's 100-event jobs did a million comparisons).
      select event_id, count(*) filter (where kind = 'message') as messages, count(*) filter (where kind = 'status') as statuses
      from (select ch.event_id, 'message' as kind from inserted i join chosen ch on ch.wamid = i.wamid
            union all select event_id, 'status' from fresh_statuses) as stored
      group by event_id
    ), finished as (
      update webhook_events e set state = 'processed', processed_at = now(), tenant_ids = v.tenant_ids, error = null, attempts = e.attempts + 1,
        summary = jsonb_strip_nulls(jsonb_build_object('messages', nullif(n.messages, 0), 'statuses', nullif(n.statuses, 0)))
      from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id bigint, tenant_ids uuid[]) left join counted n on n.event_id = v.id
      -- The id list too, as in the general path: the planner cannot size a record set.
      where e.id = v.id and e.id = any(${ids}::bigint[]) and e.id in (select id from locked)
      returning e.id
    )
    select 'event' as kind, id::text as id, null as wamid, null as status, null::uuid as tenant_id from finished
    union all
    select 'message', id::text, wamid, null, null from inserted
    union all
    -- Each status stored now, with the message it is about (as it was before this statement).
    select 'status', m.id::text, f.wamid, f.status, m.tenant_id from fresh_statuses f left join messages m on m.wamid = f.wamid`;
  type Row = { kind: 'event' | 'message' | 'status'; id: string | null; wamid: string | null; status: string | null; tenant_id: string | null };
  // With statuses, the wamids' locks come first, in a statement of their own (lockWamids's, as
  // the general path and the sender take them): the main statement then starts after any send
  // recording one of these wamids has committed, and sees it. Still one round trip.
  const result = statusRows.length === 0
    ? await executePrepared<Row>(db, statement)
    : await pipelinedTransaction<Row>(db, [wamidLocksSql(statusRows.map((s) => s.wamid)), statement]);

  const done = new Set(result.filter((r) => r.kind === 'event').map((r) => Number(r.id)));
  const inbound: StoredInbound = { fresh: new Map(result.filter((r) => r.kind === 'message').map((r) => [r.wamid!, r.id!])) };
  const freshStatuses = new Map(result.filter((r) => r.kind === 'status').map((r) => [`${r.wamid}|${r.status}`, { messageId: r.id, tenantId: r.tenant_id }]));
  for (const event of toApply) {
    if (!done.has(event.id)) {
      // Another worker holds it, or finished it since it was read: theirs to show.
      Object.assign(event.outcome, { outcome: 'busy' });
      continue;
    }
    const tenantIds = new Set<string>();
    for (const change of event.changes) {
      const route = routes.get(change.phoneNumberId!)!;
      tenantIds.add(route.tenantId);
      showInboundMessages(inbound, route, change, event.id, event.outcome.activity, () => {});
      for (const s of statusesOf(change)) {
        const key = `${s.id}|${s.status}`;
        const message = freshStatuses.get(key);
        if (!message) continue; // already stored: shown when it was
        freshStatuses.delete(key);
        event.outcome.activity.push(statusActivity(route, change, event.id, s, message.tenantId === route.tenantId ? message.messageId : null));
      }
    }
    event.outcome.tenantIds = [...tenantIds];
  }
  return outcomes;
}

/** The statuses of a change that are statuses of a message (Meta may add others; they are kept in the raw event only). */
function statusesOf(change: WebhookChange): MetaStatus[] {
  return change.statuses.filter((s) => (META_STATUSES as readonly string[]).includes(s.status));
}

/**
 * CTEs that store the statuses not stored yet (`fresh_statuses`: each with the event that stored
 * it, the first of the job among the events `onlyEvents` names) and move each message they are
 * about forward by every status known for its wamid (moveForwardSql): those stored before this
 * statement read from the table, this statement's own from its CTE (a statement does not see its
 * own inserts).
 */
function applyStatusesSql(statusRows: { ord: number; wamid: string }[], onlyEvents: string) {
  return sql`
    status_rows as (
      select distinct on (s.wamid, s.status) s.*
      from jsonb_to_recordset(${JSON.stringify(statusRows)}::jsonb)
        as s(ord int, event_id bigint, wamid text, tenant_id uuid, status text, occurred_at timestamptz, error_code int, error_title text, error_detail text, payload jsonb)
      where s.event_id in (select id from ${sql.raw(onlyEvents)})
      order by s.wamid, s.status, s.ord
    ), status_inserted as (
      insert into message_status_events (wamid, tenant_id, status, occurred_at, error_code, error_title, error_detail, payload)
      select wamid, tenant_id, status, occurred_at, error_code, error_title, error_detail, payload from status_rows order by wamid, status
      on conflict (wamid, status) do nothing
      returning wamid, status
    ), fresh_statuses as (
      select r.* from status_rows r join status_inserted i on i.wamid = r.wamid and i.status = r.status
    ), known as (
      select e.wamid, e.status, e.occurred_at, e.error_code, e.error_title, e.error_detail from message_status_events e where e.wamid in (select wamid from fresh_statuses)
      union all
      select wamid, status, occurred_at, error_code, error_title, error_detail from fresh_statuses
    ), ${moveForwardSql('known')}`;
}

/** Meta's first error of a status, as message_status_events keeps it. */
function statusError(s: MetaStatus) {
  const error = s.errors?.[0];
  return { code: typeof error?.code === 'number' ? error.code : null, title: error?.title ?? error?.message ?? null, detail: error?.error_data?.details ?? null };
}

/** The live-feed item of a status stored now. */
function statusActivity(route: Route, change: WebhookChange, eventId: number, s: MetaStatus, messageId: string | null): Activity {
  const error = s.errors?.[0];
  return {
    ...emptyActivity(), kind: 'status', direction: 'in', tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberId: change.phoneNumberId,
    wabaId: route.wabaId, messageId, wamid: s.id, contactWaId: s.recipient_id ?? null, status: s.status,
    summary: error ? `${s.status}: ${error.code} ${error.title ?? error.message ?? ''}`.trim() : s.status, webhookEventId: String(eventId), occurredAt: metaTime(s.timestamp),
  };
}

/**
 * The job's events in its order, each unfinished one parsed (an id named twice is processed once);
 * the rest are reported `missing` (not read) or skipped (already processed, or rejected).
 */
function parseEvents(eventIds: number[], byId: Map<number, { state: string; rawBody: Buffer; summary: Record<string, number> | null }>, missing: 'busy' | 'skipped') {
  const outcomes: ProcessOutcome[] = [];
  const toApply: ParsedEvent[] = [];
  for (const eventId of eventIds) {
    const event = byId.get(eventId);
    if (!event || event.state === 'processed' || event.state === 'rejected') {
      outcomes.push({ eventId, outcome: event ? 'skipped' : missing, activity: [], tenantIds: [] });
      continue;
    }
    byId.delete(eventId);
    const outcome: ProcessOutcome = { eventId, outcome: 'processed', activity: [], tenantIds: [] };
    outcomes.push(outcome);
    toApply.push({ id: eventId, summary: event.summary, changes: changesOf(JSON.parse(event.rawBody.toString('utf8'))), outcome });
  }
  return { outcomes, toApply };
}

interface ParsedEvent {
  id: number;
  summary: Record<string, number> | null;
  changes: WebhookChange[];
  outcome: ProcessOutcome;
}

/** One event, for callers with a single id (replays, tests). */
export async function processWebhookEvent(db: Database, eventId: number, onAccountChange?: AccountChangeHandler): Promise<ProcessOutcome> {
  const [outcome] = await processWebhookEvents(db, [eventId], onAccountChange);
  return outcome;
}

async function applyEvent(tx: Tx, event: ParsedEvent, routes: Map<string, Route>, inbound: StoredInbound, onAccountChange?: AccountChangeHandler) {
  const eventId = event.id;
  const changes = event.changes;
  const activity: Activity[] = [];
  const tenantIds = new Set<string>();
  const summary: Record<string, number> = {};
  const count = (key: string) => { summary[key] = (summary[key] ?? 0) + 1; };

  for (const change of changes) {
    const route = change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined;
    if (change.field === 'messages' && change.phoneNumberId) {
      if (!route) {
        await keepUnrouted(tx, eventId, change, activity);
        count('unrouted');
        continue;
      }
      tenantIds.add(route.tenantId);
      showInboundMessages(inbound, route, change, eventId, activity, count);
      await applyStatuses(tx, route, change, eventId, activity, count);
      continue;
    }
    // Account-level changes route by WABA (template status, account_update, quality, errors).
    const tenantId = await tenantOfWaba(tx, change.wabaId);
    if (tenantId) tenantIds.add(tenantId);
    const inserted = await tx.insert(accountEvents).values({
      tenantId, webhookEventId: eventId, changeIndex: change.ref, wabaId: change.wabaId, field: change.field,
      event: typeof change.value.event === 'string' ? change.value.event : null, value: change.value,
    }).onConflictDoNothing().returning({ id: accountEvents.id });
    if (inserted.length > 0) {
      await onAccountChange?.(tx, change, tenantId);
      count(change.field);
      activity.push({
        ...emptyActivity(), kind: change.field === 'message_template_status_update' ? 'template_status' : 'account_update', direction: 'in',
        tenantId, wabaId: change.wabaId, status: typeof change.value.event === 'string' ? change.value.event : null, webhookEventId: String(eventId),
        summary: accountSummary(change), occurredAt: new Date(),
      });
    }
  }
  // A replayed event may now route changes that were unrouted the first time.
  if (event.summary?.unrouted) await resolveUnrouted(tx, eventId);
  return { activity, tenantIds: [...tenantIds], summary };
}

// Routes found are cached for a few seconds per worker (one query less per event at 1,000/s);
// a number not found is never cached, so one registered a moment ago routes at once.
const ROUTE_TTL_MS = 5_000;
const routeCache = new Map<string, { route: Route; until: number }>();

async function routesFor(tx: Tx | Database, changes: WebhookChange[]): Promise<Map<string, Route>> {
  const ids = [...new Set(changes.map((c) => c.phoneNumberId).filter((id): id is string => Boolean(id)))];
  const routes = new Map<string, Route>();
  const now = Date.now();
  const missing = ids.filter((id) => {
    const hit = routeCache.get(id);
    if (hit && hit.until > now) routes.set(id, hit.route);
    return !routes.has(id);
  });
  if (missing.length === 0) return routes;
  const rows = await tx.select({
    phoneNumberId: phoneNumbers.phoneNumberId, phoneNumberRowId: phoneNumbers.id, tenantId: phoneNumbers.tenantId, wabaId: phoneNumbers.wabaId, instanceId: instances.id,
  }).from(phoneNumbers).leftJoin(instances, eq(instances.phoneNumberId, phoneNumbers.id)).where(inArray(phoneNumbers.phoneNumberId, missing));
  for (const { phoneNumberId, ...route } of rows) {
    routes.set(phoneNumberId, route);
    if (routeCache.size > 50_000) routeCache.clear();
    routeCache.set(phoneNumberId, { route, until: now + ROUTE_TTL_MS });
  }
  return routes;
}

async function tenantOfWaba(tx: Tx, wabaId: string): Promise<string | null> {
  if (!wabaId) return null;
  const [row] = await tx.select({ tenantId: phoneNumbers.tenantId }).from(phoneNumbers).where(eq(phoneNumbers.wabaId, wabaId)).limit(1);
  return row?.tenantId ?? null;
}

async function keepUnrouted(tx: Tx, eventId: number, change: WebhookChange, activity: Activity[]): Promise<void> {
  const inserted = await tx.insert(unroutedEvents).values({
    webhookEventId: eventId, changeIndex: change.ref, phoneNumberId: change.phoneNumberId, wabaId: change.wabaId, field: change.field, value: change.value,
  }).onConflictDoNothing().returning({ id: unroutedEvents.id });
  if (inserted.length === 0) return;
  activity.push({
    ...emptyActivity(), kind: 'unrouted', direction: 'in', phoneNumberId: change.phoneNumberId, wabaId: change.wabaId, webhookEventId: String(eventId),
    summary: unroutedFix(change.phoneNumberId, change.wabaId), occurredAt: new Date(),
  });
}

export function unroutedFix(phoneNumberId: string | null, wabaId: string | null): string {
  return `register phone number id ${phoneNumberId}${wabaId ? ` (WABA ${wabaId})` : ''} with addPhoneNumber, then replay the event`;
}

/** Contacts and inbound messages of a whole job, stored by one statement; read back per change. */
interface StoredInbound {
  /** wamid → id, for the messages this job inserted; taken by the first change that shows it. */
  fresh: Map<string, string>;
}

const contactKey = (route: Route, waId: string) => `${route.tenantId}|${route.phoneNumberRowId}|${waId}`;

/**
 * The contacts a group of events mentions (one record each, with the newest inbound time and the
 * name Meta gave), sorted so that concurrent jobs lock contact rows in one order; and the routed
 * changes that carry messages.
 */
function inboundOf(events: ParsedEvent[], routes: Map<string, Route>) {
  const people = new Map<string, { route: Route; waId: string; name: string | null; inboundAt: Date | null }>();
  const mention = (route: Route, waId: string, name: string | null, inboundAt: Date | null) => {
    const key = contactKey(route, waId);
    const prev = people.get(key);
    people.set(key, {
      route, waId,
      name: name ?? prev?.name ?? null,
      inboundAt: prev?.inboundAt && (!inboundAt || prev.inboundAt > inboundAt) ? prev.inboundAt : inboundAt,
    });
  };
  const pending: { event: ParsedEvent; route: Route; change: WebhookChange }[] = [];
  for (const event of events) {
    for (const change of event.changes) {
      const route = change.field === 'messages' && change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined;
      if (!route || (change.messages.length === 0 && change.contacts.length === 0)) continue;
      const names = new Map(change.contacts.map((c) => [c.wa_id, c.profile?.name ?? null]));
      for (const c of change.contacts) mention(route, c.wa_id, c.profile?.name ?? null, null);
      for (const m of change.messages) mention(route, m.from, names.get(m.from) ?? null, metaTime(m.timestamp));
      if (change.messages.length > 0) pending.push({ event, route, change });
    }
  }
  const contactRows = [...people.values()].sort((a, b) => (contactKey(a.route, a.waId) < contactKey(b.route, b.waId) ? -1 : 1))
    .map((r) => ({ tenant_id: r.route.tenantId, phone_number_id: r.route.phoneNumberRowId, wa_id: r.waId, name: r.name, last_inbound_at: r.inboundAt }));
  return { contactRows, pending };
}

type ContactRows = ReturnType<typeof inboundOf>['contactRows'];
type MessageRows = ReturnType<typeof inboundRows>;

/** The messages rows of the routed changes, each with its event and its place in the job (`ord`). */
function inboundRows(pending: ReturnType<typeof inboundOf>['pending']) {
  return pending.flatMap(({ event, route, change }) => change.messages.map((m) => ({
    event_id: event.id, tenant_id: route.tenantId, instance_id: route.instanceId, phone_number_id: route.phoneNumberRowId, wa_id: m.from,
    wamid: m.id, type: m.type, text: messageSummary(m).text, payload: m, meta_timestamp: metaTime(m.timestamp),
  }))).map((row, ord) => ({ ord, ...row }));
}

/**
 * CTEs that upsert the contacts (`c`) and insert the messages not stored yet (`inserted`: id,
 * wamid), each with its contact's id; `chosen` holds the occurrence of each wamid that stores it:
 * the first in the job among the events `onlyEvents` (a CTE of ids) names, or among all. Choosing
 * after narrowing matters: a wamid Meta re-batched into two events of a job, one of which another
 * worker holds, is still stored by the one this statement holds.
 */
function storeInboundSql(contactRows: ContactRows, messageRows: MessageRows, onlyEvents?: string) {
  return sql`
    chosen as (
      select distinct on (m.wamid) m.*
      from jsonb_to_recordset(${JSON.stringify(messageRows)}::jsonb)
        as m(ord int, event_id bigint, tenant_id uuid, instance_id uuid, phone_number_id uuid, wa_id text, wamid text, type text, text text, payload jsonb, meta_timestamp timestamptz)
      ${onlyEvents ? sql.raw(`where m.event_id in (select id from ${onlyEvents})`) : sql``}
      order by m.wamid, m.ord
    ), c as (
      insert into contacts (tenant_id, phone_number_id, wa_id, name, last_inbound_at)
      select tenant_id, phone_number_id, wa_id, name, last_inbound_at
      from jsonb_to_recordset(${JSON.stringify(contactRows)}::jsonb)
        as r(tenant_id uuid, phone_number_id uuid, wa_id text, name text, last_inbound_at timestamptz)
      on conflict (tenant_id, phone_number_id, wa_id) do update set
        name = coalesce(excluded.name, contacts.name),
        -- The window only moves forward: an old message delivered late does not shorten it.
        last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at),
        updated_at = now()
      returning id, tenant_id, phone_number_id, wa_id
    ), inserted as (
      insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, wamid, type, text, payload, status, meta_timestamp)
      select m.tenant_id, m.instance_id, m.phone_number_id, c.id, 'inbound', m.wamid, m.type, m.text, m.payload, 'received', m.meta_timestamp
      from chosen m join c on c.tenant_id = m.tenant_id and c.phone_number_id = m.phone_number_id and c.wa_id = m.wa_id
      -- One order for every job: concurrent inserts of one wamid wait on each other, not in a cycle.
      order by m.wamid
      on conflict (wamid) do nothing
      returning id, wamid
    )`;
}

/**
 * Upserts every contact the job's routed message changes mention and inserts every inbound
 * message (a wamid already stored is skipped: a duplicate, already shown).
 */
async function storeInboundMessages(tx: Tx, events: ParsedEvent[], routes: Map<string, Route>): Promise<StoredInbound> {
  const { contactRows, pending } = inboundOf(events, routes);
  const fresh = new Map<string, string>();
  if (contactRows.length === 0) return { fresh };
  const inserted = await tx.execute<{ id: string; wamid: string }>(sql`with ${storeInboundSql(contactRows, inboundRows(pending))} select id, wamid from inserted`);
  for (const r of inserted) fresh.set(r.wamid, r.id);
  return { fresh };
}

/** The live-feed items of one change's inbound messages that this job stored (duplicates show nothing). */
function showInboundMessages(inbound: StoredInbound, route: Route, change: WebhookChange, eventId: number, activity: Activity[], count: (k: string) => void): void {
  const names = new Map(change.contacts.map((c) => [c.wa_id, c.profile?.name ?? null]));
  for (const m of change.messages) {
    const messageId = inbound.fresh.get(m.id);
    if (!messageId) continue; // a duplicate: already stored, already shown
    inbound.fresh.delete(m.id);
    count('messages');
    activity.push({
      ...emptyActivity(), kind: 'inbound_message', direction: 'in', tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberId: change.phoneNumberId,
      wabaId: route.wabaId, messageId, wamid: m.id, contactWaId: m.from, contactName: names.get(m.from) ?? null, messageType: m.type,
      status: 'received', summary: messageSummary(m).summary, webhookEventId: String(eventId), occurredAt: metaTime(m.timestamp),
    });
  }
}

async function applyStatuses(tx: Tx, route: Route, change: WebhookChange, eventId: number, activity: Activity[], count: (k: string) => void): Promise<void> {
  for (const s of statusesOf(change)) {
    const error = statusError(s);
    const inserted = await tx.insert(messageStatusEvents).values({
      wamid: s.id, tenantId: route.tenantId, status: s.status as MessageStatus, occurredAt: metaTime(s.timestamp),
      errorCode: error.code, errorTitle: error.title, errorDetail: error.detail, payload: s,
    }).onConflictDoNothing().returning({ id: messageStatusEvents.id });
    if (inserted.length === 0) continue; // the same status again: nothing changes
    count('statuses');
    const message = (await applyPendingStatuses(tx, [s.id])).get(s.id);
    activity.push(statusActivity(route, change, eventId, s, message?.tenantId === route.tenantId ? message.id : null));
  }
}

function accountSummary(change: WebhookChange): string {
  const v = change.value;
  if (change.field === 'message_template_status_update') return `template ${String(v.message_template_name ?? '')} (${String(v.message_template_language ?? '')}) ${String(v.event ?? '')}`;
  return `${change.field}${typeof v.event === 'string' ? `: ${v.event}` : ''}`;
}

/** Marks unrouted changes of an event resolved once their number is registered (after a replay). */
async function resolveUnrouted(tx: Tx, eventId: number): Promise<void> {
  await tx.update(unroutedEvents).set({ resolvedAt: new Date() }).where(and(
    eq(unroutedEvents.webhookEventId, eventId), isNull(unroutedEvents.resolvedAt),
    inArray(unroutedEvents.phoneNumberId, tx.select({ id: phoneNumbers.phoneNumberId }).from(phoneNumbers)),
  ));
}
