import { graphErrors } from './errors.js';

// Two Graph API conventions every node and edge shares: `fields=` chooses what a node answers, and
// edges answer pages of `data` with `paging.cursors`.

/**
 * The `fields` parameter as a list of field names, or null when absent. Field expansion
 * (`throughput{level}`) is accepted; the simulator answers the whole sub-object.
 */
export function requestedFields(query: Record<string, string>): string[] | null {
  const raw = query.fields;
  if (raw === undefined || raw.trim() === '') return null;
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of raw) {
    if (c === '{') depth += 1;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      names.push(current);
      current = '';
    } else if (depth === 0) current += c;
  }
  names.push(current);
  return [...new Set(names.map((n) => n.trim().replace(/\..*$/, '')).filter(Boolean))];
}

/**
 * The node as Meta answers it: with `fields`, exactly those (and `id`, which Meta always adds);
 * without, `defaults`. A field the node type does not have is Meta's (#100) "nonexisting field".
 */
export function pickFields(
  nodeType: string,
  fields: string[] | null,
  defaults: readonly string[],
  resolve: (field: string) => unknown,
  known: readonly string[],
): Record<string, unknown> {
  const wanted = fields ?? defaults;
  for (const f of wanted) if (!known.includes(f)) throw graphErrors.nonexistingField(f, nodeType);
  const out: Record<string, unknown> = {};
  for (const f of wanted) {
    const value = resolve(f);
    if (value !== undefined) out[f] = value;
  }
  if (!('id' in out)) out.id = resolve('id');
  return out;
}

export interface Page<T> {
  data: T[];
  paging?: { cursors: { before: string; after: string }; next?: string; previous?: string };
}

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;

const cursorOf = (index: number) => Buffer.from(`sim:${index}`).toString('base64url');

function indexOf(cursor: string, name: string, length: number): number {
  const match = /^sim:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const index = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(index) || index < 0 || index > length) throw graphErrors.invalidCursor(name);
  return index;
}

/**
 * One page of an edge, as Meta pages: `limit` (default 25), `after` / `before` cursors, and a `next`
 * (or `previous`) URL when there is more. Unlike Meta's, the URLs carry no access token.
 */
export function paged<T>(items: readonly T[], query: Record<string, string>, selfUrl: string): Page<T> {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1) throw graphErrors.invalidParameter('limit must be a positive integer');
  const size = Math.min(limit, MAX_LIMIT);
  let start = 0;
  let end = Math.min(items.length, size);
  if (query.after !== undefined) {
    start = indexOf(query.after, 'after', items.length) + 1;
    end = Math.min(items.length, start + size);
  } else if (query.before !== undefined) {
    end = indexOf(query.before, 'before', items.length);
    start = Math.max(0, end - size);
  }
  const data = items.slice(start, end);
  if (data.length === 0) return { data };
  const link = (cursor: 'after' | 'before', value: string) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (!['access_token', 'after', 'before'].includes(k)) params.set(k, v);
    params.set('limit', String(size));
    params.set(cursor, value);
    return `${selfUrl}?${params}`;
  };
  const cursors = { before: cursorOf(start), after: cursorOf(end - 1) };
  return {
    data,
    paging: {
      cursors,
      ...(end < items.length ? { next: link('after', cursors.after) } : {}),
      ...(start > 0 ? { previous: link('before', cursors.before) } : {}),
    },
  };
}
