import type { Contact, RuleRunSummary, ThreadMessage } from '../api/types';
import { skipReasonText } from './whatsappBubble';

// Pure helpers behind the conversations page: who a customer is in one line, whether we may still
// write to them freely, which rule sent which of our messages, and the thread split into days.

/** The name the customer set, else their number. */
export const contactLabel = (c: Pick<Contact, 'name' | 'waId'>): string => c.name?.trim() || `+${c.waId}`;

/** Two letters for the avatar: the name's first and last words, else the number's last two digits. */
export function initialsOf(c: Pick<Contact, 'name' | 'waId'>): string {
  const words = (c.name ?? '').split(/\s+/).filter((w) => /\p{L}/u.test(w));
  if (words.length === 0) return c.waId.slice(-2);
  const first = Array.from(words[0])[0] ?? '';
  const last = words.length > 1 ? Array.from(words[words.length - 1])[0] ?? '' : '';
  return (first + last).toUpperCase();
}

/**
 * The 24-hour customer-service window: while it is open any message may go; once it closes only an
 * approved template may (Contact.windowClosesAt, null when closed).
 */
export function windowOf(contact: Pick<Contact, 'windowClosesAt'>, now = Date.now()): { open: boolean; closesAt: string | null; left: string } {
  const closes = contact.windowClosesAt ? Date.parse(contact.windowClosesAt) : NaN;
  if (!Number.isFinite(closes) || closes <= now) return { open: false, closesAt: null, left: '' };
  const minutes = Math.floor((closes - now) / 60_000);
  const left = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60 ? `${minutes % 60} min` : ''}`.trim() : `${Math.max(minutes, 1)} min`;
  return { open: true, closesAt: contact.windowClosesAt, left };
}

/** Which rule sent each of our automated messages, from the runs of the customer's messages. */
export function ruleNamesByMessage(messages: Pick<ThreadMessage, 'answeredBy'>[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of messages) for (const run of m.answeredBy) for (const id of run.outboundMessageIds) names.set(id, run.ruleName);
  return names;
}

/** What a run did not do, in words: "reply skipped: outside the customer's 24-hour window: only templates go". */
export function skippedOf(run: Pick<RuleRunSummary, 'actions'>): string[] {
  if (!Array.isArray(run.actions)) return [];
  return (run.actions as { type?: string; outcome?: string; reason?: string }[])
    .filter((a) => a.outcome === 'skipped' || a.outcome === 'failed')
    .map((a) => `${(a.type ?? 'action').replace(/_/g, ' ')} ${a.outcome}${a.reason ? `: ${skipReasonText(a.reason)}` : ''}`);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

/** "Today", "Yesterday", else the date: the separators between a thread's days (local time). */
export function dayLabel(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (dayKey(d) === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday';
  return dayFormat.format(d);
}

/** The thread's messages in days, oldest first, as they come from the API. */
export function byDay<T extends { createdAt: string }>(messages: T[], now = new Date()): { label: string; messages: T[] }[] {
  const days: { key: string; label: string; messages: T[] }[] = [];
  for (const m of messages) {
    const key = dayKey(new Date(m.createdAt));
    const last = days[days.length - 1];
    if (last?.key === key) last.messages.push(m);
    else days.push({ key, label: dayLabel(m.createdAt, now), messages: [m] });
  }
  return days.map(({ label, messages: list }) => ({ label, messages: list }));
}

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: '2-digit', month: '2-digit' });

/** When the last message was, as an inbox says it: the time today, "Yesterday", else the date. */
export function listTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '';
  const label = dayLabel(iso, now);
  if (label === 'Today') return hourMinute.format(new Date(iso));
  return label === 'Yesterday' ? label : shortDate.format(new Date(iso));
}
