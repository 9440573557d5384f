import type { InjectionKey, Ref } from 'vue';
import { GraphQLRequestError } from '../api/client';
import type { ActionType, AutomationRule, ConditionType, KeywordMatch, RuleAction, RuleCondition, RuleTrigger, TriggerType } from '../api/types';
import { buttonIds } from './campaignForm';
import type { FormErrors } from './fieldErrors';

// The rule editor's form: a rule as the API stores it (rules.schema.ts on the server) turned into a
// draft the inputs bind to, and back. A draft keeps every type's fields, so switching an action from
// text to buttons keeps what was typed. The API validates; this only shapes the JSON, and places its
// VALIDATION_FAILED path ("input.actions[0].buttons[3]") next to the input it names.

export const TRIGGERS: { type: TriggerType; label: string; hint: string }[] = [
  { type: 'keyword', label: 'Keyword', hint: 'The message has one of your words. Accents, case and punctuation are ignored: "cardapio" matches "Cardápio!".' },
  { type: 'first_message', label: 'First message', hint: "The customer's first message ever to this number." },
  { type: 'outside_business_hours', label: 'Outside business hours', hint: "Outside the instance's weekly hours or on a holiday, in its timezone." },
  { type: 'inside_business_hours', label: 'Inside business hours', hint: "Within the instance's weekly hours, in its timezone." },
  { type: 'button_reply', label: 'Button tapped', hint: 'The customer taps a reply button with this id (one another rule sent).' },
  { type: 'list_reply', label: 'List row chosen', hint: 'The customer picks a list row with this id (one another rule sent).' },
  { type: 'message_type', label: 'Message type', hint: 'The customer sends media, a location or contacts.' },
  { type: 'any_message', label: 'Any message', hint: 'Every message: keep it last, it answers whatever the rules above leave.' },
];
export const MATCHES: { value: KeywordMatch; label: string }[] = [
  { value: 'contains', label: 'contains' },
  { value: 'exact', label: 'is exactly' },
  { value: 'starts_with', label: 'starts with' },
  { value: 'regex', label: 'matches a pattern (RE2)' },
];
export const CONDITIONS: { type: ConditionType; label: string }[] = [
  { type: 'contact_has_tag', label: 'Contact has tag' },
  { type: 'contact_lacks_tag', label: 'Contact lacks tag' },
  { type: 'cooldown', label: 'At most once every N hours' },
  { type: 'not_in_handoff', label: 'Contact is not in handoff' },
];
export const ACTIONS: { type: ActionType; label: string; reply: boolean }[] = [
  { type: 'reply_text', label: 'Reply with text', reply: true },
  { type: 'reply_buttons', label: 'Reply with buttons', reply: true },
  { type: 'reply_list', label: 'Reply with a list', reply: true },
  { type: 'reply_template', label: 'Reply with a template', reply: true },
  { type: 'reply_media', label: 'Reply with image / document', reply: true },
  { type: 'mark_read', label: 'Mark as read', reply: false },
  { type: 'add_tag', label: 'Add a tag', reply: false },
  { type: 'remove_tag', label: 'Remove a tag', reply: false },
  { type: 'handoff', label: 'Hand off to a person', reply: false },
];
/** What the engine fills in a reply's texts when the rule fires (automation.render.ts). */
export const PLACEHOLDERS = [
  { token: '{{contact.name}}', label: 'name' },
  { token: '{{contact.first_name}}', label: 'first name' },
  { token: '{{instance.name}}', label: 'instance' },
  { token: '{{business.hours_today}}', label: "today's hours" },
] as const;
/**
 * More placeholders a page offers to the reply texts below it: the template editor offers the
 * template's own fields ({{business_name}}), which applying fills in.
 */
export const EXTRA_PLACEHOLDERS: InjectionKey<Ref<readonly { token: string; label: string }[]>> = Symbol('extra placeholders');
/** Meta's limits, for counters and for disabling "add" buttons; the API enforces them. */
export const LIMITS = { actions: 10, conditions: 10, buttons: 3, listRows: 10, listSections: 10, text: 4096, body: 1024, caption: 1024, buttonTitle: 20, listButton: 20, rowTitle: 24, rowDescription: 72, sectionTitle: 24 } as const;
export const MEDIA_TYPES = ['image', 'document'] as const;

export interface TriggerDraft { type: TriggerType; keywords: string[]; match: KeywordMatch; buttonId: string; rowId: string; messageTypes: string[] }
export interface ConditionDraft { key: number; type: ConditionType; tag: string; hours: number | '' }
export interface ButtonDraft { key: number; id: string; title: string }
export interface RowDraft { key: number; id: string; title: string; description: string }
export interface SectionDraft { key: number; title: string; rows: RowDraft[] }
export interface ActionDraft {
  key: number;
  type: ActionType;
  text: string;
  buttons: ButtonDraft[];
  listButton: string;
  sections: SectionDraft[];
  template: string;
  language: string;
  parameters: string[];
  mediaType: 'image' | 'document';
  link: string;
  caption: string;
  filename: string;
  tag: string;
  note: string;
}
export interface RuleDraft { id: string | null; name: string; enabled: boolean; stop: boolean; trigger: TriggerDraft; conditions: ConditionDraft[]; actions: ActionDraft[] }
export interface RuleInput { name: string; enabled: boolean; stop: boolean; trigger: RuleTrigger; conditions: RuleCondition[]; actions: RuleAction[] }

// v-for keys: drafts of list items are created here, never by index (removing one must not shift the others' inputs).
let lastKey = 0;
const nextKey = () => ++lastKey;

export const newButton = (title = '', id = ''): ButtonDraft => ({ key: nextKey(), id, title });
export const newRow = (title = '', id = '', description = ''): RowDraft => ({ key: nextKey(), id, title, description });
export const newSection = (title = ''): SectionDraft => ({ key: nextKey(), title, rows: [newRow()] });
export const newCondition = (type: ConditionType = 'contact_has_tag'): ConditionDraft => ({ key: nextKey(), type, tag: '', hours: type === 'cooldown' ? 24 : '' });
export function newAction(type: ActionType = 'reply_text'): ActionDraft {
  return {
    key: nextKey(), type, text: '', buttons: [newButton()], listButton: '', sections: [newSection()], template: '', language: '', parameters: [],
    mediaType: 'image', link: '', caption: '', filename: '', tag: '', note: '',
  };
}
export const newTrigger = (): TriggerDraft => ({ type: 'keyword', keywords: [], match: 'contains', buttonId: '', rowId: '', messageTypes: [] });
export const emptyRule = (): RuleDraft => ({ id: null, name: '', enabled: true, stop: true, trigger: newTrigger(), conditions: [], actions: [newAction()] });

/** A stored rule as the form edits it. */
export function draftOf(rule: AutomationRule): RuleDraft {
  const t = rule.trigger;
  const trigger: TriggerDraft = {
    ...newTrigger(),
    type: t.type,
    ...(t.type === 'keyword' ? { keywords: [...t.keywords], match: t.match } : {}),
    ...(t.type === 'button_reply' ? { buttonId: t.buttonId } : {}),
    ...(t.type === 'list_reply' ? { rowId: t.rowId } : {}),
    ...(t.type === 'message_type' ? { messageTypes: [...t.messageTypes] } : {}),
  };
  const conditions = rule.conditions.map((c): ConditionDraft => ({
    ...newCondition(c.type), ...('tag' in c ? { tag: c.tag } : {}), ...(c.type === 'cooldown' ? { hours: c.hours } : {}),
  }));
  const actions = rule.actions.map((a): ActionDraft => {
    const d = newAction(a.type);
    switch (a.type) {
      case 'reply_text': return { ...d, text: a.text };
      case 'reply_buttons': return { ...d, text: a.text, buttons: a.buttons.map((b) => newButton(b.title, b.id)) };
      case 'reply_list': return { ...d, text: a.text, listButton: a.button, sections: a.sections.map((s) => ({ key: nextKey(), title: s.title ?? '', rows: s.rows.map((r) => newRow(r.title, r.id, r.description ?? '')) })) };
      case 'reply_template': return { ...d, template: a.template, language: a.language, parameters: [...a.parameters] };
      case 'reply_media': return { ...d, mediaType: a.mediaType, link: a.link, caption: a.caption ?? '', filename: a.filename ?? '' };
      case 'add_tag':
      case 'remove_tag': return { ...d, tag: a.tag };
      case 'handoff': return { ...d, note: a.note ?? '' };
      default: return d;
    }
  });
  return { id: rule.id, name: rule.name, enabled: rule.enabled, stop: rule.stop, trigger, conditions, actions };
}

/** Ids a customer's tap echoes back, from the titles where none was typed (unique within the message). */
function withIds<T extends { id: string; title: string }>(items: T[]): string[] {
  const generated = buttonIds(items.map((i) => i.title.trim()));
  return items.map((item, i) => item.id.trim() || generated[i]);
}

export function triggerOf(t: TriggerDraft): RuleTrigger {
  switch (t.type) {
    case 'keyword': return { type: 'keyword', keywords: t.keywords, match: t.match };
    case 'button_reply': return { type: 'button_reply', buttonId: t.buttonId.trim() };
    case 'list_reply': return { type: 'list_reply', rowId: t.rowId.trim() };
    case 'message_type': return { type: 'message_type', messageTypes: t.messageTypes };
    default: return { type: t.type };
  }
}

export function conditionOf(c: ConditionDraft): RuleCondition {
  switch (c.type) {
    case 'contact_has_tag':
    case 'contact_lacks_tag': return { type: c.type, tag: c.tag };
    // A blank number goes as null: the API names the field ("must be a number of hours").
    case 'cooldown': return { type: 'cooldown', hours: c.hours === '' ? (null as unknown as number) : Number(c.hours) };
    case 'not_in_handoff': return { type: 'not_in_handoff' };
  }
}

export function actionOf(a: ActionDraft): RuleAction {
  const optional = (key: string, value: string) => (value.trim() ? { [key]: value } : {});
  switch (a.type) {
    case 'reply_text': return { type: 'reply_text', text: a.text };
    case 'reply_buttons': {
      const ids = withIds(a.buttons);
      return { type: 'reply_buttons', text: a.text, buttons: a.buttons.map((b, i) => ({ id: ids[i], title: b.title })) };
    }
    case 'reply_list': {
      // Row ids are unique across all sections of the list.
      const ids = withIds(a.sections.flatMap((s) => s.rows));
      let n = 0;
      return {
        type: 'reply_list', text: a.text, button: a.listButton,
        sections: a.sections.map((s) => ({ ...optional('title', s.title), rows: s.rows.map((r) => ({ id: ids[n++], title: r.title, ...optional('description', r.description) })) })),
      };
    }
    case 'reply_template': return { type: 'reply_template', template: a.template, language: a.language, parameters: a.parameters };
    case 'reply_media': return { type: 'reply_media', mediaType: a.mediaType, link: a.link, ...optional('caption', a.caption), ...(a.mediaType === 'document' ? optional('filename', a.filename) : {}) } as RuleAction;
    case 'mark_read': return { type: 'mark_read' };
    case 'add_tag':
    case 'remove_tag': return { type: a.type, tag: a.tag };
    case 'handoff': return { type: 'handoff', ...optional('note', a.note) };
  }
}

/** What createAutomationRule / updateAutomationRule take, besides the instance or rule id. */
export function ruleInputOf(d: RuleDraft): RuleInput {
  return { name: d.name, enabled: d.enabled, stop: d.stop, trigger: triggerOf(d.trigger), conditions: d.conditions.map(conditionOf), actions: d.actions.map(actionOf) };
}

export const rowCount = (a: ActionDraft): number => a.sections.reduce((n, s) => n + s.rows.length, 0);

// ---- errors next to their field -------------------------------------------------------------------

/** Every path the form shows an error under, as the API names them (without "input."). */
export function errorSlots(d: RuleDraft): string[] {
  const slots = ['name', 'stop', 'trigger.type', 'conditions', 'actions'];
  const t = d.trigger.type;
  if (t === 'keyword') slots.push('trigger.keywords', 'trigger.match');
  if (t === 'button_reply') slots.push('trigger.buttonId');
  if (t === 'list_reply') slots.push('trigger.rowId');
  if (t === 'message_type') slots.push('trigger.messageTypes');
  d.conditions.forEach((c, i) => {
    slots.push(`conditions[${i}]`, `conditions[${i}].type`);
    if (c.type === 'contact_has_tag' || c.type === 'contact_lacks_tag') slots.push(`conditions[${i}].tag`);
    if (c.type === 'cooldown') slots.push(`conditions[${i}].hours`);
  });
  d.actions.forEach((a, i) => {
    const p = `actions[${i}]`;
    slots.push(p, `${p}.type`);
    switch (a.type) {
      case 'reply_text': slots.push(`${p}.text`); break;
      case 'reply_buttons':
        slots.push(`${p}.text`, `${p}.buttons`);
        a.buttons.forEach((_, j) => slots.push(`${p}.buttons[${j}].id`, `${p}.buttons[${j}].title`));
        break;
      case 'reply_list':
        slots.push(`${p}.text`, `${p}.button`, `${p}.sections`);
        a.sections.forEach((s, j) => {
          const sp = `${p}.sections[${j}]`;
          slots.push(`${sp}.title`, `${sp}.rows`);
          s.rows.forEach((_, k) => slots.push(`${sp}.rows[${k}].id`, `${sp}.rows[${k}].title`, `${sp}.rows[${k}].description`));
        });
        break;
      case 'reply_template':
        slots.push(`${p}.template`, `${p}.language`, `${p}.parameters`);
        a.parameters.forEach((_, j) => slots.push(`${p}.parameters[${j}]`));
        break;
      case 'reply_media': slots.push(`${p}.mediaType`, `${p}.link`, `${p}.caption`, `${p}.filename`); break;
      case 'add_tag':
      case 'remove_tag': slots.push(`${p}.tag`); break;
      case 'handoff': slots.push(`${p}.note`); break;
    }
  });
  return slots;
}

/**
 * The slot an API path belongs to: itself when the form shows it, else the deepest slot it is inside
 * ("actions[0].buttons[3]", one past the limit, belongs to "actions[0].buttons"), with what is left
 * of the path ("[3]"). Null when the form shows nothing of it.
 */
export function placeError(path: string, slots: readonly string[]): { slot: string; rest: string } | null {
  const p = path.replace(/^input\./, '').replace(/^rules\[\d+\]\./, '');
  let best: string | null = null;
  for (const s of slots) {
    if (p === s) return { slot: s, rest: '' };
    if ((p.startsWith(`${s}.`) || p.startsWith(`${s}[`)) && (!best || s.length > best.length)) best = s;
  }
  return best ? { slot: best, rest: p.slice(best.length) } : null;
}

/** The API's errors for the form: each under the field its path names, the rest as the form's notice. */
export function ruleErrorsOf(error: unknown, draft: RuleDraft): FormErrors {
  if (!(error instanceof GraphQLRequestError)) return { fields: {}, form: { code: 'ERROR', message: error instanceof Error ? error.message : String(error) } };
  if (error.code !== 'VALIDATION_FAILED') return { fields: {}, form: { code: error.code, message: error.message } };
  const slots = errorSlots(draft);
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const e of error.errors) {
    const field = e.extensions?.field;
    const place = field ? placeError(field, slots) : null;
    if (!place) {
      unplaced.push(e.message);
      continue;
    }
    const message = e.message.replace(/^[\w.[\]]+:\s*/, '');
    fields[place.slot] = `${itemLabel(place, draft)}${message}`;
  }
  return { fields, form: unplaced.length ? { code: error.code, message: unplaced.join('; ') } : null };
}

/** Which item a list-level error is about: the keyword as typed, else its position ("#2: "). */
function itemLabel(place: { slot: string; rest: string }, draft: RuleDraft): string {
  const index = /^\[(\d+)\]/.exec(place.rest);
  if (!index) return '';
  const i = Number(index[1]);
  if (place.slot === 'trigger.keywords' && draft.trigger.keywords[i] !== undefined) return `"${draft.trigger.keywords[i]}": `;
  return `#${i + 1}: `;
}

// ---- one line per rule for the list ---------------------------------------------------------------

export function describeTrigger(t: RuleTrigger): string {
  switch (t.type) {
    case 'keyword': return `Message ${MATCHES.find((m) => m.value === t.match)?.label ?? t.match} ${t.keywords.map((k) => `“${k}”`).join(', ')}`;
    case 'button_reply': return `Button “${t.buttonId}” tapped`;
    case 'list_reply': return `List row “${t.rowId}” chosen`;
    case 'message_type': return `Customer sends ${t.messageTypes.join(' or ')}`;
    default: return TRIGGERS.find((x) => x.type === t.type)?.label ?? t.type;
  }
}

export function describeCondition(c: RuleCondition): string {
  switch (c.type) {
    case 'contact_has_tag': return `has tag “${c.tag}”`;
    case 'contact_lacks_tag': return `lacks tag “${c.tag}”`;
    case 'cooldown': return `once every ${c.hours} h`;
    case 'not_in_handoff': return 'not in handoff';
  }
}

const ACTION_SHORT: Record<ActionType, string> = {
  reply_text: 'Text', reply_buttons: 'Buttons', reply_list: 'List', reply_template: 'Template', reply_media: 'Media',
  mark_read: 'Mark read', add_tag: 'Add tag', remove_tag: 'Remove tag', handoff: 'Handoff',
};
export function describeAction(a: RuleAction): string {
  if (a.type === 'add_tag' || a.type === 'remove_tag') return `${ACTION_SHORT[a.type]} “${a.tag}”`;
  if (a.type === 'reply_template') return `Template ${a.template}`;
  if (a.type === 'reply_media') return a.mediaType === 'image' ? 'Image' : 'Document';
  return ACTION_SHORT[a.type] ?? a.type;
}

/** Every reply button and list row id the rules send, for the button_reply and list_reply triggers' suggestions. */
export function replyIdsOf(rules: Pick<AutomationRule, 'actions'>[]): { buttons: string[]; rows: string[] } {
  const buttons = new Set<string>();
  const rows = new Set<string>();
  for (const rule of rules) {
    for (const a of rule.actions) {
      if (a.type === 'reply_buttons') a.buttons.forEach((b) => buttons.add(b.id));
      if (a.type === 'reply_list') a.sections.forEach((s) => s.rows.forEach((r) => rows.add(r.id)));
    }
  }
  return { buttons: [...buttons], rows: [...rows] };
}

/** The rules in a new order after moving one from `from` to `to` (drag and drop, up and down). */
export function moved<T>(items: readonly T[], from: number, to: number): T[] {
  const next = [...items];
  if (from < 0 || from >= next.length || to < 0 || to >= next.length || from === to) return next;
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

/**
 * A wall-clock time typed for the instance ("2026-03-08T02:30" in America/New_York) as the instant
 * it names: the dry run asks about business hours in the instance's timezone, not the browser's.
 * Two passes so a time near a DST change lands on the offset in force at that time.
 */
export function zonedTimeToUtc(local: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  let utc = wall - offsetOf(wall, timeZone);
  utc = wall - offsetOf(utc, timeZone);
  return new Date(utc);
}

/** How far `timeZone`'s clock is ahead of UTC at `instant`, in ms. */
function offsetOf(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}
