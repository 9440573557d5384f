import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { instances } from '../instances/instances.table.js';
import { phoneNumbers } from './phone-numbers.table.js';

// Inbound routing: Meta's Phone Number ID (unique across every tenant) names the number, its
// tenant and its instance. One app and one webhook URL serve every client; this is where a
// webhook becomes one tenant's.

type Queryable = Pick<Database, 'select'>;

export interface Route {
  phoneNumberRowId: string;
  tenantId: string;
  wabaId: string;
  instanceId: string | null;
}

// Routes found are cached for a few seconds per process (one query less per event at 1,000/s);
// a number not found is never cached, so one registered a moment ago routes at once.
const ROUTE_TTL_MS = 5_000;
const routeCache = new Map<string, { route: Route; until: number }>();

/** The route of each registered number among these Meta Phone Number IDs; unregistered ones are absent. */
export async function routesFor(db: Queryable, phoneNumberIds: Iterable<string>): Promise<Map<string, Route>> {
  const ids = [...new Set(phoneNumberIds)];
  const routes = new Map<string, Route>();
  const now = Date.now();
  const missing = ids.filter((id) => {
    const hit = routeCache.get(id);
    if (hit && hit.until > now) routes.set(id, hit.route);
    return !routes.has(id);
  });
  if (missing.length === 0) return routes;
  const rows = await db.select({
    phoneNumberId: phoneNumbers.phoneNumberId, phoneNumberRowId: phoneNumbers.id, tenantId: phoneNumbers.tenantId, wabaId: phoneNumbers.wabaId, instanceId: instances.id,
  }).from(phoneNumbers).leftJoin(instances, eq(instances.phoneNumberId, phoneNumbers.id)).where(inArray(phoneNumbers.phoneNumberId, missing));
  for (const { phoneNumberId, ...route } of rows) {
    routes.set(phoneNumberId, route);
    if (routeCache.size > 50_000) routeCache.clear();
    routeCache.set(phoneNumberId, { route, until: now + ROUTE_TTL_MS });
  }
  return routes;
}

/** Account-level changes (template status, account_update, quality) carry a WABA, not a number. */
export async function tenantOfWaba(db: Queryable, wabaId: string): Promise<string | null> {
  if (!wabaId) return null;
  const [row] = await db.select({ tenantId: phoneNumbers.tenantId }).from(phoneNumbers).where(eq(phoneNumbers.wabaId, wabaId)).limit(1);
  return row?.tenantId ?? null;
}
