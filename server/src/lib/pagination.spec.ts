import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeSequenceCursor, encodeCursor, encodeSequenceCursor } from './pagination.js';
import { ValidationError } from './errors.js';

// The paging itself is tested against Postgres, for every connection of the schema
// (test/integration/paging.test.ts); this is the cursor text.
const id = '0b6f7c52-3f0e-4a43-9d2b-2c1f6c7a9e10';
const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('carry the microseconds and the id unchanged', () => {
    const key = { micros: '1765019812123457', id };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it('read a cursor of the earlier format (time to the millisecond) as such', () => {
    expect(decodeCursor(forged(['2026-12-06T10:00:00.123Z', id]))).toEqual({ legacyIso: '2026-12-06T10:00:00.123Z', id });
  });

  it.each([
    ['text that is not base64 JSON', 'not-a-cursor'],
    ['an id that is not a uuid', forged(['1765019812123457', 'x'])],
    ['a time that is neither', forged(['yesterday', id])],
    ['a negative time', forged(['-1', id])],
    ['more digits than a bigint interval keeps exact', forged(['12345678901234567', id])],
    ['numbers for strings', forged([1765019812123457, id])],
    ['a third element', forged(['1', id, 'x'])],
    ['an object', forged({ micros: '1', id })],
  ])('reject %s with a ValidationError on `after`', (_case, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
    expect(() => decodeCursor(cursor)).toThrow(/after: not a cursor this API returned/);
  });
});

describe('sequence cursors', () => {
  it('carry the id', () => {
    expect(decodeSequenceCursor(encodeSequenceCursor(9_007_199_254))).toBe(9_007_199_254);
  });

  it.each(['', 'not-a-cursor', Buffer.from('12.5').toString('base64url'), Buffer.from('-3').toString('base64url'), Buffer.from(' 7').toString('base64url')])('reject %j', (cursor) => {
    expect(() => decodeSequenceCursor(cursor)).toThrow(ValidationError);
  });
});
