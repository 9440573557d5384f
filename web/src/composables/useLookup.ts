import { computed, shallowRef } from 'vue';

// Small reference lists the pages share (tenant names for the feed, numbers for selects): loaded
// once, reused by every page, reloaded after a create. Concurrent loads share one request.

export function createLookup<T extends { id: string }>(fetchAll: () => Promise<T[]>) {
  const items = shallowRef<T[]>([]);
  const error = shallowRef<unknown>(null);
  let inFlight: Promise<T[]> | null = null;
  let loaded = false;

  function load(force = false): Promise<T[]> {
    if (loaded && !force) return Promise.resolve(items.value);
    if (inFlight) return inFlight;
    inFlight = fetchAll().then(
      (rows) => {
        items.value = rows;
        error.value = null;
        loaded = true;
        return rows;
      },
      (e) => {
        error.value = e;
        return items.value;
      },
    ).finally(() => { inFlight = null; });
    return inFlight;
  }

  const byId = computed(() => new Map(items.value.map((item) => [item.id, item])));

  function reset(): void {
    items.value = [];
    loaded = false;
  }

  return { items, error, byId, load, reset };
}
