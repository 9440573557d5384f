import type { PreviewRuleTemplateQuery } from '../api/generated';
import { zonedTimeToUtc } from './ruleForm';
import { bubbleOf, skipReasonText, type Bubble } from './whatsappBubble';

// A configuration template's preview (previewRuleTemplate: its sample messages played through the
// real engine) as the lines of a WhatsApp conversation: the customer's messages on the left, the
// replies on the right with the rule that sent them, a handoff as a notice in the middle.

export type PreviewTurn = PreviewRuleTemplateQuery['previewRuleTemplate']['messages'][number];

/** One line of a phone screen (WaConversation): a bubble, or a notice in the middle. */
export interface PhoneLine {
  key: string;
  dir: 'in' | 'out' | 'system';
  bubble?: Bubble;
  time?: string | null;
  /** The rule that answered (out). */
  rule?: string | null;
  /** Why a reply would not go (out): the bubble is greyed. */
  skipped?: string | null;
  /** A short caption under the bubble: what the customer does ("taps Opening hours"), a notice's text. */
  note?: string | null;
  testid?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The reply buttons and list rows offered so far, by id: a tap shows the title the customer read. */
function offeredChoices(turns: PreviewTurn[]): Map<string, { title: string; description: string | null }> {
  const choices = new Map<string, { title: string; description: string | null }>();
  for (const t of turns) {
    const action = obj(obj(obj(t.payload)?.interactive)?.action);
    for (const b of arr(action?.buttons)) {
      const reply = obj(obj(b)?.reply);
      if (typeof reply?.id === 'string' && typeof reply.title === 'string') choices.set(reply.id, { title: reply.title, description: null });
    }
    for (const s of arr(action?.sections)) {
      for (const r of arr(obj(s)?.rows)) {
        const row = obj(r);
        if (typeof row?.id === 'string' && typeof row.title === 'string') choices.set(row.id, { title: row.title, description: typeof row.description === 'string' ? row.description : null });
      }
    }
  }
  return choices;
}

/**
 * The preview's turns as phone lines. `start` is when the conversation begins (each customer
 * message a minute after the last, as the engine played them).
 */
export function previewLines(turns: PreviewTurn[], start: Date = new Date()): PhoneLine[] {
  const choices = offeredChoices(turns);
  let minute = -1;
  return turns.map((t, i): PhoneLine => {
    if (t.from === 'customer') minute++;
    const time = new Date(start.getTime() + Math.max(minute, 0) * 60_000).toISOString();
    const key = `${i}`;
    if (t.from === 'customer') {
      if (t.type === 'interactive') {
        const choice = choices.get(t.text ?? '');
        return { key, dir: 'in', time, bubble: { kind: 'choice', text: choice?.title ?? t.text ?? '', description: choice?.description ?? null, from: isListRow(turns, t.text) ? 'list' : 'button' }, note: t.note, testid: 'preview-customer' };
      }
      const bubble: Bubble = t.type === 'text' ? { kind: 'text', text: t.text ?? '' } : { kind: 'other', label: t.type, text: null };
      return { key, dir: 'in', time, bubble, note: t.note, testid: 'preview-customer' };
    }
    if (t.type === 'handoff') return { key, dir: 'system', time, note: `Handed to a person${t.text ? `: ${t.text}` : ''} · rule «${t.ruleName ?? ''}»`, testid: 'preview-handoff' };
    const skipped = t.note && t.note !== 'handoff' ? skipReasonText(t.note) : null;
    return { key, dir: 'out', time, bubble: bubbleOf(t.payload, t.text, t.type), rule: t.ruleName, skipped, testid: 'preview-reply' };
  });
}

/** Whether an id was offered as a list row (a tap on it is a pick from the list). */
function isListRow(turns: PreviewTurn[], id: string | null): boolean {
  if (!id) return false;
  return turns.some((t) => arr(obj(obj(obj(t.payload)?.interactive)?.action)?.sections).some((s) => arr(obj(s)?.rows).some((r) => obj(r)?.id === id)));
}

/** When the preview's conversation happens: business-hours rules answer differently at night. */
export const PREVIEW_MOMENTS = [
  { value: 'now', label: 'now' },
  { value: 'weekday-noon', label: 'on a Wednesday at 12:00' },
  { value: 'weekday-night', label: 'on a Wednesday at 23:30' },
  { value: 'sunday-noon', label: 'on a Sunday at 12:00' },
] as const;
export type PreviewMoment = (typeof PREVIEW_MOMENTS)[number]['value'];

/**
 * The instant of a preview moment in the template's timezone (the next such day after `now`), as
 * previewRuleTemplate's `at`; null for now (the server's clock).
 */
export function previewAt(moment: PreviewMoment, timeZone: string, now: Date = new Date()): string | null {
  if (moment === 'now') return null;
  const weekday = moment === 'sunday-noon' ? 0 : 3;
  const time = moment === 'weekday-night' ? '23:30' : '12:00';
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() !== weekday);
  return zonedTimeToUtc(`${day.toISOString().slice(0, 10)}T${time}`, timeZone)?.toISOString() ?? null;
}

/** The timezone a template's preview runs in: its own, unless that is a field, else its language's usual one. */
export function previewTimezone(config: unknown, locale: string): string {
  const tz = typeof config === 'object' && config !== null ? (config as { timezone?: unknown }).timezone : undefined;
  if (typeof tz === 'string' && tz && !tz.includes('{{')) return tz;
  return locale === 'pt-BR' ? 'America/Sao_Paulo' : 'UTC';
}
