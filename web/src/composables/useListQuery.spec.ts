import { describe, expect, it } from 'vitest';
import { nextTick, reactive } from 'vue';
import type { GqlRequest } from '../api/client';
import { InstancesDocument, type TypedDocumentString } from '../api/generated';
import { filterOf, useListQuery } from './useListQuery';

const ROWS = Array.from({ length: 5 }, (_, i) => ({ id: `i${i}`, status: i % 2 ? 'paused' : 'active' }));

/** A server for `instances`: filters by status, pages by index; it records every request. */
function server() {
  const requests: Record<string, unknown>[] = [];
  const request = (async (_document: TypedDocumentString<unknown, unknown>, variables: Record<string, unknown> = {}) => {
    requests.push(variables);
    const { first, after, filter } = variables as { first: number; after: string | null; filter: { status?: string } | null };
    const rows = ROWS.filter((r) => !filter?.status || r.status === filter.status);
    const from = after === null ? 0 : Number(after) + 1;
    const slice = rows.slice(from, from + first);
    return { instances: { edges: slice.map((node) => ({ node })), pageInfo: { hasNextPage: from + first < rows.length, endCursor: String(from + slice.length - 1) }, totalCount: rows.length } };
  }) as GqlRequest;
  return { request, requests };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('filterOf', () => {
  it('trims values and leaves blank ones out', () => {
    expect(filterOf({ tenantId: '', status: ' paused ', wabaId: null, nameContains: undefined })).toEqual({ status: 'paused' });
  });

  it('is null when no value is left (no filter at all)', () => {
    expect(filterOf({ nameContains: '  ' })).toBeNull();
    expect(filterOf({})).toBeNull();
  });
});

describe('useListQuery', () => {
  it('loads the first page with the filter at once, and the next page with the end cursor', async () => {
    const { request, requests } = server();
    const list = useListQuery(InstancesDocument, 'instances', () => ({ status: '' }), { first: 2, request });
    await settled();
    expect(list.items.value.map((r) => r.id)).toEqual(['i0', 'i1']);
    await list.loadMore();
    expect(list.items.value.map((r) => r.id)).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(requests).toEqual([{ first: 2, after: null, filter: null }, { first: 2, after: '1', filter: null }]);
  });

  it('starts again from the first page when the filter it sends changes, and only then', async () => {
    const { request, requests } = server();
    const filters = reactive({ status: '', search: '' });
    const list = useListQuery(InstancesDocument, 'instances', () => ({ status: filters.status, nameContains: filters.search }), { first: 2, request });
    await settled();
    filters.status = 'paused';
    await nextTick();
    await settled();
    expect(list.items.value.map((r) => r.id)).toEqual(['i1', 'i3']);
    filters.search = '   '; // sends the same filter: no request
    await nextTick();
    await settled();
    expect(requests.map((r) => r.filter)).toEqual([null, { status: 'paused' }]);
  });
});
