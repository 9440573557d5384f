import { ValidationError } from '../../lib/errors.js';
import { parsePhoneNumber } from '../../lib/phone.js';
import { parseBusinessHours, type BusinessHours } from '../instances/instances.business-hours.js';

// The variables of a configuration template: typed, so the form a client fills is generated from
// them and a bad value is refused with what the variable expects. A value is checked and
// normalised once (a phone becomes E.164, money an amount and a currency), then shown in the
// rules' texts the way people of the template's language write it.

export const VARIABLE_TYPES = ['text', 'multiline', 'phone', 'url', 'email', 'money', 'time', 'weekly_hours', 'choice'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export interface TemplateVariable {
  /** snake_case, used as {{name}} in the template's texts. */
  name: string;
  type: VariableType;
  /** What the form calls it. */
  label: string;
  /** One line under the field. */
  help: string;
  /** Shown as the field's placeholder, and used by the gallery's preview when no value is given. */
  example: unknown;
  default?: unknown;
  required: boolean;
  /** choice: the allowed values and what people read for each. */
  options?: { value: string; label: string }[];
  /** phone: the country a number typed without its code belongs to (ISO 3166, e.g. "BR"). */
  country?: string;
}

export interface Money {
  amount: number;
  /** ISO 4217, e.g. BRL. */
  currency: string;
}

export type VariableValue = string | Money | BusinessHours;

const VARIABLE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

function fail(path: string, message: string): never {
  throw new ValidationError(`${path}: ${message}`, path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The variable declarations of a template version, validated (the first bad path named). */
export function parseVariableSpecs(value: unknown, path = 'variables'): TemplateVariable[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  if (value.length > 50) fail(`${path}[50]`, 'at most 50 variables');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(item)) fail(p, 'must be an object { name, type, label, ... }');
    const name = item.name;
    if (typeof name !== 'string' || !VARIABLE_NAME.test(name)) fail(`${p}.name`, 'must be snake_case letters and digits, starting with a letter');
    if (seen.has(name)) fail(`${p}.name`, `duplicate variable "${name}"`);
    seen.add(name);
    // Templates stored before types existed carry only a description: they are text.
    const type = item.type ?? 'text';
    if (!VARIABLE_TYPES.includes(type as VariableType)) fail(`${p}.type`, `must be one of ${VARIABLE_TYPES.join(', ')}`);
    const label = typeof item.label === 'string' && item.label.trim() ? item.label.trim() : typeof item.description === 'string' && item.description.trim() ? item.description.trim() : name;
    const variable: TemplateVariable = {
      name, type: type as VariableType, label: label.slice(0, 200), help: typeof item.help === 'string' ? item.help.slice(0, 500) : '',
      example: item.example ?? null, required: item.required !== false,
    };
    if (type === 'choice') {
      if (!Array.isArray(item.options) || item.options.length < 1 || item.options.length > 50) fail(`${p}.options`, 'a choice needs 1 to 50 options');
      variable.options = (item.options as unknown[]).map((o, k) => {
        if (typeof o === 'string' && o.trim()) return { value: o.trim(), label: o.trim() };
        if (isObject(o) && typeof o.value === 'string' && o.value.trim()) return { value: o.value.trim(), label: typeof o.label === 'string' && o.label.trim() ? o.label.trim() : o.value.trim() };
        return fail(`${p}.options[${k}]`, 'must be a string or { value, label }');
      });
    }
    if (type === 'phone' && item.country !== undefined) {
      if (typeof item.country !== 'string' || !/^[A-Z]{2}$/.test(item.country)) fail(`${p}.country`, 'must be an ISO country code such as BR');
      variable.country = item.country;
    }
    // The default and the example must themselves be valid values.
    if (item.default !== undefined && item.default !== null) variable.default = parseValue(variable, item.default, `${p}.default`);
    if (item.example !== undefined && item.example !== null) variable.example = parseValue(variable, item.example, `${p}.example`);
    return variable;
  });
}

/** Checks and normalises one value; the error names the variable and shows what it expects. */
export function parseValue(variable: TemplateVariable, value: unknown, path: string): VariableValue {
  const expects = (what: string): never => fail(path, `${variable.label}: expected ${what}`);
  switch (variable.type) {
    case 'text':
    case 'multiline': {
      if (typeof value !== 'string' || value.trim() === '') return expects('a non-empty text');
      const max = variable.type === 'text' ? 200 : 2000;
      if (value.length > max) return expects(`at most ${max} characters`);
      if (variable.type === 'text' && /[\r\n]/.test(value)) return expects('one line of text');
      return value.trim();
    }
    case 'phone': {
      if (typeof value !== 'string') return expects('a phone number, e.g. +55 11 98765-4321');
      return parsePhoneNumber(value, { field: path, defaultCountry: variable.country as never }).e164;
    }
    case 'url': {
      if (typeof value !== 'string') return expects('a web address starting with https://');
      try {
        const url = new URL(value.trim());
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
        return url.toString();
      } catch {
        return expects('a web address starting with https://, e.g. https://example.com/cardapio');
      }
    }
    case 'email':
      if (typeof value !== 'string' || !EMAIL.test(value.trim())) return expects('an e-mail address, e.g. contato@example.com');
      return value.trim().toLowerCase();
    case 'money': {
      const money = typeof value === 'number' ? { amount: value, currency: 'BRL' } : value;
      if (!isObject(money) || typeof money.amount !== 'number' || !Number.isFinite(money.amount) || money.amount < 0) return expects('an amount and a currency, e.g. { "amount": 12.5, "currency": "BRL" }');
      const currency = typeof money.currency === 'string' ? money.currency.toUpperCase() : '';
      try {
        new Intl.NumberFormat('en', { style: 'currency', currency });
      } catch {
        return expects('an ISO 4217 currency code such as BRL or USD');
      }
      if (!/^[A-Z]{3}$/.test(currency)) return expects('an ISO 4217 currency code such as BRL or USD');
      return { amount: Math.round(money.amount * 100) / 100, currency };
    }
    case 'time':
      if (typeof value !== 'string' || !HHMM.test(value.trim())) return expects('a time "HH:MM", e.g. 18:30');
      return value.trim();
    case 'weekly_hours': {
      const hours = Array.isArray(value) ? { days: value } : value;
      if (!isObject(hours)) return expects('weekly hours { days: [{ day, open, close }], holidays? }');
      return parseBusinessHours(hours, path) ?? { days: [] };
    }
    case 'choice': {
      const option = variable.options?.find((o) => o.value === value);
      if (!option) return expects(`one of ${variable.options?.map((o) => o.value).join(', ')}`);
      return option.value;
    }
  }
}

/**
 * The values a client gave, each checked; the defaults where none was given. Refuses unknown
 * names and missing required ones, all named at once.
 */
export function resolveValues(variables: TemplateVariable[], given: Record<string, unknown>, path = 'variables'): Record<string, VariableValue> {
  if (!isObject(given)) fail(path, 'must be an object { name: value }');
  const unknown = Object.keys(given).filter((name) => !variables.some((v) => v.name === name));
  if (unknown.length > 0) throw new ValidationError(`${path}: unknown variables: ${unknown.join(', ')}`, path, { unknown });
  const values: Record<string, VariableValue> = {};
  const missing: string[] = [];
  for (const variable of variables) {
    const raw = given[variable.name];
    const blank = raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
    if (!blank) values[variable.name] = parseValue(variable, raw, `${path}.${variable.name}`);
    else if (variable.default !== undefined) values[variable.name] = variable.default as VariableValue;
    else if (variable.required) missing.push(variable.name);
  }
  if (missing.length > 0) throw new ValidationError(`${path}: missing values for ${missing.map((m) => `${m} (${variables.find((v) => v.name === m)!.label})`).join(', ')}`, path, { missing });
  return values;
}

const WEEKDAYS: Record<string, string[]> = {
  pt: ['dom', 'seg', 'ter', 'qua', 'qui', 'sex', 'sáb'],
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
};

/** A value as people read it in the template's language (money formatted, hours summarised). */
export function displayValue(variable: Pick<TemplateVariable, 'type' | 'options'>, value: VariableValue, locale: string): string {
  const lang = locale.toLowerCase().startsWith('pt') ? 'pt' : 'en';
  switch (variable.type) {
    case 'money': {
      const money = value as Money;
      return new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).format(money.amount);
    }
    case 'weekly_hours': {
      const hours = value as BusinessHours;
      if (hours.days.length === 0) return lang === 'pt' ? 'fechado' : 'closed';
      // Days with the same hours together: "seg–sex 09:00–18:00; sáb 09:00–13:00".
      const byHours = new Map<string, number[]>();
      for (const d of [...hours.days].sort((a, b) => a.day - b.day)) {
        const key = `${d.open}–${d.close}`;
        byHours.set(key, [...(byHours.get(key) ?? []), d.day]);
      }
      const names = WEEKDAYS[lang];
      return [...byHours].map(([span, days]) => {
        const contiguous = days.every((d, i) => i === 0 || d === days[i - 1] + 1);
        const which = days.length > 2 && contiguous ? `${names[days[0]]}–${names[days[days.length - 1]]}` : days.map((d) => names[d]).join(', ');
        return `${which} ${span}`;
      }).join('; ');
    }
    case 'choice':
      return variable.options?.find((o) => o.value === value)?.label ?? String(value);
    default:
      return String(value);
  }
}
