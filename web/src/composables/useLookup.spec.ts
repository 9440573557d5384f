import { describe, expect, it } from 'vitest';
import { createLookup } from './useLookup';

describe('createLookup', () => {
  it('loads once, shares a request in flight, and indexes by id', async () => {
    let calls = 0;
    const lookup = createLookup(async () => { calls++; return [{ id: 'a', name: 'A' }, { id: 'b', name: 'B' }]; });
    await Promise.all([lookup.load(), lookup.load()]);
    await lookup.load();
    expect(calls).toBe(1);
    expect(lookup.byId.value.get('b')?.name).toBe('B');
  });

  it('reloads when forced (after a create) and again after reset (sign-out)', async () => {
    let calls = 0;
    const lookup = createLookup(async () => [{ id: String(++calls) }]);
    await lookup.load();
    await lookup.load(true);
    expect(lookup.items.value).toEqual([{ id: '2' }]);
    lookup.reset();
    expect(lookup.items.value).toEqual([]);
    await lookup.load();
    expect(calls).toBe(3);
  });

  it('keeps the last list and reports the error when a load fails', async () => {
    let fail = false;
    const lookup = createLookup(async () => { if (fail) throw new Error('down'); return [{ id: 'a' }]; });
    await lookup.load();
    fail = true;
    await lookup.load(true);
    expect(lookup.items.value).toEqual([{ id: 'a' }]);
    expect((lookup.error.value as Error).message).toBe('down');
  });
});
