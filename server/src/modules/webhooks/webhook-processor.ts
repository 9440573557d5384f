import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { executePrepared, type Database } from '../../db/client.js';
import { phoneNumbers } from '../phone-numbers/phone-numbers.table.js';
import { instances } from '../instances/instances.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { messageStatusEvents, messages, type MessageStatus } from '../messages/messages.table.js';
import { META_STATUSES, applyPendingStatuses } from '../messages/message-status.js';
import { emptyActivity } from '../activity/activity.publisher.js';
import type { ActivityPayload } from '../activity/activity.types.js';
import { accountEvents, unroutedEvents, webhookEvents } from './webhooks.table.js';
import { changesOf, messageSummary, metaTime, type WebhookChange } from './webhook-payload.js';

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
 * Applies stored webhook events in ONE transaction: every entry and every change of each. One
 * transaction for a group of events, and one statement for all their contacts and one for all
 * their inbound messages: on this kind of machine a round trip to Postgres costs more than the
 * row it carries, so per-event statements made the worker fall behind 1,000 events/s.
 * Processing the same event again changes nothing: messages are unique by wamid, statuses by
 * (wamid, status), unrouted and account events by (event, change); and the event rows are locked
 * and marked processed in the same transaction, so a worker killed midway leaves no half-applied
 * event. Rows another worker holds right now are reported `busy` and left to it.
 */
export async function processWebhookEvents(db: Database, eventIds: number[], onAccountChange?: AccountChangeHandler): Promise<ProcessOutcome[]> {
  if (eventIds.length === 0) return [];
  return (await processInboundOnly(db, eventIds)) ?? db.transaction(async (tx) => {
    // Every statement of a job has one text whatever its number of events (arrays and JSON
    // record sets, not n placeholders): Postgres parses and plans each once per connection.
    const ids = `{${eventIds.map(Number).join(',')}}`;
    const locked = await tx.select({ id: webhookEvents.id, state: webhookEvents.state, rawBody: webhookEvents.rawBody, summary: webhookEvents.summary })
      .from(webhookEvents).where(sql`${webhookEvents.id} = any(${ids}::bigint[])`).orderBy(webhookEvents.id).for('update', { skipLocked: true });
    const byId = new Map(locked.map((e) => [e.id, e]));
    const outcomes: ProcessOutcome[] = [];
    const toApply: ParsedEvent[] = [];
    for (const eventId of eventIds) {
      const event = byId.get(eventId);
      if (!event) { outcomes.push({ eventId, outcome: 'busy', activity: [], tenantIds: [] }); continue; }
      if (event.state === 'processed' || event.state === 'rejected') { outcomes.push({ eventId, outcome: 'skipped', activity: [], tenantIds: [] }); continue; }
      byId.delete(eventId); // the same id twice in a job is processed once
      const outcome: ProcessOutcome = { eventId, outcome: 'processed', activity: [], tenantIds: [] };
      outcomes.push(outcome);
      toApply.push({ id: eventId, summary: event.summary, changes: changesOf(JSON.parse(event.rawBody.toString('utf8'))), outcome });
    }
    if (toApply.length === 0) return outcomes;
    const routes = await routesFor(tx, toApply.flatMap((e) => e.changes));
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
 * customers' messages (and their contacts) to registered numbers. The events are read without a
 * lock, parsed and routed here; then ONE statement locks the ones still unfinished (skipping rows
 * another worker holds), upserts the contacts, inserts the messages of the locked events and
 * marks those events processed, committed together. Two round trips, both prepared statements,
 * where the general path takes nine (begin, then lock, store and mark at two each, commit):
 * under load each round trip waits for a core.
 * Anything else (statuses, account events, unrouted numbers, a replay of an event that was
 * unrouted) returns null for the general path.
 */
async function processInboundOnly(db: Database, eventIds: number[]): Promise<ProcessOutcome[] | null> {
  const ids = `{${eventIds.map(Number).join(',')}}`;
  const rows = await executePrepared<{ id: string; state: string; raw_body: Buffer; summary: Record<string, number> | null }>(db,
    sql`select id, state, raw_body, summary from webhook_events where id = any(${ids}::bigint[])`);
  const byId = new Map(rows.map((e) => [Number(e.id), { state: e.state, rawBody: e.raw_body, summary: e.summary }]));
  const outcomes: ProcessOutcome[] = [];
  const toApply: ParsedEvent[] = [];
  for (const eventId of eventIds) {
    const event = byId.get(eventId);
    if (!event) { outcomes.push({ eventId, outcome: 'skipped', activity: [], tenantIds: [] }); continue; }
    if (event.state === 'processed' || event.state === 'rejected') { outcomes.push({ eventId, outcome: 'skipped', activity: [], tenantIds: [] }); continue; }
    if (event.summary?.unrouted) return null;
    byId.delete(eventId); // the same id twice in a job is processed once
    const outcome: ProcessOutcome = { eventId, outcome: 'processed', activity: [], tenantIds: [] };
    outcomes.push(outcome);
    toApply.push({ id: eventId, summary: event.summary, changes: changesOf(JSON.parse(event.rawBody.toString('utf8'))), outcome });
  }
  if (toApply.length === 0) return outcomes;
  const changes = toApply.flatMap((e) => e.changes);
  if (changes.some((c) => c.field !== 'messages' || !c.phoneNumberId || c.statuses.length > 0)) return null;
  const routes = await routesFor(db, changes);
  if (changes.some((c) => !routes.has(c.phoneNumberId!))) return null;

  const { contactRows, pending } = inboundOf(toApply, routes);
  const messageRows = inboundRows(pending);
  const finished = toApply.map((e) => ({ id: e.id, tenant_ids: [...new Set(e.changes.map((c) => routes.get(c.phoneNumberId!)!.tenantId))] }));
  const result = await executePrepared<{ kind: 'event' | 'message'; id: string; wamid: string | null }>(db, sql`
    with locked as (
      select id from webhook_events
      where id = any(${ids}::bigint[]) and state in ('received', 'processing', 'failed')
      order by id for update skip locked
    ), ${storeInboundSql(contactRows, messageRows, 'locked')}, finished as (
      update webhook_events e set state = 'processed', processed_at = now(), tenant_ids = v.tenant_ids, error = null, attempts = e.attempts + 1,
        summary = (select case when count(*) = 0 then '{}'::jsonb else jsonb_build_object('messages', count(*)) end
                   from inserted i join chosen ch on ch.wamid = i.wamid where ch.event_id = v.id)
      from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id bigint, tenant_ids uuid[])
      -- The id list too, as in the general path: the planner cannot size a record set.
      where e.id = v.id and e.id = any(${ids}::bigint[]) and e.id in (select id from locked)
      returning e.id
    )
    select 'event' as kind, id::text as id, null as wamid from finished
    union all
    select 'message', id::text, wamid from inserted`);

  const done = new Set(result.filter((r) => r.kind === 'event').map((r) => Number(r.id)));
  const inbound: StoredInbound = { fresh: new Map(result.filter((r) => r.kind === 'message').map((r) => [r.wamid!, r.id])) };
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
    }
    event.outcome.tenantIds = [...tenantIds];
  }
  return outcomes;
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
  for (const s of change.statuses) {
    if (!(META_STATUSES as readonly string[]).includes(s.status)) continue;
    const error = s.errors?.[0];
    const inserted = await tx.insert(messageStatusEvents).values({
      wamid: s.id, tenantId: route.tenantId, status: s.status as MessageStatus, occurredAt: metaTime(s.timestamp),
      errorCode: typeof error?.code === 'number' ? error.code : null, errorTitle: error?.title ?? error?.message ?? null, errorDetail: error?.error_data?.details ?? null, payload: s,
    }).onConflictDoNothing().returning({ id: messageStatusEvents.id });
    if (inserted.length === 0) continue; // the same status again: nothing changes
    count('statuses');
    const message = await applyPendingStatuses(tx, { wamid: s.id });
    activity.push({
      ...emptyActivity(), kind: 'status', direction: 'in', tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberId: change.phoneNumberId,
      wabaId: route.wabaId, messageId: message?.tenantId === route.tenantId ? message.id : null, wamid: s.id, contactWaId: s.recipient_id ?? null, status: s.status,
      summary: error ? `${s.status}: ${error.code} ${error.title ?? error.message ?? ''}`.trim() : s.status, webhookEventId: String(eventId), occurredAt: metaTime(s.timestamp),
    });
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
