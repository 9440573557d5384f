import { getCurrentScope, computed, onScopeDispose, ref, type Ref } from 'vue';

// Fixed-height virtual scrolling: only the rows in view (plus a little overscan) exist in the DOM,
// so 10,000 rows cost the same to render as 30.

export interface VisibleRange { start: number; end: number; offset: number; total: number }

export function visibleRange(input: { scrollTop: number; viewportHeight: number; rowHeight: number; count: number; overscan?: number }): VisibleRange {
  const { rowHeight, count } = input;
  const overscan = input.overscan ?? 6;
  const total = count * rowHeight;
  const maxTop = Math.max(0, total - input.viewportHeight);
  const top = Math.min(Math.max(0, input.scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const start = Math.max(0, first - overscan);
  const visible = Math.ceil(input.viewportHeight / rowHeight) + 1;
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offset: start * rowHeight, total };
}

/** Tracks a scroll container's position and size; `range` follows `count`. */
export function useVirtualList(options: { container: Ref<HTMLElement | null>; rowHeight: number; count: Ref<number>; overscan?: number }) {
  const scrollTop = ref(0);
  const viewportHeight = ref(600);
  let observer: ResizeObserver | null = null;

  function onScroll(): void {
    const el = options.container.value;
    if (el) scrollTop.value = el.scrollTop;
  }

  function attach(el: HTMLElement): void {
    viewportHeight.value = el.clientHeight || viewportHeight.value;
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => { viewportHeight.value = el.clientHeight; });
      observer.observe(el);
    }
  }

  if (getCurrentScope()) onScopeDispose(() => observer?.disconnect());

  const range = computed(() => visibleRange({ scrollTop: scrollTop.value, viewportHeight: viewportHeight.value, rowHeight: options.rowHeight, count: options.count.value, overscan: options.overscan }));

  return { range, scrollTop, viewportHeight, onScroll, attach };
}
