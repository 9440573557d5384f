import { describe, expect, it } from 'vitest';
import { GraphError } from './errors.js';
import { paged, pickFields, requestedFields } from './fields.js';

describe('requestedFields', () => {
  it('splits the fields parameter, ignoring field expansions and repeats', () => {
    expect(requestedFields({ fields: 'id, throughput{level},status,id,health_status' })).toEqual(['id', 'throughput', 'status', 'health_status']);
  });

  it('is null without a fields parameter', () => {
    expect(requestedFields({})).toBeNull();
    expect(requestedFields({ fields: ' ' })).toBeNull();
  });
});

describe('pickFields', () => {
  const node = { id: '1', name: 'Loja', secret: 'x' } as Record<string, unknown>;
  const resolve = (f: string) => node[f];

  it('answers the defaults without fields, exactly the fields asked otherwise, always with the id', () => {
    expect(pickFields('Thing', null, ['id', 'name'], resolve, ['id', 'name'])).toEqual({ id: '1', name: 'Loja' });
    expect(pickFields('Thing', ['name'], ['id'], resolve, ['id', 'name'])).toEqual({ name: 'Loja', id: '1' });
  });

  it('refuses a field the node type does not have with Meta’s (#100)', () => {
    try {
      pickFields('Thing', ['secret'], ['id'], resolve, ['id', 'name']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(GraphError);
      expect((error as GraphError).code).toBe(100);
      expect((error as GraphError).message).toBe('(#100) Tried accessing nonexisting field (secret) on node type (Thing)');
    }
  });
});

describe('paged', () => {
  const items = Array.from({ length: 5 }, (_, i) => i);
  const self = 'http://sim/v21.0/1/things';

  it('pages forward with after cursors and a next link until the end', () => {
    const first = paged(items, { limit: '2', access_token: 'secret' }, self);
    expect(first.data).toEqual([0, 1]);
    expect(first.paging?.next).toBeDefined();
    expect(first.paging?.next).not.toContain('secret');
    expect(first.paging?.previous).toBeUndefined();
    const second = paged(items, { limit: '2', after: first.paging!.cursors.after }, self);
    expect(second.data).toEqual([2, 3]);
    const third = paged(items, { limit: '2', after: second.paging!.cursors.after }, self);
    expect(third.data).toEqual([4]);
    expect(third.paging?.next).toBeUndefined();
    expect(third.paging?.previous).toBeDefined();
  });

  it('pages back with before cursors', () => {
    const page = paged(items, { limit: '2', after: paged(items, { limit: '3' }, self).paging!.cursors.after }, self);
    expect(page.data).toEqual([3, 4]);
    expect(paged(items, { limit: '2', before: page.paging!.cursors.before }, self).data).toEqual([1, 2]);
  });

  it('answers 25 by default, an empty page without paging, and refuses a cursor it did not hand out', () => {
    expect(paged(Array.from({ length: 30 }, (_, i) => i), {}, self).data).toHaveLength(25);
    expect(paged([], {}, self)).toEqual({ data: [] });
    expect(() => paged(items, { after: 'bm9wZQ' }, self)).toThrow(GraphError);
    expect(() => paged(items, { limit: '0' }, self)).toThrow(GraphError);
  });
});
