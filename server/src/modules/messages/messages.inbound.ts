import { sql } from 'drizzle-orm';
import { messageSummary, metaTime, type MetaMessage, type WebhookChange } from '../../meta/webhook-payload.js';
import type { Route } from '../phone-numbers/phone-numbers.routing.js';
import { upsertInboundContactsSql, type InboundContactRow } from '../contacts/contacts.inbound.js';
import { emptyActivity, type ActivityItem } from '../activity/activity.publisher.js';

// Customers' messages as webhooks bring them: the rows one statement stores (with their contacts),
// and what the live feed shows of those it stored.

/** What this file needs of a stored webhook event: its id and its parsed changes. */
export interface InboundEvent {
  id: number;
  changes: WebhookChange[];
}

export interface InboundMessageRow {
  /** Its place in the job, so the first occurrence of a wamid is the one that stores it. */
  ord: number;
  event_id: number;
  tenant_id: string;
  instance_id: string | null;
  phone_number_id: string;
  wa_id: string;
  wamid: string;
  type: string;
  text: string | null;
  payload: MetaMessage;
  meta_timestamp: Date;
}

const contactKey = (route: Route, waId: string) => `${route.tenantId}|${route.phoneNumberRowId}|${waId}`;

/**
 * The contacts a group of events mentions (one record each, with the newest inbound time and the
 * name Meta gave), sorted so that concurrent jobs lock contact rows in one order; and the message
 * rows of the routed changes.
 */
export function planInbound(events: InboundEvent[], routes: Map<string, Route>): { contactRows: InboundContactRow[]; messageRows: InboundMessageRow[] } {
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
  const messageRows: InboundMessageRow[] = [];
  for (const event of events) {
    for (const change of event.changes) {
      const route = change.field === 'messages' && change.phoneNumberId ? routes.get(change.phoneNumberId) : undefined;
      if (!route || (change.messages.length === 0 && change.contacts.length === 0)) continue;
      const names = new Map(change.contacts.map((c) => [c.wa_id, c.profile?.name ?? null]));
      for (const c of change.contacts) mention(route, c.wa_id, c.profile?.name ?? null, null);
      for (const m of change.messages) {
        mention(route, m.from, names.get(m.from) ?? null, metaTime(m.timestamp));
        messageRows.push({
          ord: messageRows.length, event_id: event.id, tenant_id: route.tenantId, instance_id: route.instanceId, phone_number_id: route.phoneNumberRowId,
          wa_id: m.from, wamid: m.id, type: m.type, text: messageSummary(m).text, payload: m, meta_timestamp: metaTime(m.timestamp),
        });
      }
    }
  }
  const contactRows = [...people.values()].sort((a, b) => (contactKey(a.route, a.waId) < contactKey(b.route, b.waId) ? -1 : 1))
    .map((r) => ({ tenant_id: r.route.tenantId, phone_number_id: r.route.phoneNumberRowId, wa_id: r.waId, name: r.name, last_inbound_at: r.inboundAt }));
  return { contactRows, messageRows };
}

/**
 * CTEs that upsert the contacts (`c`) and insert the messages not stored yet (`inserted`: id,
 * wamid, contact_id), each with its contact's id; `chosen` holds the occurrence of each wamid
 * that stores it: the first in the job among the events the CTE `onlyEvents` names. Choosing
 * after narrowing matters: a wamid Meta re-batched into two events of a job, one of which another
 * worker holds, is still stored by the one this statement holds.
 */
export function storeInboundSql(contactRows: InboundContactRow[], messageRows: InboundMessageRow[], onlyEvents: string) {
  return sql`
    chosen as (
      select distinct on (m.wamid) m.*
      from jsonb_to_recordset(${JSON.stringify(messageRows)}::jsonb)
        as m(ord int, event_id bigint, tenant_id uuid, instance_id uuid, phone_number_id uuid, wa_id text, wamid text, type text, text text, payload jsonb, meta_timestamp timestamptz)
      where m.event_id in (select id from ${sql.raw(onlyEvents)})
      order by m.wamid, m.ord
    ), ${upsertInboundContactsSql(contactRows)}, inserted as (
      insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, wamid, type, text, payload, status, meta_timestamp)
      select m.tenant_id, m.instance_id, m.phone_number_id, c.id, 'inbound', m.wamid, m.type, m.text, m.payload, 'received', m.meta_timestamp
      from chosen m join c on c.tenant_id = m.tenant_id and c.phone_number_id = m.phone_number_id and c.wa_id = m.wa_id
      -- One order for every job: concurrent inserts of one wamid wait on each other, not in a cycle.
      order by m.wamid
      on conflict (wamid) do nothing
      returning id, wamid, contact_id
    )`;
}

/** The live-feed item of a customer's message stored now (a duplicate, already stored, shows nothing). */
export function inboundMessageActivity(route: Route, change: WebhookChange, eventId: number, m: MetaMessage, messageId: string): ActivityItem {
  const contact = change.contacts.find((c) => c.wa_id === m.from);
  return {
    ...emptyActivity(), kind: 'inbound_message', direction: 'in', tenantId: route.tenantId, instanceId: route.instanceId, phoneNumberId: change.phoneNumberId,
    wabaId: route.wabaId, messageId, wamid: m.id, contactWaId: m.from, contactName: contact?.profile?.name ?? null, messageType: m.type,
    status: 'received', summary: messageSummary(m).summary, webhookEventId: String(eventId), occurredAt: metaTime(m.timestamp),
  };
}
