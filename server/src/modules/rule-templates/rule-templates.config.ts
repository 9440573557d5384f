import { ValidationError } from '../../lib/errors.js';
import type { TemplateComponent } from '../../meta/index.js';
import { assertTimezone } from '../instances/instances.service.js';
import type { BusinessHours } from '../instances/instances.business-hours.js';
import { parseBusinessHours } from '../instances/instances.business-hours.js';
import { parseRule, type RuleSpec } from '../automation/rules.schema.js';
import { displayValue, type TemplateVariable, type VariableValue } from './rule-templates.variables.js';

// What a configuration template sets up on an instance, as the operator writes it: the rules, and
// the instance's settings (timezone, business hours, handoff, the hourly reply limit), any of
// them with {{variable}} placeholders; and the Meta message templates its rules send. Filled with
// a client's values, it becomes what applying writes.

export const TEMPLATE_CATEGORIES = ['UTILITY', 'MARKETING', 'AUTHENTICATION'] as const;

export interface TemplateMessageSpec {
  /** Meta's rules: lower-case letters, digits and underscores. */
  name: string;
  language: string;
  category: (typeof TEMPLATE_CATEGORIES)[number];
  /** Meta's components, with examples for every {{n}} (Meta refuses a template without them). */
  components: TemplateComponent[];
}

export interface TemplateConfig {
  rules: unknown[];
  timezone?: string;
  /** Hours, or "{{name}}" of a weekly_hours variable. */
  businessHours?: unknown;
  handoffTimeoutHours?: number;
  replyLimitPerHour?: number;
  messageTemplates?: TemplateMessageSpec[];
}

/** A customer message the gallery plays through the engine to show what the template does. */
export interface SampleMessage {
  text?: string;
  buttonId?: string;
  listRowId?: string;
  messageType?: string;
  /** Why this sample is there ("asks for the menu"). */
  note?: string;
}

/** A configuration filled with a client's values: what applying writes. */
export interface FilledConfig {
  rules: RuleSpec[];
  timezone: string | null;
  businessHours: BusinessHours | null | undefined;
  handoffTimeoutHours: number | null;
  replyLimitPerHour: number | null;
  messageTemplates: TemplateMessageSpec[];
}

const PLACEHOLDER = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;
const ONLY_PLACEHOLDER = /^\{\{\s*([a-z][a-z0-9_]*)\s*\}\}$/;
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a template version's configuration and sample messages against its variables: the
 * shape, every placeholder declared, and the whole filled with the variables' examples (or
 * defaults) parsing as an instance would get it, so a version that cannot be applied is refused
 * when it is published, not when a client picks it.
 */
export function parseConfig(value: unknown, variables: TemplateVariable[], locale: string, path = 'config'): TemplateConfig {
  if (!isObject(value)) fail(path, 'must be an object { rules, timezone?, businessHours?, handoffTimeoutHours?, replyLimitPerHour?, messageTemplates? }');
  if (!Array.isArray(value.rules) || value.rules.length < 1 || value.rules.length > 100) fail(`${path}.rules`, 'must be an array of 1 to 100 rules');
  const declared = new Set(variables.map((v) => v.name));
  const undeclared = [...placeholders(value)].filter((name) => !declared.has(name));
  if (undeclared.length > 0) throw new ValidationError(`${path}: uses undeclared variables: ${undeclared.join(', ')}`, path, { undeclared });
  const config: TemplateConfig = { rules: value.rules };
  if (value.timezone !== undefined) {
    if (typeof value.timezone !== 'string') fail(`${path}.timezone`, 'must be an IANA timezone or "{{variable}}"');
    config.timezone = value.timezone;
  }
  if (value.businessHours !== undefined) config.businessHours = value.businessHours;
  for (const key of ['handoffTimeoutHours', 'replyLimitPerHour'] as const) {
    if (value[key] === undefined) continue;
    const n = value[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > (key === 'handoffTimeoutHours' ? 720 : 100)) fail(`${path}.${key}`, `must be a whole number from 1 to ${key === 'handoffTimeoutHours' ? 720 : 100}`);
    config[key] = n;
  }
  if (value.messageTemplates !== undefined) config.messageTemplates = parseMessageTemplates(value.messageTemplates, `${path}.messageTemplates`);
  // Filled with the examples, it must make a valid instance configuration.
  const examples = Object.fromEntries(variables.map((v) => [v.name, (v.default ?? v.example) as VariableValue | null]).filter(([, x]) => x !== null && x !== undefined));
  fillConfig(config, variables, examples, locale, path, { lenient: true });
  return config;
}

function parseMessageTemplates(value: unknown, path: string): TemplateMessageSpec[] {
  if (!Array.isArray(value) || value.length > 20) fail(path, 'must be an array of at most 20 templates');
  return value.map((t, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(t)) fail(p, 'must be an object { name, language, category, components }');
    if (typeof t.name !== 'string' || !TEMPLATE_NAME.test(t.name)) fail(`${p}.name`, 'Meta allows lower-case letters, digits and underscores only');
    if (typeof t.language !== 'string' || !LANGUAGE.test(t.language)) fail(`${p}.language`, 'must be a Meta language code such as pt_BR or en_US');
    if (!TEMPLATE_CATEGORIES.includes(t.category as never)) fail(`${p}.category`, `must be one of ${TEMPLATE_CATEGORIES.join(', ')}`);
    if (!Array.isArray(t.components) || !t.components.some((c) => isObject(c) && String(c.type).toUpperCase() === 'BODY' && typeof c.text === 'string')) fail(`${p}.components`, 'must include a BODY with its text');
    const body = (t.components as Record<string, unknown>[]).find((c) => String(c.type).toUpperCase() === 'BODY')!;
    const params = new Set((String(body.text).match(/\{\{\s*\d+\s*\}\}/g) ?? []).map((m) => m.replace(/\D/g, ''))).size;
    const examples = (body.example as { body_text?: string[][] } | undefined)?.body_text?.[0];
    if (params > 0 && (!Array.isArray(examples) || examples.length !== params)) fail(`${p}.components`, `Meta needs an example for each of the body's ${params} parameters: "example": { "body_text": [["...", ...]] }`);
    return { name: t.name, language: t.language, category: t.category as TemplateMessageSpec['category'], components: t.components as TemplateComponent[] };
  });
}

/** Every {{name}} a configuration uses. */
export function placeholders(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) found.add(m[1]);
  else if (Array.isArray(value)) value.forEach((v) => placeholders(v, found));
  else if (isObject(value)) Object.values(value).forEach((v) => placeholders(v, found));
  return found;
}

/**
 * The configuration with a client's values in: placeholders in texts replaced by the values as
 * people read them, a setting bound to a variable ("{{opening_hours}}") given the value itself.
 * `lenient`: a variable without a value leaves its placeholder (checking a template with only its
 * examples, which not every variable has).
 */
export function fillConfig(config: TemplateConfig, variables: TemplateVariable[], values: Record<string, VariableValue>, locale: string, path = 'config', options: { lenient?: boolean } = {}): FilledConfig {
  const byName = new Map(variables.map((v) => [v.name, v]));
  const text = (s: string) => s.replace(PLACEHOLDER, (whole, name: string) => {
    const variable = byName.get(name);
    const value = values[name];
    if (!variable || value === undefined) return options.lenient ? (variable ? String(variable.label) : whole) : '';
    return displayValue(variable, value, locale);
  });
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(fill);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const bound = (v: unknown): unknown => {
    const m = typeof v === 'string' ? ONLY_PLACEHOLDER.exec(v) : null;
    return m ? values[m[1]] : v;
  };
  const rules = config.rules.map((r, i) => parseRule(fill(r), `${path}.rules[${i}]`));
  const timezone = config.timezone === undefined ? null : String(bound(config.timezone) ?? '');
  if (timezone !== null && timezone !== '') {
    try {
      assertTimezone(timezone);
    } catch {
      fail(`${path}.timezone`, `"${timezone}" is not an IANA timezone (e.g. America/Sao_Paulo)`);
    }
  }
  const hoursValue = config.businessHours === undefined ? undefined : bound(config.businessHours);
  const businessHours = hoursValue === undefined ? undefined : hoursValue === null || typeof hoursValue === 'string' ? null : parseBusinessHours(hoursValue, `${path}.businessHours`);
  return {
    rules, timezone: timezone || null, businessHours,
    handoffTimeoutHours: config.handoffTimeoutHours ?? null, replyLimitPerHour: config.replyLimitPerHour ?? null,
    messageTemplates: (config.messageTemplates ?? []).map((t) => fill(t) as TemplateMessageSpec),
  };
}

/** The BODY text of a Meta template, rendered with its parameters (for previews). */
export function renderMessageTemplate(template: TemplateMessageSpec, parameters: string[]): string {
  const body = template.components.find((c) => String(c.type).toUpperCase() === 'BODY')?.text ?? template.name;
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}
