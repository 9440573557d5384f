import type { Activity, ActivityFilter, Viewer } from '../api/types';

// Design rule 6: the server filters subscriptions by tenant, and the dashboard checks again what it
// receives. A tenant's page drops anything not stamped with its own tenant id (including unrouted
// events, which have none); the operator's page drops what its own filter excludes, so a filter
// change never lets stale rows from a previous subscription through.

export interface GuardScope {
  viewer: Pick<Viewer, 'kind' | 'tenant'>;
  filter?: ActivityFilter;
}

export type GuardVerdict = 'accept' | 'foreign-tenant' | 'filtered';

export function checkActivity(scope: GuardScope, activity: Pick<Activity, 'tenantId' | 'phoneNumberId' | 'kind'>): GuardVerdict {
  if (scope.viewer.kind !== 'operator') {
    const own = scope.viewer.tenant?.id;
    if (!own || activity.tenantId !== own) return 'foreign-tenant';
  }
  const filter = scope.filter;
  if (filter?.tenantId && activity.tenantId !== filter.tenantId) return 'filtered';
  if (filter?.phoneNumberId && activity.phoneNumberId !== filter.phoneNumberId) return 'filtered';
  if (filter?.kinds?.length && !filter.kinds.includes(activity.kind)) return 'filtered';
  return 'accept';
}

/** Keeps the check and a count of what it dropped, for the "dropped" hint on the page. */
export function useTenantGuard(scope: () => GuardScope) {
  let foreign = 0;
  return {
    accepts(activity: Activity): boolean {
      const verdict = checkActivity(scope(), activity);
      if (verdict === 'foreign-tenant') {
        foreign++;
        console.warn('[realtime] dropped an event of another tenant', activity.id);
      }
      return verdict === 'accept';
    },
    get droppedForeign() {
      return foreign;
    },
  };
}
