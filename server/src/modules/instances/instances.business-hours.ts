import { ValidationError } from '../../lib/errors.js';

// An instance's opening hours, read in its IANA timezone with Intl (the runtime's own tz database,
// so no library to keep up to date).
//
// Hours are wall-clock times, as posted on the shop's door: an instant is judged by the local date,
// weekday and time it shows in the timezone. What follows at the DST switches:
// - the missing hour (America/New_York, 2026-03-08, 02:00 → 03:00): an interval 01:00–03:00 is open
//   from 01:00 to the jump and closed from 03:00, one real hour; wall times inside the gap never occur;
// - the repeated hour (2026-11-01, 02:00 → 01:00): "01:30" happens twice and an interval 00:30–02:30
//   is open at both, three real hours. An interval ending inside the repeated hour (00:00–01:30) is
//   open again for the second 01:00–01:30, since the clock says so then too.

export interface BusinessHoursInterval {
  /** 0 = Sunday … 6 = Saturday, the day the interval opens. */
  day: number;
  /** "HH:MM", 00:00 to 23:59. */
  open: string;
  /** "HH:MM"; at or before `open`, the interval crosses midnight into the next day. */
  close: string;
}

export interface BusinessHours {
  /** A day may have several intervals; a day with none is closed. */
  days: BusinessHoursInterval[];
  /** "YYYY-MM-DD" local dates closed all day. */
  holidays?: string[];
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_INTERVALS = 70;
const MAX_HOLIDAYS = 400;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const crossesMidnight = (i: BusinessHoursInterval): boolean => minutesOf(i.close) <= minutesOf(i.open);

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}

function isRealDate(date: string): boolean {
  if (!DATE.test(date)) return false;
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** Validates hours written by a client; null (or undefined) means always open. */
export function parseBusinessHours(value: unknown, path: string): BusinessHours | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object { days, holidays? }');
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.days)) fail(`${path}.days`, 'must be an array');
  const dayList = v.days as unknown[];
  if (dayList.length > MAX_INTERVALS) fail(`${path}.days[${MAX_INTERVALS}]`, `at most ${MAX_INTERVALS} intervals`);
  const days = dayList.map((item, i): BusinessHoursInterval => {
    const p = `${path}.days[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) fail(p, 'must be an object { day, open, close }');
    const d = item as Record<string, unknown>;
    if (typeof d.day !== 'number' || !Number.isInteger(d.day) || d.day < 0 || d.day > 6) fail(`${p}.day`, 'must be 0 (Sunday) to 6 (Saturday)');
    if (typeof d.open !== 'string' || !HHMM.test(d.open)) fail(`${p}.open`, 'must be "HH:MM" (00:00 to 23:59)');
    if (typeof d.close !== 'string' || !HHMM.test(d.close)) fail(`${p}.close`, 'must be "HH:MM" (00:00 to 23:59); a close at or before open crosses midnight');
    return { day: d.day as number, open: d.open as string, close: d.close as string };
  });
  if (v.holidays === undefined || v.holidays === null) return { days };
  if (!Array.isArray(v.holidays)) fail(`${path}.holidays`, 'must be an array of "YYYY-MM-DD" dates');
  const holidayList = v.holidays as unknown[];
  if (holidayList.length > MAX_HOLIDAYS) fail(`${path}.holidays[${MAX_HOLIDAYS}]`, `at most ${MAX_HOLIDAYS} holidays`);
  const holidays = holidayList.map((h, i) => {
    if (typeof h !== 'string' || !isRealDate(h)) fail(`${path}.holidays[${i}]`, 'must be a date "YYYY-MM-DD"');
    return h as string;
  });
  return { days, holidays: [...new Set(holidays)].sort() };
}

// ---- the local clock ----------------------------------------------------------------------------

export interface LocalClock {
  /** "YYYY-MM-DD" in the timezone. */
  date: string;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes since local midnight, 0 to 1439. */
  minutes: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in an IANA timezone at an instant. An unknown timezone throws a RangeError. */
export function localClock(timezone: string, at: Date): LocalClock {
  let f = formatters.get(timezone);
  if (!f) {
    // h23, not hour12: false, which some ICU versions render as "24" at midnight.
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timezone, f);
  }
  const part: Record<string, string> = {};
  for (const p of f.formatToParts(at)) part[p.type] = p.value;
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    weekday: WEEKDAYS.indexOf(part.weekday),
    minutes: Number(part.hour) * 60 + Number(part.minute),
  };
}

/** "Sat 23:10", for reasons shown to people. */
export function describeClock(clock: LocalClock): string {
  const hh = String(Math.floor(clock.minutes / 60)).padStart(2, '0');
  const mm = String(clock.minutes % 60).padStart(2, '0');
  return `${WEEKDAYS[clock.weekday]} ${hh}:${mm}`;
}

function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Is the instance open at this instant? Null hours: always open. An instant is open when its local
 * date is not a holiday and it lies in an interval of its weekday, or in the after-midnight part of
 * an interval that opened the day before. A holiday closes its whole date, including the early hours
 * of an interval begun the evening before, and cancels its own evening's interval too: a shop closed
 * on the 24th does not open at 22:00 on the 24th.
 */
export function isOpen(hours: BusinessHours | null, timezone: string, at: Date): boolean {
  if (!hours) return true;
  const clock = localClock(timezone, at);
  const holidays = new Set(hours.holidays ?? []);
  if (holidays.has(clock.date)) return false;
  const yesterday = (clock.weekday + 6) % 7;
  const yesterdayOpen = !holidays.has(previousDate(clock.date));
  const m = clock.minutes;
  return hours.days.some((i) => {
    const open = minutesOf(i.open);
    const close = minutesOf(i.close);
    if (i.day === clock.weekday) return crossesMidnight(i) ? m >= open : m >= open && m < close;
    return i.day === yesterday && yesterdayOpen && crossesMidnight(i) && m < close;
  });
}

const PHRASES: Record<string, { closed: string; always: string }> = {
  en: { closed: 'closed today', always: 'open 24 hours' },
  pt: { closed: 'fechado hoje', always: 'aberto 24 horas' },
  es: { closed: 'cerrado hoy', always: 'abierto 24 horas' },
};

/**
 * Today's hours for people, for `{{business.hours_today}}`: "09:00–12:00, 14:00–18:00", "closed
 * today", or "open 24 hours" when the instance has no hours. Today is the local date of `at`, and
 * includes the after-midnight end of last night's interval ("00:00–02:00, 22:00–02:00") so the line
 * agrees with `isOpen` at 01:00. Times stay 24-hour "HH:MM"; `locale` ("en", "pt-BR", "es") picks
 * the words, English when unknown.
 */
export function hoursToday(hours: BusinessHours | null, timezone: string, at: Date, locale = 'en'): string {
  const phrases = PHRASES[locale.toLowerCase().split(/[-_]/)[0]] ?? PHRASES.en;
  if (!hours) return phrases.always;
  const clock = localClock(timezone, at);
  const holidays = new Set(hours.holidays ?? []);
  if (holidays.has(clock.date)) return phrases.closed;
  const yesterday = (clock.weekday + 6) % 7;
  const spans: { from: number; text: string }[] = [];
  if (!holidays.has(previousDate(clock.date))) {
    for (const i of hours.days) {
      if (i.day === yesterday && crossesMidnight(i) && minutesOf(i.close) > 0) spans.push({ from: -1, text: `00:00–${i.close}` });
    }
  }
  for (const i of hours.days) if (i.day === clock.weekday) spans.push({ from: minutesOf(i.open), text: `${i.open}–${i.close}` });
  const lines = [...new Set(spans.sort((a, b) => a.from - b.from).map((s) => s.text))];
  return lines.length === 0 ? phrases.closed : lines.join(', ');
}
