import { ref, shallowRef } from 'vue';
import type { Connection } from '../api/types';

// One Relay connection on screen: the first page, "load more" with the end cursor, and the
// loading / error state the table shows. A reload (filter change) discards answers to older requests.
// What the page changes itself (a row it created or updated) goes in without a reload.

export type PageFetcher<T> = (after: string | null) => Promise<Connection<T>>;
export type ConnectionList<T extends { id: string }> = ReturnType<typeof useConnection<T>>;

export function useConnection<T extends { id: string }>(fetchPage: PageFetcher<T>) {
  const items = shallowRef<T[]>([]);
  const totalCount = ref(0);
  const hasNextPage = ref(false);
  const loading = ref(false);
  const loaded = ref(false);
  const error = shallowRef<unknown>(null);
  let endCursor: string | null = null;
  let generation = 0;

  async function run(after: string | null, append: boolean): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await fetchPage(after);
      if (mine !== generation) return;
      const nodes = page.edges.map((e) => e.node);
      items.value = append ? [...items.value, ...nodes] : nodes;
      totalCount.value = page.totalCount;
      hasNextPage.value = page.pageInfo.hasNextPage;
      endCursor = page.pageInfo.endCursor;
      loaded.value = true;
    } catch (e) {
      if (mine !== generation) return;
      error.value = e;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Replaces one row by what `change` makes of it (the answer to a mutation on that row). */
  function update(id: string, change: (item: T) => T): void {
    items.value = items.value.map((item) => (item.id === id ? change(item) : item));
  }

  /** Puts a row the page just created first, counting it once. */
  function prepend(item: T): void {
    const known = items.value.some((i) => i.id === item.id);
    items.value = [item, ...items.value.filter((i) => i.id !== item.id)];
    if (!known) totalCount.value++;
  }

  return {
    items, totalCount, hasNextPage, loading, loaded, error,
    reload: () => run(null, false),
    loadMore: () => (hasNextPage.value && !loading.value ? run(endCursor, true) : Promise.resolve()),
    update, prepend,
  };
}
