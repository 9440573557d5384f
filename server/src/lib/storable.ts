// What Postgres can store, decided before it is asked: a value it refuses fails the statement with
// an error no caller can act on ("invalid byte sequence for encoding UTF8: 0x00", "unsupported
// Unicode escape sequence", "date/time field value out of range").
//
// Text: a UTF-8 database stores every Unicode scalar value except NUL (U+0000), in text and in
// jsonb alike. A JavaScript string can also hold lone surrogates (half of a UTF-16 pair), which are
// no character at all: UTF-8 cannot encode them, so text would silently get U+FFFD and jsonb
// refuses them. Those two are all; everything else (emoji, RTL, control characters) is storable.
//
// Dates: 1970-01-01 to 9999-12-31. Postgres's own range is wider (4713 BC to 294276 AD), but a
// JavaScript Date is written as an ISO string, which Postgres reads only for years 0001-9999, and
// nothing this API keeps predates the Unix epoch: an earlier or later date is a mistake.

export const EARLIEST_DATE = new Date('1970-01-01T00:00:00.000Z');
export const LATEST_DATE = new Date('9999-12-31T23:59:59.999Z');

// String.prototype.isWellFormed and toWellFormed (Node 20+) are newer than the ES2022 typings.
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres cannot store `text`, or null when it can. Names the first bad character and where it is. */
export function unstorableText(text: string): string | null {
  const nul = text.indexOf('\u0000');
  const lone = (text as unknown as WellFormed).isWellFormed() ? -1 : text.search(LONE_SURROGATE);
  if (nul === -1 && lone === -1) return null;
  if (lone === -1 || (nul !== -1 && nul < lone)) return `contains a NUL character (U+0000) at offset ${nul}, which cannot be stored`;
  const unit = text.charCodeAt(lone).toString(16).toUpperCase();
  return `contains an unpaired surrogate (U+${unit}) at offset ${lone}, which is not a Unicode character`;
}

/** `text` with every NUL and unpaired surrogate replaced by U+FFFD, the Unicode replacement character. */
export function storableText(text: string): string {
  const wellFormed = (text as unknown as WellFormed).toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed;
}

/** Why Postgres should not be given `date`, or null when it may. */
export function unstorableDate(date: Date): string | null {
  const time = date.getTime();
  if (Number.isNaN(time)) return 'is not a valid date';
  if (time < EARLIEST_DATE.getTime() || time > LATEST_DATE.getTime()) return `is outside ${EARLIEST_DATE.toISOString().slice(0, 10)} to ${LATEST_DATE.toISOString().slice(0, 10)}`;
  return null;
}
