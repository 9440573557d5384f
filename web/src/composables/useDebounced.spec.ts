import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick, ref } from 'vue';
import { useDebounced } from './useDebounced';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('useDebounced', () => {
  it('follows the source once it has been still for the delay', async () => {
    const source = ref('');
    const debounced = useDebounced(source, 250);
    source.value = 'p';
    await nextTick();
    vi.advanceTimersByTime(100);
    source.value = 'pa';
    await nextTick();
    vi.advanceTimersByTime(249);
    expect(debounced.value).toBe('');
    vi.advanceTimersByTime(1);
    expect(debounced.value).toBe('pa');
  });
});
