import { ValidationError } from '../../lib/errors.js';

// The rule language shared by rule templates and an instance's automation rules. Rules are JSON
// in the database, so every write goes through `parseRules`, which names the first bad path.

export interface TemplateVariable {
  name: string;
  description: string;
  required: boolean;
  default?: string;
}

export type RuleTrigger =
  | { type: 'keyword'; keywords: string[]; match: 'exact' | 'contains' }
  | { type: 'any_message' }
  | { type: 'first_message' }
  | { type: 'outside_business_hours' }
  | { type: 'button_reply'; buttonId: string };

export type RuleAction =
  | { type: 'reply_text'; text: string }
  | { type: 'reply_buttons'; text: string; buttons: { id: string; title: string }[] }
  | { type: 'reply_template'; template: string; language: string; parameters: string[] }
  | { type: 'handoff'; note?: string };

export interface RuleSpec {
  name: string;
  trigger: RuleTrigger;
  action: RuleAction;
}

const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const PLACEHOLDER = /\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g;

type Json = unknown;

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}
function object(value: Json, path: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  return value as Record<string, Json>;
}
function string(value: Json, path: string, max = 4096): string {
  if (typeof value !== 'string' || value.trim() === '') fail(path, 'must be a non-empty string');
  if ((value as string).length > max) fail(path, `must be at most ${max} characters`);
  return value as string;
}
function array(value: Json, path: string, min = 0, max = 100): Json[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  const list = value as Json[];
  if (list.length < min || list.length > max) fail(path, `must have ${min} to ${max} items`);
  return list;
}

export function parseVariables(value: Json): TemplateVariable[] {
  const seen = new Set<string>();
  return array(value, 'variables', 0, 50).map((item, i) => {
    const path = `variables[${i}]`;
    const v = object(item, path);
    const name = string(v.name, `${path}.name`, 40);
    if (!VARIABLE_NAME.test(name)) fail(`${path}.name`, 'must be snake_case letters and digits');
    if (seen.has(name)) fail(`${path}.name`, `duplicate variable "${name}"`);
    seen.add(name);
    const variable: TemplateVariable = {
      name,
      description: typeof v.description === 'string' ? v.description : '',
      required: v.required !== false,
    };
    if (v.default !== undefined) variable.default = string(v.default, `${path}.default`);
    return variable;
  });
}

function parseTrigger(value: Json, path: string): RuleTrigger {
  const t = object(value, path);
  switch (t.type) {
    case 'keyword': {
      const keywords = array(t.keywords, `${path}.keywords`, 1, 50).map((k, i) => string(k, `${path}.keywords[${i}]`, 100));
      const match = t.match ?? 'contains';
      if (match !== 'exact' && match !== 'contains') fail(`${path}.match`, 'must be "exact" or "contains"');
      return { type: 'keyword', keywords, match };
    }
    case 'any_message':
    case 'first_message':
    case 'outside_business_hours':
      return { type: t.type };
    case 'button_reply':
      return { type: 'button_reply', buttonId: string(t.buttonId, `${path}.buttonId`, 256) };
    default:
      return fail(`${path}.type`, 'must be one of keyword, any_message, first_message, outside_business_hours, button_reply');
  }
}

function parseAction(value: Json, path: string): RuleAction {
  const a = object(value, path);
  switch (a.type) {
    case 'reply_text':
      return { type: 'reply_text', text: string(a.text, `${path}.text`) };
    case 'reply_buttons': {
      // Meta allows at most 3 reply buttons, titles up to 20 characters.
      const buttons = array(a.buttons, `${path}.buttons`, 1, 3).map((b, i) => {
        const button = object(b, `${path}.buttons[${i}]`);
        return { id: string(button.id, `${path}.buttons[${i}].id`, 256), title: string(button.title, `${path}.buttons[${i}].title`, 20) };
      });
      return { type: 'reply_buttons', text: string(a.text, `${path}.text`, 1024), buttons };
    }
    case 'reply_template':
      return {
        type: 'reply_template',
        template: string(a.template, `${path}.template`, 512),
        language: string(a.language, `${path}.language`, 20),
        parameters: array(a.parameters ?? [], `${path}.parameters`, 0, 20).map((p, i) => string(p, `${path}.parameters[${i}]`, 1024)),
      };
    case 'handoff':
      return { type: 'handoff', ...(typeof a.note === 'string' ? { note: a.note } : {}) };
    default:
      return fail(`${path}.type`, 'must be one of reply_text, reply_buttons, reply_template, handoff');
  }
}

export function parseRules(value: Json): RuleSpec[] {
  return array(value, 'rules', 1, 100).map((item, i) => {
    const path = `rules[${i}]`;
    const rule = object(item, path);
    return { name: string(rule.name, `${path}.name`, 200), trigger: parseTrigger(rule.trigger, `${path}.trigger`), action: parseAction(rule.action, `${path}.action`) };
  });
}

/** Every `{{name}}` placeholder used by the rules. */
export function placeholdersOf(rules: RuleSpec[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) names.add(m[1]);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(rules);
  return names;
}

/** A template may only use the variables it declares. */
export function assertPlaceholdersDeclared(rules: RuleSpec[], variables: TemplateVariable[]): void {
  const declared = new Set(variables.map((v) => v.name));
  const undeclared = [...placeholdersOf(rules)].filter((name) => !declared.has(name));
  if (undeclared.length > 0) throw new ValidationError(`rules use undeclared variables: ${undeclared.join(', ')}`, 'rules', { undeclared });
}

/** Fills the placeholders; a required variable without a value or default is an error naming it. */
export function fillVariables(rules: RuleSpec[], variables: TemplateVariable[], values: Record<string, string>): RuleSpec[] {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const v of variables) {
    const value = values[v.name] ?? v.default;
    if (value === undefined || value === '') {
      if (v.required) missing.push(v.name);
      else resolved[v.name] = '';
    } else resolved[v.name] = value;
  }
  if (missing.length > 0) throw new ValidationError(`missing values for template variables: ${missing.join(', ')}`, 'variables', { missing });
  const unknown = Object.keys(values).filter((name) => !variables.some((v) => v.name === name));
  if (unknown.length > 0) throw new ValidationError(`unknown template variables: ${unknown.join(', ')}`, 'variables', { unknown });
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(PLACEHOLDER, (_, name: string) => resolved[name] ?? '');
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return fill(rules) as RuleSpec[];
}
