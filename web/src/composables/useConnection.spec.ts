import { describe, expect, it } from 'vitest';
import { useConnection } from './useConnection';
import type { Connection } from '../api/types';

const ALL = Array.from({ length: 5 }, (_, i) => ({ id: `t${i}` }));

/** A server of 5 items in pages of 2, cursor = index of the last item. */
function pages(after: string | null): Promise<Connection<{ id: string }>> {
  const from = after === null ? 0 : Number(after) + 1;
  const slice = ALL.slice(from, from + 2);
  return Promise.resolve({
    edges: slice.map((node) => ({ node })),
    pageInfo: { hasNextPage: from + 2 < ALL.length, endCursor: String(from + slice.length - 1) },
    totalCount: ALL.length,
  });
}

describe('useConnection', () => {
  it('loads the first page, then appends pages with the end cursor until there are no more', async () => {
    const list = useConnection(pages);
    await list.reload();
    expect(list.items.value.map((t) => t.id)).toEqual(['t0', 't1']);
    expect(list.totalCount.value).toBe(5);
    await list.loadMore();
    await list.loadMore();
    expect(list.items.value.map((t) => t.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(list.hasNextPage.value).toBe(false);
    await list.loadMore(); // nothing left: no request, no change
    expect(list.items.value).toHaveLength(5);
  });

  it('keeps the rows and shows the error when a page fails', async () => {
    let fail = false;
    const list = useConnection((after) => (fail ? Promise.reject(new Error('boom')) : pages(after)));
    await list.reload();
    fail = true;
    await list.loadMore();
    expect((list.error.value as Error).message).toBe('boom');
    expect(list.items.value).toHaveLength(2);
    expect(list.loading.value).toBe(false);
  });

  it('ignores the answer to a request overtaken by a newer reload (fast filter typing)', async () => {
    const resolvers: ((c: Connection<{ id: string }>) => void)[] = [];
    const list = useConnection<{ id: string }>(() => new Promise((resolve) => resolvers.push(resolve)));
    const first = list.reload();
    const second = list.reload();
    const page = (id: string) => ({ edges: [{ node: { id } }], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 1 });
    resolvers[1](page('new'));
    resolvers[0](page('old'));
    await Promise.all([first, second]);
    expect(list.items.value).toEqual([{ id: 'new' }]);
  });

  it('updates a row in place and puts a created row first, counted once', async () => {
    const list = useConnection((after) => pages(after).then((c) => ({ ...c, edges: c.edges.map((e) => ({ node: { ...e.node, state: 'old' } })) })));
    await list.reload();
    list.update('t1', (t) => ({ ...t, state: 'new' }));
    expect(list.items.value).toEqual([{ id: 't0', state: 'old' }, { id: 't1', state: 'new' }]);
    list.prepend({ id: 'n', state: 'created' });
    list.prepend({ id: 'n', state: 'created again' });
    expect(list.items.value.map((t) => t.id)).toEqual(['n', 't0', 't1']);
    expect(list.items.value[0].state).toBe('created again');
    expect(list.totalCount.value).toBe(6);
  });
});
