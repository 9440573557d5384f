import { describe, expect, it, vi } from 'vitest';
import { throttledLog } from './throttled-log.js';

describe(throttledLog.name, () => {
  it('writes the first failure at once, then one line per interval with the count held back', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const write = vi.fn();
      const log = throttledLog(5_000, write);
      log('down');
      log('down');
      vi.setSystemTime(4_999);
      log('down');
      vi.setSystemTime(5_000);
      log('still down');
      expect(write.mock.calls).toEqual([[1, 'down'], [3, 'still down']]);
    } finally {
      vi.useRealTimers();
    }
  });
});
