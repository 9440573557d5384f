import { watch } from 'vue';
import { gql, type GqlRequest } from '../api/client';
import type { Connection } from '../api/types';
import { useConnection } from './useConnection';

// A list page's rows: one connection field of the schema, `first` rows at a time, narrowed by what
// its toolbar's filters say. Blank filter values are left out (all blank: no filter at all), and the
// list starts again from its first page whenever the filter it would send changes.

export type FilterValues = Record<string, string | null | undefined>;

/** The `filter` argument: values trimmed, blank ones left out, null when none is left. */
export function filterOf(values: FilterValues): Record<string, string> | null {
  const set = Object.entries(values).map(([key, value]) => [key, value?.trim() ?? ''] as const).filter(([, value]) => value !== '');
  return set.length ? Object.fromEntries(set) : null;
}

/**
 * `query` takes `$first`, `$after` and `$filter` and answers a connection at `field`, e.g.
 * useListQuery<Instance>(INSTANCES, 'instances', () => ({ tenantId: filters.tenantId, status: filters.status })).
 */
export function useListQuery<T extends { id: string }>(query: string, field: string, filter: () => FilterValues = () => ({}), options: { first?: number; request?: GqlRequest } = {}) {
  const request = options.request ?? gql;
  const first = options.first ?? 20;
  const list = useConnection<T>(async (after) => (await request<Record<string, Connection<T>>>(query, { first, after, filter: filterOf(filter()) }))[field]);
  watch(() => JSON.stringify(filterOf(filter())), () => void list.reload(), { immediate: true });
  return list;
}
