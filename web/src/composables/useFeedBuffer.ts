import { readonly, ref, shallowRef } from 'vue';

// The live feed's memory: a ring of at most `cap` rows, newest first. Events arrive at hundreds per
// second, so pushes only queue; one flush per animation frame moves them into the ring and bumps
// `version` once, which is all the virtual list watches. Paused, the flush parks events in `pending`
// (counted, capped like the ring) and `resume()` moves them in at once.

export type Scheduler = (flush: () => void) => void;

export const FEED_CAP = 10_000;

const nextFrame: Scheduler = (flush) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => flush());
  else setTimeout(flush, 16);
};

export function useFeedBuffer<T>(options: { cap?: number; schedule?: Scheduler } = {}) {
  const cap = options.cap ?? FEED_CAP;
  const schedule = options.schedule ?? nextFrame;

  const ring: (T | undefined)[] = new Array(cap);
  let head = 0; // where the next row is written
  let incoming: T[] = [];
  /** Rows dropped from `incoming` before any flush (a hidden tab gets no animation frames). */
  let skipped = 0;
  let pending: T[] = [];
  let scheduled = false;

  /** Bumped once per flush that changed the visible rows. */
  const version = shallowRef(0);
  const size = ref(0);
  const paused = ref(false);
  /** Events received while paused (all of them, even past the cap: "N new"). */
  const pendingCount = ref(0);
  /** Rows dropped from the bottom because the ring was full. */
  const evicted = ref(0);
  /** Rows ever written to the ring: the list keeps its scroll anchor by the difference. */
  const written = ref(0);

  function write(rows: T[]): void {
    // Only the newest `cap` of a huge batch can survive; skip the rest without writing them.
    const start = Math.max(0, rows.length - cap);
    for (let i = start; i < rows.length; i++) {
      ring[head] = rows[i];
      head = (head + 1) % cap;
    }
    const added = rows.length - start;
    const overflow = Math.max(0, size.value + rows.length - cap);
    evicted.value += overflow;
    size.value = Math.min(cap, size.value + added);
    written.value += rows.length;
    version.value++;
  }

  function flush(): void {
    scheduled = false;
    if (incoming.length === 0) return;
    const batch = incoming;
    const dropped = skipped;
    incoming = [];
    skipped = 0;
    if (paused.value) {
      pending.push(...batch);
      if (pending.length > cap) pending = pending.slice(pending.length - cap);
      pendingCount.value += batch.length + dropped;
    } else {
      evicted.value += dropped;
      write(batch);
    }
  }

  /** Queues one row (oldest first if several arrive together); shown on the next frame. */
  function push(row: T): void {
    incoming.push(row);
    // Browsers give a hidden tab no animation frames: keep only what the ring could show anyway.
    if (incoming.length >= cap * 2) {
      const drop = incoming.length - cap;
      incoming = incoming.slice(drop);
      skipped += drop;
    }
    if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  }

  /** Row `index` counted from the newest (0). */
  function at(index: number): T | undefined {
    if (index < 0 || index >= size.value) return undefined;
    return ring[(head - 1 - index + cap * 2) % cap];
  }

  /** Rows [start, end) newest first: what the virtual list renders. */
  function slice(start: number, end: number): T[] {
    const rows: T[] = [];
    const last = Math.min(end, size.value);
    for (let i = Math.max(0, start); i < last; i++) rows.push(ring[(head - 1 - i + cap * 2) % cap] as T);
    return rows;
  }

  function pause(): void {
    paused.value = true;
  }

  function resume(): void {
    if (!paused.value) return;
    paused.value = false;
    // Anything still queued for the next frame arrived after the pending rows.
    const rows = pending.concat(incoming);
    evicted.value += skipped;
    pending = [];
    incoming = [];
    skipped = 0;
    pendingCount.value = 0;
    if (rows.length) write(rows);
  }

  function clear(): void {
    ring.fill(undefined);
    head = 0;
    incoming = [];
    pending = [];
    skipped = 0;
    size.value = 0;
    pendingCount.value = 0;
    evicted.value = 0;
    version.value++;
  }

  return {
    cap,
    version: readonly(version),
    size: readonly(size),
    paused: readonly(paused),
    pendingCount: readonly(pendingCount),
    evicted: readonly(evicted),
    written: readonly(written),
    push, at, slice, pause, resume, clear,
    /** Flushes now instead of on the next frame (tests, and before reading in a handler). */
    flush,
  };
}

export type FeedBuffer<T> = ReturnType<typeof useFeedBuffer<T>>;
