import { watch } from 'vue';
import { gql, type GqlRequest, type VariablesArgs } from '../api/client';
import type { TypedDocumentString } from '../api/generated';
import type { Connection } from '../api/types';
import { useConnection } from './useConnection';

// A list page's rows: one connection field of the schema, `first` rows at a time, narrowed by what
// its toolbar's filters say. Blank filter values are left out (all blank: no filter at all), and the
// list starts again from its first page whenever the filter it would send changes.

export type FilterValues = Record<string, string | null | undefined>;

/** The variables a list query takes. */
export interface ListVariables { first?: number | null; after?: string | null; filter?: unknown }
/** The fields of a result that are connections of rows with an id. */
export type ConnectionKey<R> = { [K in keyof R]: R[K] extends Connection<{ id: string }> ? K : never }[keyof R];
/** The row type of a connection. */
export type RowOf<C> = C extends { edges: Array<{ node: infer N extends { id: string } }> } ? N : never;

/** The `filter` argument: values trimmed, blank ones left out, null when none is left. */
export function filterOf(values: FilterValues): Record<string, string> | null {
  const set = Object.entries(values).map(([key, value]) => [key, value?.trim() ?? ''] as const).filter(([, value]) => value !== '');
  return set.length ? Object.fromEntries(set) : null;
}

/**
 * `query` takes `$first`, `$after` and `$filter` and answers a connection at `field`, e.g.
 * useListQuery(InstancesDocument, 'instances', () => ({ tenantId: filters.tenantId, status: filters.status })):
 * its rows are typed as the query selects them.
 */
export function useListQuery<R, V extends ListVariables, K extends ConnectionKey<R>>(query: TypedDocumentString<R, V>, field: K, filter: () => FilterValues = () => ({}), options: { first?: number; request?: GqlRequest } = {}) {
  const request = options.request ?? gql;
  const first = options.first ?? 20;
  const list = useConnection<RowOf<R[K]>>(async (after) => {
    // The toolbar's values are strings; the filter input type checks them on the server.
    const variables = { first, after, filter: filterOf(filter()) } as V;
    return (await request(query, ...([variables] as VariablesArgs<V>)))[field] as Connection<RowOf<R[K]>>;
  });
  watch(() => JSON.stringify(filterOf(filter())), () => void list.reload(), { immediate: true });
  return list;
}
