import { describe, expect, it } from 'vitest';
import { shapeMismatches } from './testing.js';

// The conformance tests trust this comparison; here it shows it does catch each kind of drift.
describe('shapeMismatches', () => {
  const fixture = { id: '102290129340398', changes: [{ field: 'messages', value: { id: 'wamid.X', timestamp: '1764040000', n: 1 } }] };

  it('accepts a body of the same shape with other values', () => {
    expect(shapeMismatches({ id: '1', changes: [{ field: 'x', value: { id: 'wamid.Y', timestamp: '1', n: 2 } }, { field: 'y', value: { id: 'wamid.Z', timestamp: '2', n: 3 } }] }, fixture)).toEqual([]);
  });

  it('reports a missing key, a wrong type, an extra key and an empty array', () => {
    expect(shapeMismatches({ id: '1', changes: [{ field: 'x', value: { id: 'wamid.Y', timestamp: '1', n: '2', extra: true } }] }, fixture)).toEqual([
      '$.changes[0].value.n: expected number, got string',
      '$.changes[0].value.extra: not in the fixture',
    ]);
    expect(shapeMismatches({ changes: [] }, fixture)).toEqual(['$.id: missing', '$.changes: expected a non-empty array']);
  });

  it('reports a digit string or wamid that lost its format, and allows named extras', () => {
    expect(shapeMismatches({ id: 'abc', changes: [{ field: 'x', value: { id: 'msg-1', timestamp: '1', n: 1, pricing: {} } }] }, fixture, { allowExtra: ['pricing'] })).toEqual([
      '$.id: expected a digit string, got "abc"',
      '$.changes[0].value.id: expected a wamid, got "msg-1"',
    ]);
  });
});
