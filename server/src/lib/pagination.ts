import { and, count, desc, lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';
import { ValidationError } from './errors.js';
import { unstorableDate } from './storable.js';

// Keyset pagination, newest first, on (created_at, id): stable under concurrent inserts and cheap
// on the `(tenant_id, created_at, id)` indexes, unlike OFFSET.
//
// A cursor carries exactly what the ORDER BY compares. Postgres keeps created_at to the
// microsecond and a JS Date to the millisecond, so the page query selects the exact time as
// microseconds since the epoch (computed in SQL, carried as a decimal string) and the next page
// compares against it in SQL; it never passes through a Date. A cursor cut to the millisecond
// skipped every row that shared the millisecond of a page's last row but sorted after it: rows
// stored by one statement share one timestamp, and a burst puts many in one millisecond (paging
// 3,000 messages 100 at a time returned 2,765).

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}

/** A row's place in (created_at desc, id desc) order: created_at in microseconds since the epoch. */
export interface CursorKey {
  micros: string;
  id: string;
}

// A cursor as cursors were before microseconds: [ISO time to the millisecond, id]. Integrators
// paging when the change is deployed hold such cursors; their row's exact time is looked up by id.
interface LegacyCursor {
  legacyIso: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Microseconds since 1970, no more than 16 digits: rows are stored after 1970, and below 2^53 µs
// (the year 2255) the bigint → interval arithmetic of afterCursor is exact.
const MICROS = /^\d{1,16}$/;

function invalidCursor(): ValidationError {
  return new ValidationError('after: not a cursor this API returned', 'after');
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.micros, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey | LegacyCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalidCursor();
  const [time, id] = parsed as unknown[];
  if (typeof time !== 'string' || typeof id !== 'string' || !UUID.test(id)) throw invalidCursor();
  if (MICROS.test(time)) return { micros: time, id };
  // A legacy time reaches Postgres as text when its row is gone: one it cannot read (year 0) is a forgery.
  if (/^\d{4}-\d\d-\d\dT/.test(time) && !unstorableDate(new Date(time))) return { legacyIso: time, id };
  throw invalidCursor();
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new ValidationError(`first: must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  return size;
}

interface KeyColumns {
  createdAt: PgColumn;
  id: PgColumn;
}

/** The cursor key of each row, selected beside it: created_at in microseconds, exact (numeric, not float). */
export function cursorKeyOf(columns: KeyColumns): SQL<string> {
  return sql<string>`(extract(epoch from ${columns.createdAt}) * 1000000)::bigint::text`;
}

/** The condition for rows after the cursor in (created_at desc, id desc) order. */
export function afterCursor(table: PgTable & KeyColumns, after: string | null | undefined): SQL | undefined {
  if (!after) return undefined;
  const cursor = decodeCursor(after);
  const time = 'micros' in cursor
    ? sql`'epoch'::timestamptz + ${cursor.micros}::bigint * interval '1 microsecond'`
    : sql`coalesce((select ${table.createdAt} from ${table} where ${table.id} = ${cursor.id}::uuid), ${cursor.legacyIso}::timestamptz)`;
  // A row comparison: the (tenant_id, created_at, id) indexes serve it as one range.
  return sql`(${table.createdAt}, ${table.id}) < (${time}, ${cursor.id}::uuid)`;
}

/**
 * The same condition for a connection ordered by another timestamp column (passed as
 * `createdAt`), e.g. conversations by the customer's last message. Such connections never
 * issued the old millisecond cursors, so those are refused.
 */
export function afterCursorOn(columns: KeyColumns, after: string | null | undefined): SQL | undefined {
  if (!after) return undefined;
  const cursor = decodeCursor(after);
  if (!('micros' in cursor)) throw invalidCursor();
  return sql`(${columns.createdAt}, ${columns.id}) < ('epoch'::timestamptz + ${cursor.micros}::bigint * interval '1 microsecond', ${cursor.id}::uuid)`;
}

export function newestFirst(columns: KeyColumns) {
  return [desc(columns.createdAt), desc(columns.id)];
}

/** Shapes a page from a query that fetched `size + 1` rows, each with its cursor key. */
export function toPage<T extends { id: string }>(rows: { node: T; micros: string }[], size: number, totalCount: number, after?: string | null): Page<T> {
  const kept = rows.slice(0, size);
  return {
    nodes: kept.map((r) => r.node),
    cursors: kept.map((r) => encodeCursor({ micros: r.micros, id: r.node.id })),
    hasNextPage: rows.length > size,
    hasPreviousPage: Boolean(after),
    totalCount,
  };
}

type PagedTable = PgTable & KeyColumns;

/** One page of `table` rows matching `where`, newest first, with the total count. `table.id` is a uuid. */
export async function paginate<TTable extends PagedTable>(
  db: Database,
  table: TTable,
  where: SQL | undefined,
  request: PageRequest,
): Promise<Page<TTable['$inferSelect'] & { id: string }>> {
  const size = pageSize(request.first);
  const condition = and(where, afterCursor(table, request.after));
  const [rows, [total]] = await Promise.all([
    db.select({ node: table as PagedTable, micros: cursorKeyOf(table) }).from(table as PagedTable).where(condition).orderBy(...newestFirst(table)).limit(size + 1),
    db.select({ n: count() }).from(table as PagedTable).where(where),
  ]);
  return toPage(rows as { node: TTable['$inferSelect'] & { id: string }; micros: string }[], size, total.n, request.after);
}

// Tables keyed by a sequence (webhook events): the id alone is the order and never ties.

export function encodeSequenceCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

export function decodeSequenceCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(id)) throw invalidCursor();
  return id;
}

/** One page of `table` rows matching `where`, highest `id` (newest) first, with the total count. */
export async function paginateBySequence<TTable extends PgTable & { id: PgColumn }>(
  db: Database,
  table: TTable,
  where: SQL | undefined,
  request: PageRequest,
): Promise<Page<TTable['$inferSelect'] & { id: number }>> {
  const size = pageSize(request.first);
  const after = request.after ? decodeSequenceCursor(request.after) : null;
  const [rows, [total]] = await Promise.all([
    db.select().from(table as PgTable & { id: PgColumn }).where(and(where, after === null ? undefined : lt(table.id, after))).orderBy(desc(table.id)).limit(size + 1),
    db.select({ n: count() }).from(table as PgTable & { id: PgColumn }).where(where),
  ]);
  const nodes = (rows as (TTable['$inferSelect'] & { id: number })[]).slice(0, size);
  return { nodes, cursors: nodes.map((r) => encodeSequenceCursor(r.id)), hasNextPage: rows.length > size, hasPreviousPage: Boolean(request.after), totalCount: total.n };
}
