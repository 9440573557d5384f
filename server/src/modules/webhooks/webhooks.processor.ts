import { sql } from 'drizzle-orm';
import { executePrepared, pipelinedTransaction, type Database } from '../../db/client.js';
import { pgArray } from '../../lib/sql.js';
import { changesOf, metaTime, parseWebhookBody, type WebhookChange } from '../../meta/webhook-payload.js';
import type { JobDeps } from '../../queue/job-types.js';
import { publishActivity, type ActivityItem } from '../activity/activity.publisher.js';
import { routesFor, tenantOfWaba, type Route } from '../phone-numbers/phone-numbers.routing.js';
import { inboundMessageActivity, planInbound, storeInboundSql, type InboundMessageRow } from '../messages/messages.inbound.js';
import { applyStatusesSql, lockWamids, planStatuses, statusActivity, statusesOf, wamidLocksSql, type StatusRow } from '../messages/message-status.js';
import { accountActivity, keepUnrouted, resolveUnrouted, storeAccountChange, templateStatusOf } from './webhooks.account-events.js';
import { emptyCommit, mergeCommits, runInboundHooks, type InboundCommit, type InboundHook } from './webhooks.hooks.js';
import { webhookEvents } from './webhooks.table.js';

// Inbound processing: stored webhook events become contacts, messages and statuses (in the
// messages and contacts modules), account and template events, and unrouted changes; routing by
// Phone Number ID is the phone-numbers module's. This file only orchestrates them:
//
//   1. apply: ONE transaction per job changes everything its events carry, and marks them
//      `committed`. Processing the same event again changes nothing: messages are unique by
//      wamid, statuses by (wamid, status), unrouted and account events by (event, change); the
//      event rows are locked and marked in the same transaction, so a worker killed midway leaves
//      no half-applied event. Rows another worker holds right now are reported `busy`, theirs.
//   2. publish the live feed of what was stored now (best effort: pub/sub may drop).
//   3. the after-commit hooks (webhooks.hooks.ts), told what was newly stored; then the events
//      become `processed`. Events found `committed` (hooks interrupted) get their hooks again.
//
// A job of message changes only (customers' messages, statuses: nearly all traffic) is applied by
// one statement (applyMessageChanges); any other job by the general path, in a transaction. Both
// store messages and statuses with the same statement text. On this kind of machine a round trip
// to Postgres costs more than the row it carries: per-event statements fell behind 1,000 events/s.

export interface ProcessOutcome {
  eventId: number;
  /** processed: applied now; redelivered: applied by an earlier run whose hooks did not finish; skipped: finished or rejected; busy: another worker holds it. */
  outcome: 'processed' | 'redelivered' | 'skipped' | 'busy';
  activity: ActivityItem[];
  tenantIds: string[];
  /** What this event stored (for `redelivered`: what it had stored, read again). */
  commit: InboundCommit;
}

/** What the job gives the processor for steps 2 and 3; without it (tests, replays) events are applied and finished only. */
export interface AfterCommit {
  deps: JobDeps;
  hooks: readonly InboundHook[];
}

export async function processWebhookEvents(db: Database, eventIds: number[], after?: AfterCommit): Promise<ProcessOutcome[]> {
  if (eventIds.length === 0) return [];
  const outcomes = (await applyMessageChanges(db, eventIds)) ?? (await applyGeneral(db, eventIds));
  const committed = outcomes.filter((o) => o.outcome === 'processed' || o.outcome === 'redelivered');
  if (committed.length === 0) return outcomes;
  after?.deps.log.debug({ outcomes: outcomes.map((o) => `${o.eventId}:${o.outcome}:${o.commit.messages.length}`) }, 'webhooks: events applied');
  if (after) {
    // Published after commit: a subscriber never sees an item that was rolled back.
    for (const o of committed) publishActivity(after.deps.publisher, o.activity);
    await runInboundHooks(after.deps, after.hooks, mergeCommits(committed.map((o) => o.commit)));
  }
  await finishEvents(db, committed.map((o) => o.eventId));
  return outcomes;
}

/** One event, for callers with a single id (a job's one-by-one retry, tests). */
export async function processWebhookEvent(db: Database, eventId: number, after?: AfterCommit): Promise<ProcessOutcome> {
  const [outcome] = await processWebhookEvents(db, [eventId], after);
  return outcome;
}

/** committed → processed, once every hook has returned. */
async function finishEvents(db: Database, eventIds: number[]): Promise<void> {
  await executePrepared(db, sql`update webhook_events set state = 'processed' where id = any(${idList(eventIds)}::bigint[]) and state = 'committed'`);
}

// Every statement of a job has one text whatever its number of events (arrays and JSON record
// sets, not n placeholders): Postgres parses and plans each once per connection.
const idList = (ids: number[]) => `{${ids.map(Number).join(',')}}`;

interface ParsedEvent {
  id: number;
  summary: Record<string, number> | null;
  changes: WebhookChange[];
  outcome: ProcessOutcome;
}

type StoredEvent = { state: string; rawBody: Buffer; summary: Record<string, number> | null };

/**
 * The job's events in its order (an id named twice is processed once): the unfinished ones parsed
 * to apply, the `committed` ones parsed to run their hooks again; the rest are reported `missing`
 * (not read) or skipped (processed, or rejected).
 */
function parseEvents(eventIds: number[], byId: Map<number, StoredEvent>, missing: 'busy' | 'skipped') {
  const outcomes: ProcessOutcome[] = [];
  const toApply: ParsedEvent[] = [];
  const redeliver: ParsedEvent[] = [];
  for (const eventId of eventIds) {
    const event = byId.get(eventId);
    if (!event || event.state === 'processed' || event.state === 'rejected') {
      outcomes.push({ eventId, outcome: event ? 'skipped' : missing, activity: [], tenantIds: [], commit: emptyCommit() });
      continue;
    }
    byId.delete(eventId);
    const committed = event.state === 'committed';
    const outcome: ProcessOutcome = { eventId, outcome: committed ? 'redelivered' : 'processed', activity: [], tenantIds: [], commit: { ...emptyCommit(committed), eventIds: [eventId] } };
    outcomes.push(outcome);
    (committed ? redeliver : toApply).push({ id: eventId, summary: event.summary, changes: changesOf(parseWebhookBody(event.rawBody)), outcome });
  }
  return { outcomes, toApply, redeliver };
}

const phoneNumberIdsOf = (events: ParsedEvent[]) => events.flatMap((e) => e.changes.map((c) => c.phoneNumberId).filter((id): id is string => Boolean(id)));

/**
 * The statement that stores a job's messages (with their contacts) and statuses, and moves our
 * messages forward by those statuses, for the events the CTE `locked` holds. With `finished`, it
 * also marks those events committed (the one-statement path) and returns them; without, it
 * returns each event's counts (the general path marks them itself, with its other counts).
 */
function messageChangesSql(ids: string, plan: ReturnType<typeof planInbound>, statusRows: StatusRow[], finished: { id: number; tenant_ids: string[] }[] | null) {
  const head = sql`
    with locked as (
      select id from webhook_events
      where id = any(${ids}::bigint[]) and state in ('received', 'processing', 'failed')
      order by id for update skip locked
    ), ${storeInboundSql(plan.contactRows, plan.messageRows, 'locked')}, ${applyStatusesSql(statusRows, 'locked')}, counted as (
      -- Counted once for the job and joined, not a subquery per event: that scanned every stored
      -- message of the job per event (a sweep's 100-event jobs did a million comparisons).
      select event_id, count(*) filter (where kind = 'message') as messages, count(*) filter (where kind = 'status') as statuses
      from (select ch.event_id, 'message' as kind from inserted i join chosen ch on ch.wamid = i.wamid
            union all select event_id, 'status' from fresh_statuses) as stored
      group by event_id
    )`;
  const stored = sql`
    select 'message', id::text, wamid, null, null, contact_id, null, null from inserted
    union all
    -- Each status stored now, with the message it is about (as it was before this statement).
    select 'status', m.id::text, f.wamid, f.status, m.tenant_id, null, null, null from fresh_statuses f left join messages m on m.wamid = f.wamid`;
  if (!finished) {
    return sql`${head}
    select 'count' as kind, event_id::text as id, null as wamid, null as status, null::uuid as tenant_id, null::uuid as contact_id, messages::int as messages, statuses::int as statuses from counted
    union all ${stored}`;
  }
  return sql`${head}, finished as (
      update webhook_events e set state = 'committed', processed_at = now(), tenant_ids = v.tenant_ids, error = null, attempts = e.attempts + 1,
        summary = jsonb_strip_nulls(jsonb_build_object('messages', nullif(n.messages, 0), 'statuses', nullif(n.statuses, 0)))
      from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id bigint, tenant_ids uuid[]) left join counted n on n.event_id = v.id
      -- The id list too: a record set's size is unknown to the planner, which would otherwise
      -- hash-join it against a scan of the whole table once the plan is cached.
      where e.id = v.id and e.id = any(${ids}::bigint[]) and e.id in (select id from locked)
      returning e.id
    )
    select 'event' as kind, id::text as id, null as wamid, null as status, null::uuid as tenant_id, null::uuid as contact_id, null::int as messages, null::int as statuses from finished
    union all ${stored}`;
}

type ChangeRow = { kind: 'event' | 'count' | 'message' | 'status'; id: string | null; wamid: string | null; status: string | null; tenant_id: string | null; contact_id: string | null; messages: number | null; statuses: number | null };

/**
 * What the statement stored, shown and told to the hooks, event by event: a message or status is
 * the first event's of the job that carries it (a duplicate, already stored, is shown by nobody).
 */
function showStored(events: ParsedEvent[], routes: Map<string, Route>, rows: ChangeRow[], messageRows: InboundMessageRow[], statusRows: StatusRow[]): void {
  const freshMessages = new Map(rows.filter((r) => r.kind === 'message').map((r) => [r.wamid!, { id: r.id!, contactId: r.contact_id! }]));
  const freshStatuses = new Map(rows.filter((r) => r.kind === 'status').map((r) => [`${r.wamid}|${r.status}`, { messageId: r.id, tenantId: r.tenant_id }]));
  const messageRow = new Map(messageRows.map((m) => [`${m.event_id}|${m.wamid}`, m]));
  const statusRow = new Map(statusRows.map((s) => [`${s.event_id}|${s.wamid}|${s.status}`, s]));
  for (const event of events) {
    const { outcome } = event;
    for (const change of event.changes) {
      const route = change.field === 'messages' && change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined;
      if (!route) continue;
      if (!outcome.tenantIds.includes(route.tenantId)) outcome.tenantIds.push(route.tenantId);
      for (const m of change.messages) {
        const stored = freshMessages.get(m.id);
        if (!stored) continue; // a duplicate: already stored, already shown
        freshMessages.delete(m.id);
        outcome.activity.push(inboundMessageActivity(route, change, event.id, m, stored.id));
        const row = messageRow.get(`${event.id}|${m.id}`)!;
        outcome.commit.messages.push({
          id: stored.id, tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberRowId: route.phoneNumberRowId, contactId: stored.contactId,
          waId: m.from, wamid: m.id, type: m.type, text: row.text, payload: m, sentAt: row.meta_timestamp, webhookEventId: event.id,
        });
      }
      for (const s of statusesOf(change)) {
        const key = `${s.id}|${s.status}`;
        const message = freshStatuses.get(key);
        if (!message) continue; // already stored: shown when it was
        freshStatuses.delete(key);
        const messageId = message.tenantId === route.tenantId ? message.messageId : null;
        outcome.activity.push(statusActivity(route, change, event.id, s, messageId));
        const row = statusRow.get(`${event.id}|${s.id}|${s.status}`)!;
        outcome.commit.statuses.push({
          tenantId: route.tenantId, messageId, wamid: s.id, status: s.status, occurredAt: new Date(row.occurred_at), errorCode: row.error_code,
          errorTitle: row.error_title, recipientWaId: s.recipient_id ?? null, webhookEventId: event.id,
        });
      }
    }
  }
}

/**
 * The common case in one statement and no explicit transaction: a job whose events only carry
 * message changes for registered numbers. The events are read without a lock, parsed and routed
 * here; then ONE statement locks the ones still unfinished (skipping rows another worker holds),
 * upserts the contacts, inserts the messages and the statuses of the locked events, moves our
 * messages forward by those statuses, and marks the events committed. Two round trips, both
 * prepared statements, where the general path takes more: under load each round trip waits for a
 * core, and at 1,000 statuses a second a path of several per status fell behind by seconds.
 * Anything else (account events, unrouted numbers, a replay of an event that was unrouted)
 * returns null for the general path.
 */
async function applyMessageChanges(db: Database, eventIds: number[]): Promise<ProcessOutcome[] | null> {
  const ids = idList(eventIds);
  const rows = await executePrepared<{ id: string; state: string; raw_body: Buffer; summary: Record<string, number> | null }>(db,
    sql`select id, state, raw_body, summary from webhook_events where id = any(${ids}::bigint[])`);
  const { outcomes, toApply, redeliver } = parseEvents(eventIds, new Map(rows.map((e) => [Number(e.id), { state: e.state, rawBody: e.raw_body, summary: e.summary }])), 'skipped');
  if (toApply.some((e) => e.summary?.unrouted)) return null;
  const changes = toApply.flatMap((e) => e.changes);
  if (changes.some((c) => c.field !== 'messages' || !c.phoneNumberId)) return null;
  const routes = await routesFor(db, [...phoneNumberIdsOf(toApply), ...phoneNumberIdsOf(redeliver)]);
  if (changes.some((c) => !routes.has(c.phoneNumberId!))) return null;

  if (toApply.length > 0) {
    const plan = planInbound(toApply, routes);
    const statusRows = planStatuses(toApply, routes);
    const finished = toApply.map((e) => ({ id: e.id, tenant_ids: [...new Set(e.changes.map((c) => routes.get(c.phoneNumberId!)!.tenantId))] }));
    const statement = messageChangesSql(ids, plan, statusRows, finished);
    // With statuses, the wamids' locks come first, in a statement of their own (lockWamids's, as
    // the general path and the sender take them): the main statement then starts after any send
    // recording one of these wamids has committed, and sees it. Still one round trip.
    const result = statusRows.length === 0
      ? await executePrepared<ChangeRow>(db, statement)
      : await pipelinedTransaction<ChangeRow>(db, [wamidLocksSql(statusRows.map((s) => s.wamid)), statement]);
    const done = new Set(result.filter((r) => r.kind === 'event').map((r) => Number(r.id)));
    for (const event of toApply) {
      // Another worker holds it, or finished it since it was read: theirs to show.
      if (!done.has(event.id)) event.outcome.outcome = 'busy';
    }
    showStored(toApply.filter((e) => done.has(e.id)), routes, result, plan.messageRows, statusRows);
  }
  await readBackCommitted(db, redeliver, routes);
  return outcomes;
}

/**
 * Any job: one transaction for its events; messages and statuses by the same statement as the
 * one-statement path, then account events and unrouted changes change by change.
 */
async function applyGeneral(db: Database, eventIds: number[]): Promise<ProcessOutcome[]> {
  const { outcomes, redeliver } = await db.transaction(async (tx) => {
    const ids = idList(eventIds);
    const locked = await tx.select({ id: webhookEvents.id, state: webhookEvents.state, rawBody: webhookEvents.rawBody, summary: webhookEvents.summary })
      .from(webhookEvents).where(sql`${webhookEvents.id} = any(${ids}::bigint[])`).orderBy(webhookEvents.id).for('update', { skipLocked: true });
    // A row missing here is locked by another worker (skip locked): busy, theirs.
    const parsed = parseEvents(eventIds, new Map(locked.map((e) => [e.id, e])), 'busy');
    const { toApply } = parsed;
    if (toApply.length === 0) return parsed;
    const routes = await routesFor(tx, phoneNumberIdsOf(toApply));
    const plan = planInbound(toApply, routes);
    const statusRows = planStatuses(toApply, routes);
    const counts = new Map<number, Record<string, number>>(toApply.map((e) => [e.id, {}]));
    if (plan.messageRows.length + plan.contactRows.length + statusRows.length > 0) {
      // Every status's wamid locked first, in one order: jobs applying statuses of the same
      // messages at once wait for each other instead of deadlocking, and a send recording a wamid waits too.
      await lockWamids(tx, statusRows.map((s) => s.wamid));
      const result = [...await tx.execute<ChangeRow>(messageChangesSql(idList(toApply.map((e) => e.id)), plan, statusRows, null))];
      for (const r of result.filter((row) => row.kind === 'count')) {
        const c = counts.get(Number(r.id))!;
        if (r.messages) c.messages = Number(r.messages);
        if (r.statuses) c.statuses = Number(r.statuses);
      }
      showStored(toApply, routes, result, plan.messageRows, statusRows);
    }
    for (const event of toApply) await applyOtherChanges(tx, event, routes, counts.get(event.id)!);
    await tx.execute(sql`
      update webhook_events e set state = 'committed', processed_at = now(), tenant_ids = v.tenant_ids, summary = v.summary, error = null, attempts = e.attempts + 1
      from jsonb_to_recordset(${JSON.stringify(toApply.map((e) => ({ id: e.id, tenant_ids: e.outcome.tenantIds, summary: counts.get(e.id) })))}::jsonb) as v(id bigint, tenant_ids uuid[], summary jsonb)
      -- The id list too: a record set's size is unknown to the planner (see messageChangesSql).
      where e.id = v.id and e.id = any(${ids}::bigint[])`);
    return parsed;
  });
  if (redeliver.length > 0) await readBackCommitted(db, redeliver, await routesFor(db, phoneNumberIdsOf(redeliver)));
  return outcomes;
}

/** An event's changes other than routed message changes: unrouted ones kept, account-level ones stored. */
async function applyOtherChanges(tx: Parameters<Parameters<Database['transaction']>[0]>[0], event: ParsedEvent, routes: Map<string, Route>, counts: Record<string, number>): Promise<void> {
  const { outcome } = event;
  const count = (key: string) => { counts[key] = (counts[key] ?? 0) + 1; };
  for (const change of event.changes) {
    if (change.field === 'messages' && change.phoneNumberId) {
      if (routes.has(change.phoneNumberId)) continue; // stored with the job's messages
      const shown = await keepUnrouted(tx, event.id, change);
      if (shown) outcome.activity.push(shown);
      count('unrouted');
      continue;
    }
    // Account-level changes route by WABA (template status, account_update, quality, errors).
    const tenantId = await tenantOfWaba(tx, change.wabaId);
    if (tenantId && !outcome.tenantIds.includes(tenantId)) outcome.tenantIds.push(tenantId);
    const stored = await storeAccountChange(tx, event.id, change, tenantId);
    if (!stored) continue;
    count(change.field);
    outcome.activity.push(accountActivity(stored));
    const template = templateStatusOf(stored, tenantId, event.id);
    if (template) outcome.commit.templateStatuses.push(template);
    else outcome.commit.accountEvents.push(stored);
  }
  // A replayed event may now route changes that were unrouted the first time.
  if (event.summary?.unrouted) await resolveUnrouted(tx, event.id);
}

/**
 * Events an earlier run committed whose hooks did not all return (a killed worker, a hook that
 * threw): what they stored is read back, for the hooks to be told again. What the event carries
 * is looked up by its keys (wamid, (wamid, status), (event, change)), so a message Meta delivered
 * twice is included even if the other delivery stored it: hooks are idempotent.
 */
async function readBackCommitted(db: Database, events: ParsedEvent[], routes: Map<string, Route>): Promise<void> {
  if (events.length === 0) return;
  const routed = events.flatMap((event) => event.changes.map((change) => ({ event, change, route: change.field === 'messages' && change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined })));
  const wamids = routed.flatMap(({ change, route }) => (route ? [...change.messages.map((m) => m.id), ...statusesOf(change).map((s) => s.id)] : []));
  const [messageRows, statusRows, accountRows] = await Promise.all([
    wamids.length === 0 ? [] : db.execute<{ id: string; contact_id: string; wamid: string; text: string | null; meta_timestamp: string | null }>(sql`
      select id, contact_id, wamid, text, meta_timestamp from messages where wamid = any(${pgArray(wamids)}::text[]) and direction = 'inbound'`),
    wamids.length === 0 ? [] : db.execute<{ wamid: string; status: string; occurred_at: string; error_code: number | null; error_title: string | null; message_id: string | null; message_tenant_id: string | null }>(sql`
      select e.wamid, e.status, e.occurred_at, e.error_code, e.error_title, m.id as message_id, m.tenant_id as message_tenant_id
      from message_status_events e left join messages m on m.wamid = e.wamid where e.wamid = any(${pgArray(wamids)}::text[])`),
    db.execute<{ webhook_event_id: string; change_index: string; tenant_id: string | null; waba_id: string; field: string; event: string | null; value: Record<string, unknown> }>(sql`
      select webhook_event_id, change_index, tenant_id, waba_id, field, event, value from account_events where webhook_event_id = any(${idList(events.map((e) => e.id))}::bigint[])`),
  ]);
  const messageByWamid = new Map([...messageRows].map((m) => [m.wamid, m]));
  const statusByKey = new Map([...statusRows].map((s) => [`${s.wamid}|${s.status}`, s]));
  for (const { event, change, route } of routed) {
    const { commit, tenantIds } = event.outcome;
    if (!route) continue;
    if (!tenantIds.includes(route.tenantId)) tenantIds.push(route.tenantId);
    for (const m of change.messages) {
      const row = messageByWamid.get(m.id);
      if (!row) continue;
      commit.messages.push({
        id: row.id, tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberRowId: route.phoneNumberRowId, contactId: row.contact_id, waId: m.from,
        wamid: m.id, type: m.type, text: row.text, payload: m, sentAt: row.meta_timestamp ? new Date(row.meta_timestamp) : metaTime(m.timestamp), webhookEventId: event.id,
      });
    }
    for (const s of statusesOf(change)) {
      const row = statusByKey.get(`${s.id}|${s.status}`);
      if (!row) continue;
      commit.statuses.push({
        tenantId: route.tenantId, messageId: row.message_tenant_id === route.tenantId ? row.message_id : null, wamid: s.id, status: s.status,
        occurredAt: new Date(row.occurred_at), errorCode: row.error_code, errorTitle: row.error_title, recipientWaId: s.recipient_id ?? null, webhookEventId: event.id,
      });
    }
  }
  const byId = new Map(events.map((e) => [e.id, e]));
  for (const row of accountRows) {
    const event = byId.get(Number(row.webhook_event_id))!;
    const stored = { tenantId: row.tenant_id, wabaId: row.waba_id, field: row.field, event: row.event, value: row.value, webhookEventId: event.id, changeRef: row.change_index };
    if (row.tenant_id && !event.outcome.tenantIds.includes(row.tenant_id)) event.outcome.tenantIds.push(row.tenant_id);
    const template = templateStatusOf(stored, row.tenant_id, event.id);
    if (template) event.outcome.commit.templateStatuses.push(template);
    else event.outcome.commit.accountEvents.push(stored);
  }
}
