import { sql } from 'drizzle-orm';

// Contacts as inbound messages make them: one row per (tenant, number, customer), upserted by
// the same statement that stores the messages (messages.inbound.ts).

export interface InboundContactRow {
  tenant_id: string;
  phone_number_id: string;
  wa_id: string;
  name: string | null;
  last_inbound_at: Date | null;
}

/**
 * The CTE `c`: upserts the contacts (sorted by the caller, so that concurrent jobs lock contact
 * rows in one order) and returns each one's id with its key.
 */
export function upsertInboundContactsSql(contactRows: InboundContactRow[]) {
  return sql`c as (
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
    )`;
}
