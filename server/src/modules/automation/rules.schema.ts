import { ValidationError } from '../../lib/errors.js';
import {
  BUTTON_ID_MAX, BUTTON_TITLE_MAX, INTERACTIVE_BODY_MAX, LIST_BUTTON_MAX, LIST_MAX_ROWS, LIST_MAX_SECTIONS, LIST_ROW_DESCRIPTION_MAX,
  LIST_ROW_ID_MAX, LIST_ROW_TITLE_MAX, LIST_SECTION_TITLE_MAX, MAX_REPLY_BUTTONS, MEDIA_CAPTION_MAX, MEDIA_FILENAME_MAX, TEMPLATE_VARIABLE_MAX,
  TEXT_MAX, mediaLinkProblem,
} from '../outbound/outbound.content.js';
import { REGEX_MAX_LENGTH, normalizeText, regexProblem } from './automation.keywords.js';
import { unknownPlaceholders } from './automation.render.js';

// The rule language shared by rule templates and an instance's automation rules. Rules are JSON in
// the database, so every write goes through `parseRule` / `parseRules`, which name the first bad path
// (`rules[2].actions[0].buttons[3]: at most 3 buttons`) and return the rule in its stored form.
// Meta's limits come from outbound.content.ts, the one place a send is checked, so a rule that
// validates here builds a message Meta accepts.


export const KEYWORD_MATCHES = ['exact', 'contains', 'starts_with', 'regex'] as const;
export type KeywordMatchMode = (typeof KEYWORD_MATCHES)[number];
/** Message types a `message_type` trigger can name: the media and shared things a customer sends. */
export const TRIGGER_MESSAGE_TYPES = ['image', 'audio', 'video', 'document', 'location', 'contacts', 'sticker'] as const;
export type TriggerMessageType = (typeof TRIGGER_MESSAGE_TYPES)[number];

export type RuleTrigger =
  | { type: 'keyword'; keywords: string[]; match: KeywordMatchMode }
  | { type: 'first_message' }
  | { type: 'outside_business_hours' }
  | { type: 'inside_business_hours' }
  | { type: 'button_reply'; buttonId: string }
  | { type: 'list_reply'; rowId: string }
  | { type: 'message_type'; messageTypes: TriggerMessageType[] }
  | { type: 'any_message' };

export type RuleCondition =
  | { type: 'contact_has_tag'; tag: string }
  | { type: 'contact_lacks_tag'; tag: string }
  /** At most once per contact per rule every `hours` hours. */
  | { type: 'cooldown'; hours: number }
  | { type: 'not_in_handoff' };

export interface ListSection {
  /** Required when the list has more than one section (Meta's rule). */
  title?: string;
  rows: { id: string; title: string; description?: string }[];
}

export type RuleAction =
  | { type: 'reply_text'; text: string }
  | { type: 'reply_buttons'; text: string; buttons: { id: string; title: string }[] }
  | { type: 'reply_list'; text: string; button: string; sections: ListSection[] }
  | { type: 'reply_template'; template: string; language: string; parameters: string[] }
  | { type: 'reply_media'; mediaType: 'image' | 'document'; link: string; caption?: string; filename?: string }
  | { type: 'mark_read' }
  | { type: 'add_tag'; tag: string }
  | { type: 'remove_tag'; tag: string }
  | { type: 'handoff'; note?: string };

/** Actions that send the customer a message: the 24-hour window and the hourly reply limit apply to them. */
export const REPLY_ACTION_TYPES = ['reply_text', 'reply_buttons', 'reply_list', 'reply_template', 'reply_media'] as const;
export type ReplyAction = Extract<RuleAction, { type: (typeof REPLY_ACTION_TYPES)[number] }>;
export const isReplyAction = (action: RuleAction): action is ReplyAction => (REPLY_ACTION_TYPES as readonly string[]).includes(action.type);

export interface RuleSpec {
  name: string;
  trigger: RuleTrigger;
  /** All must hold; empty means none. */
  conditions: RuleCondition[];
  /** Run in order; 1 to 10. */
  actions: RuleAction[];
  /** When the rule fires, later rules are not evaluated (default true). */
  stop: boolean;
}

export const RULE_NAME_MAX = 200;
export const MAX_RULES = 100;
export const MAX_ACTIONS = 10;
export const MAX_CONDITIONS = 10;
export const MAX_KEYWORDS = 50;
/** Each regex costs a pass over the message; plain keywords cost next to nothing. */
export const MAX_REGEX_KEYWORDS = 10;
export const KEYWORD_MAX = 100;
export const TAG_MAX = 50;
export const COOLDOWN_MAX_HOURS = 24 * 365;
export const HANDOFF_NOTE_MAX = 500;
export const TEMPLATE_NAME_MAX = 512;
export const MAX_TEMPLATE_PARAMETERS = 20;

// Template variables are `{{name}}`; runtime placeholders are dotted (`{{contact.name}}`) and are not
// matched here, so a template's placeholders and the engine's never mix.
const DOTTED_PLACEHOLDER = /\{\{\s*[a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)+\s*\}\}/;
// Meta's template names: lower-case letters, digits and underscores.
const TEMPLATE_NAME = /^[a-z0-9_]+$/;
// Meta's language codes: "en", "pt_BR", "zh_HK", "fil".
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;

type Json = unknown;

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}
function object(value: Json, path: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  return value as Record<string, Json>;
}
/** A non-empty string of at most `max` characters, kept as written. */
function string(value: Json, path: string, max = 4096): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  if ((value as string).length > max) fail(path, `must be at most ${max} characters`);
  return value as string;
}
/** A short label or id: trimmed, and never a runtime placeholder (only texts are rendered). */
function label(value: Json, path: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  const text = (value as string).trim();
  if (text.length > max) fail(path, `must be at most ${max} characters`);
  if (DOTTED_PLACEHOLDER.test(text)) fail(path, 'placeholders such as {{contact.name}} are only filled in texts, captions and template parameters');
  return text;
}
/** A text sent to the customer: its runtime placeholders must be ones the engine fills. */
function renderedText(value: Json, path: string, max: number): string {
  const text = string(value, path, max);
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) fail(path, `unknown placeholder {{${unknown[0]}}}; known: {{contact.name}}, {{contact.first_name}}, {{instance.name}}, {{business.hours_today}}`);
  return text;
}
function optional<T>(value: Json, parse: (value: Json) => T): T | undefined {
  return value === undefined || value === null || value === '' ? undefined : parse(value);
}
/** A list; too many items names the first one over the limit (`buttons[3]: at most 3 buttons`). */
function array(value: Json, path: string, min: number, max: number, noun = 'items'): Json[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  const list = value as Json[];
  if (list.length < min) fail(path, `at least ${min} ${min === 1 ? noun.replace(/s$/, '') : noun}`);
  if (list.length > max) fail(`${path}[${max}]`, `at most ${max} ${noun}`);
  return list;
}
function oneOf<T extends string>(value: Json, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(path, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Tags: trimmed, 1 to 50 characters, compared case-insensitively, so stored lower-case. */
export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase();
}
export function parseTag(value: Json, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  const tag = normalizeTag(value as string);
  if (tag.length > TAG_MAX) fail(path, `must be at most ${TAG_MAX} characters`);
  return tag;
}

export function parseTrigger(value: Json, path: string): RuleTrigger {
  const t = object(value, path);
  switch (t.type) {
    case 'keyword': {
      // Legacy rules and templates omit `match`; they were written for "contains".
      const match = t.match === undefined ? 'contains' : oneOf(t.match, `${path}.match`, KEYWORD_MATCHES);
      const keywords = array(t.keywords, `${path}.keywords`, 1, match === 'regex' ? MAX_REGEX_KEYWORDS : MAX_KEYWORDS, 'keywords').map((k, i) => {
        const keywordPath = `${path}.keywords[${i}]`;
        const keyword = string(k, keywordPath, match === 'regex' ? REGEX_MAX_LENGTH : KEYWORD_MAX);
        if (match === 'regex') {
          const problem = regexProblem(keyword);
          if (problem) fail(keywordPath, problem);
        } else if (normalizeText(keyword) === '') {
          fail(keywordPath, 'has no letters or digits once punctuation is ignored, so it would never match');
        }
        return keyword;
      });
      return { type: 'keyword', keywords, match };
    }
    case 'first_message':
    case 'outside_business_hours':
    case 'inside_business_hours':
    case 'any_message':
      return { type: t.type };
    case 'button_reply':
      return { type: 'button_reply', buttonId: label(t.buttonId, `${path}.buttonId`, BUTTON_ID_MAX) };
    case 'list_reply':
      return { type: 'list_reply', rowId: label(t.rowId, `${path}.rowId`, LIST_ROW_ID_MAX) };
    case 'message_type': {
      const types = array(t.messageTypes, `${path}.messageTypes`, 1, TRIGGER_MESSAGE_TYPES.length, 'message types')
        .map((m, i) => oneOf(m, `${path}.messageTypes[${i}]`, TRIGGER_MESSAGE_TYPES));
      return { type: 'message_type', messageTypes: [...new Set(types)] };
    }
    default:
      return fail(`${path}.type`, 'must be one of keyword, first_message, outside_business_hours, inside_business_hours, button_reply, list_reply, message_type, any_message');
  }
}

// ---- conditions ---------------------------------------------------------------------------------

export function parseCondition(value: Json, path: string): RuleCondition {
  const c = object(value, path);
  switch (c.type) {
    case 'contact_has_tag':
    case 'contact_lacks_tag':
      return { type: c.type, tag: parseTag(c.tag, `${path}.tag`) };
    case 'cooldown': {
      const hours = c.hours;
      if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0 || hours > COOLDOWN_MAX_HOURS) {
        fail(`${path}.hours`, `must be a number of hours above 0 and at most ${COOLDOWN_MAX_HOURS}`);
      }
      return { type: 'cooldown', hours: hours as number };
    }
    case 'not_in_handoff':
      return { type: 'not_in_handoff' };
    default:
      return fail(`${path}.type`, 'must be one of contact_has_tag, contact_lacks_tag, cooldown, not_in_handoff');
  }
}

export function parseConditions(value: Json, path: string): RuleCondition[] {
  if (value === undefined || value === null) return [];
  return array(value, path, 0, MAX_CONDITIONS, 'conditions').map((c, i) => parseCondition(c, `${path}[${i}]`));
}

// ---- actions ------------------------------------------------------------------------------------

function unique(seen: Set<string>, value: string, path: string, what: string): void {
  if (seen.has(value)) fail(path, `"${value}" is used by another ${what}`);
  seen.add(value);
}

export function parseAction(value: Json, path: string): RuleAction {
  const a = object(value, path);
  switch (a.type) {
    case 'reply_text':
      return { type: 'reply_text', text: renderedText(a.text, `${path}.text`, TEXT_MAX) };
    case 'reply_buttons': {
      const ids = new Set<string>();
      const titles = new Set<string>();
      const text = renderedText(a.text, `${path}.text`, INTERACTIVE_BODY_MAX);
      const buttons = array(a.buttons, `${path}.buttons`, 1, MAX_REPLY_BUTTONS, 'buttons').map((b, i) => {
        const button = object(b, `${path}.buttons[${i}]`);
        const id = label(button.id, `${path}.buttons[${i}].id`, BUTTON_ID_MAX);
        const title = label(button.title, `${path}.buttons[${i}].title`, BUTTON_TITLE_MAX);
        unique(ids, id, `${path}.buttons[${i}].id`, 'button');
        // Meta refuses two buttons with the same title; the customer could not tell them apart either.
        unique(titles, title.toLowerCase(), `${path}.buttons[${i}].title`, 'button');
        return { id, title };
      });
      return { type: 'reply_buttons', text, buttons };
    }
    case 'reply_list': {
      const text = renderedText(a.text, `${path}.text`, INTERACTIVE_BODY_MAX);
      const button = label(a.button, `${path}.button`, LIST_BUTTON_MAX);
      const sectionsValue = array(a.sections, `${path}.sections`, 1, LIST_MAX_SECTIONS, 'sections');
      const ids = new Set<string>();
      let rowCount = 0;
      const sections = sectionsValue.map((s, i): ListSection => {
        const sectionPath = `${path}.sections[${i}]`;
        const section = object(s, sectionPath);
        const title = sectionsValue.length > 1
          ? label(section.title, `${sectionPath}.title`, LIST_SECTION_TITLE_MAX)
          : optional(section.title, (v) => label(v, `${sectionPath}.title`, LIST_SECTION_TITLE_MAX));
        const rows = array(section.rows, `${sectionPath}.rows`, 1, LIST_MAX_ROWS, 'rows').map((r, j) => {
          const rowPath = `${sectionPath}.rows[${j}]`;
          if (++rowCount > LIST_MAX_ROWS) fail(rowPath, `at most ${LIST_MAX_ROWS} rows in all sections`);
          const row = object(r, rowPath);
          const id = label(row.id, `${rowPath}.id`, LIST_ROW_ID_MAX);
          unique(ids, id, `${rowPath}.id`, 'row');
          const description = optional(row.description, (v) => label(v, `${rowPath}.description`, LIST_ROW_DESCRIPTION_MAX));
          return { id, title: label(row.title, `${rowPath}.title`, LIST_ROW_TITLE_MAX), ...(description ? { description } : {}) };
        });
        return { ...(title ? { title } : {}), rows };
      });
      return { type: 'reply_list', text, button, sections };
    }
    case 'reply_template': {
      const template = string(a.template, `${path}.template`, TEMPLATE_NAME_MAX).trim();
      if (!TEMPLATE_NAME.test(template)) fail(`${path}.template`, "must be a Meta template name: lower-case letters, digits and '_'");
      const language = string(a.language, `${path}.language`, 20).trim();
      if (!LANGUAGE_CODE.test(language)) fail(`${path}.language`, 'must be a Meta language code such as pt_BR or en');
      const parameters = array(a.parameters ?? [], `${path}.parameters`, 0, MAX_TEMPLATE_PARAMETERS, 'parameters')
        .map((p, i) => renderedText(p, `${path}.parameters[${i}]`, TEMPLATE_VARIABLE_MAX));
      return { type: 'reply_template', template, language, parameters };
    }
    case 'reply_media': {
      const mediaType = oneOf(a.mediaType, `${path}.mediaType`, ['image', 'document'] as const);
      if (typeof a.link !== 'string' || a.link.trim() === '') fail(`${path}.link`, 'must be a non-empty string');
      const link = (a.link as string).trim();
      const problem = mediaLinkProblem(link);
      if (problem) fail(`${path}.link`, problem);
      const caption = optional(a.caption, (v) => renderedText(v, `${path}.caption`, MEDIA_CAPTION_MAX));
      const filename = optional(a.filename, (v) => label(v, `${path}.filename`, MEDIA_FILENAME_MAX));
      if (filename && mediaType !== 'document') fail(`${path}.filename`, 'only a document has a file name');
      return { type: 'reply_media', mediaType, link, ...(caption ? { caption } : {}), ...(filename ? { filename } : {}) };
    }
    case 'mark_read':
      return { type: 'mark_read' };
    case 'add_tag':
    case 'remove_tag':
      return { type: a.type, tag: parseTag(a.tag, `${path}.tag`) };
    case 'handoff': {
      const note = optional(a.note, (v) => string(v, `${path}.note`, HANDOFF_NOTE_MAX));
      return { type: 'handoff', ...(note ? { note } : {}) };
    }
    default:
      return fail(`${path}.type`, 'must be one of reply_text, reply_buttons, reply_list, reply_template, reply_media, mark_read, add_tag, remove_tag, handoff');
  }
}

export function parseActions(value: Json, path: string): RuleAction[] {
  return array(value, path, 1, MAX_ACTIONS, 'actions').map((a, i) => parseAction(a, `${path}[${i}]`));
}

// ---- rules --------------------------------------------------------------------------------------

/**
 * One rule in its stored form. Input may carry the legacy single `action` (stored rule templates and
 * older clients send it); it becomes `actions: [action]`, and errors name the path as written.
 */
export function parseRule(value: Json, path: string): RuleSpec {
  const rule = object(value, path);
  const name = string(rule.name, `${path}.name`, RULE_NAME_MAX).trim();
  const trigger = parseTrigger(rule.trigger, `${path}.trigger`);
  const conditions = parseConditions(rule.conditions, `${path}.conditions`);
  let actions: RuleAction[];
  if (rule.actions !== undefined) {
    if (rule.action !== undefined) fail(`${path}.action`, 'give either action or actions, not both');
    actions = parseActions(rule.actions, `${path}.actions`);
  } else if (rule.action !== undefined) {
    actions = [parseAction(rule.action, `${path}.action`)];
  } else {
    return fail(`${path}.actions`, 'must be an array');
  }
  if (rule.stop !== undefined && typeof rule.stop !== 'boolean') fail(`${path}.stop`, 'must be true or false');
  return { name, trigger, conditions, actions, stop: rule.stop !== false };
}

export function parseRules(value: Json): RuleSpec[] {
  return array(value, 'rules', 1, MAX_RULES, 'rules').map((item, i) => parseRule(item, `rules[${i}]`));
}
