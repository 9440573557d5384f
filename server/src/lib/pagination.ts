import { and, count, desc, lt, or, eq, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../db/client.js';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { ValidationError } from './errors.js';

// Keyset pagination, newest first, on (created_at, id): stable under concurrent inserts and cheap
// on the `(tenant_id, created_at, id)` indexes, unlike OFFSET.

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

interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(iso);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error();
    return { createdAt, id };
  } catch {
    throw new ValidationError('after: not a cursor this API returned', 'after');
  }
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new ValidationError(`first: must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  return size;
}

/** The condition for rows after the cursor in (created_at desc, id desc) order. */
export function afterCursor(columns: { createdAt: PgColumn; id: PgColumn }, after: string | null | undefined): SQL | undefined {
  if (!after) return undefined;
  const c = decodeCursor(after);
  return or(lt(columns.createdAt, c.createdAt), and(eq(columns.createdAt, c.createdAt), lt(columns.id, c.id)));
}

export function newestFirst(columns: { createdAt: PgColumn; id: PgColumn }) {
  return [desc(columns.createdAt), desc(columns.id)];
}

/** Runs a page query that fetched `size + 1` rows and a count, and shapes the result. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], size: number, totalCount: number, after?: string | null): Page<T> {
  const nodes = rows.slice(0, size);
  return { nodes, cursors: nodes.map(encodeCursor), hasNextPage: rows.length > size, hasPreviousPage: Boolean(after), totalCount };
}

type PagedTable = PgTable & { createdAt: PgColumn; id: PgColumn };

/** One page of `table` rows matching `where`, newest first, with the total count. */
export async function paginate<TTable extends PagedTable>(
  db: Database,
  table: TTable,
  where: SQL | undefined,
  request: PageRequest,
): Promise<Page<TTable['$inferSelect'] & { createdAt: Date; id: string }>> {
  const size = pageSize(request.first);
  const [rows, [total]] = await Promise.all([
    db.select().from(table as PagedTable).where(and(where, afterCursor(table, request.after))).orderBy(...newestFirst(table)).limit(size + 1),
    db.select({ n: count() }).from(table as PagedTable).where(where),
  ]);
  return toPage(rows as (TTable['$inferSelect'] & { createdAt: Date; id: string })[], size, total.n, request.after);
}
