import { describe, expect, it } from 'vitest';
import { visibleRange } from './useVirtualList';

describe('visibleRange', () => {
  it('renders only the rows in view plus overscan', () => {
    const r = visibleRange({ scrollTop: 0, viewportHeight: 320, rowHeight: 32, count: 10_000, overscan: 5 });
    expect(r).toEqual({ start: 0, end: 16, offset: 0, total: 320_000 });
  });

  it('follows the scroll position, keeping the offset on a row boundary', () => {
    const r = visibleRange({ scrollTop: 32 * 500 + 10, viewportHeight: 320, rowHeight: 32, count: 10_000, overscan: 5 });
    expect(r.start).toBe(495);
    expect(r.end).toBe(516); // 11 rows in view (500..510) and 5 below
    expect(r.offset).toBe(495 * 32);
  });

  it('clamps past the end (a list that shrank under the scroll position) and handles empty lists', () => {
    const r = visibleRange({ scrollTop: 1_000_000, viewportHeight: 320, rowHeight: 32, count: 20, overscan: 2 });
    expect(r.end).toBe(20);
    expect(r.start).toBeGreaterThanOrEqual(0);
    expect(visibleRange({ scrollTop: 0, viewportHeight: 320, rowHeight: 32, count: 0 })).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });

  it('never renders more than a screenful plus overscan, however long the list', () => {
    for (const top of [0, 12_345, 200_000, 319_680]) {
      const r = visibleRange({ scrollTop: top, viewportHeight: 600, rowHeight: 32, count: 10_000, overscan: 6 });
      expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(600 / 32) + 1 + 12);
    }
  });
});
