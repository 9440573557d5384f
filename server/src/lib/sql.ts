/** Escapes LIKE wildcards so a user's text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else cannot name a row, so callers treat it as not found. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * A Postgres array literal for ONE bound parameter (cast it in the query: `${pgArray(ids)}::uuid[]`):
 * one prepared statement whatever the number of values, and no per-value parameters to build.
 * Every element is quoted, so any text is safe (quotes and backslashes escaped).
 */
export function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}
