import { GraphQLRequestError } from '../api/client';
import type { RuleTemplateVariable } from '../api/types';
import { formErrorsOf, type FormErrors } from './fieldErrors';

// The "use this template" form is generated from the template's typed variables (text, multiline,
// phone, url, email, money, time, weekly_hours, choice). What an input holds is what a person
// typed (an amount "7,90", a schedule being edited); this module turns it into the JSON values
// the API checks (money { amount: 7.9, currency }, weekly hours { days }), leaving blanks out so
// the server applies defaults. The server is the judge of a value: its error, which names the
// variable, is shown under that variable's input.

export const VARIABLE_TYPES = ['text', 'multiline', 'phone', 'url', 'email', 'money', 'time', 'weekly_hours', 'choice'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export interface MoneyValue { amount: string; currency: string }
export interface HoursInterval { day: number; open: string; close: string }
export interface HoursValue { days: HoursInterval[] }
export type FieldValue = string | MoneyValue | HoursValue;
export type FormValues = Record<string, FieldValue>;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);

/** A choice's options as the API declares them: [{ value, label }] (plain strings tolerated). */
export function optionsOf(variable: Pick<RuleTemplateVariable, 'options'>): { value: string; label: string }[] {
  if (!Array.isArray(variable.options)) return [];
  return variable.options.flatMap((o) => {
    if (typeof o === 'string') return [{ value: o, label: o }];
    const v = obj(o);
    return v && typeof v.value === 'string' ? [{ value: v.value, label: typeof v.label === 'string' ? v.label : v.value }] : [];
  });
}

/** The currency a money input starts with: the default's, else the example's, else BRL. */
export function currencyOf(variable: Pick<RuleTemplateVariable, 'default' | 'example'>): string {
  for (const v of [variable.default, variable.example]) {
    const currency = obj(v)?.currency;
    if (typeof currency === 'string' && currency) return currency;
  }
  return 'BRL';
}

/** An amount as a person writes it in the input: "7,9" stays "7.9" → "7.90" only on display. */
const amountText = (amount: unknown): string => (typeof amount === 'number' ? String(amount) : typeof amount === 'string' ? amount : '');

/** A value of the API's shape (a default, an example, a value applied earlier) as the input holds it. */
export function toFieldValue(variable: Pick<RuleTemplateVariable, 'type' | 'default' | 'example'>, value: unknown): FieldValue {
  switch (variable.type) {
    case 'money': {
      const money = obj(value);
      if (money) return { amount: amountText(money.amount), currency: typeof money.currency === 'string' ? money.currency : currencyOf(variable) };
      return { amount: typeof value === 'number' ? String(value) : '', currency: currencyOf(variable) };
    }
    case 'weekly_hours': {
      const days = Array.isArray(value) ? value : obj(value)?.days;
      if (!Array.isArray(days)) return { days: [] };
      return { days: sortIntervals(days.flatMap((d) => { const i = obj(d); return i && typeof i.day === 'number' ? [{ day: i.day, open: String(i.open ?? ''), close: String(i.close ?? '') }] : []; })) };
    }
    default:
      return value == null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** The form as it opens: each variable with its default, or the values given before (an upgrade, a re-apply). */
export function initialValues(variables: RuleTemplateVariable[], given: Record<string, unknown> = {}): FormValues {
  return Object.fromEntries(variables.map((v) => [v.name, toFieldValue(v, given[v.name] ?? v.default)]));
}

/** The same form filled with every variable's example: the "try it with the example" start. */
export function exampleValues(variables: RuleTemplateVariable[]): FormValues {
  return Object.fromEntries(variables.map((v) => [v.name, toFieldValue(v, v.example ?? v.default)]));
}

/**
 * An amount as people type it: "7,90", "7.90", "1.234,56", "1,234.56", "R$ 12". The last "," or
 * "." followed by one or two digits is the decimal mark; others group thousands. NaN when it is
 * not an amount.
 */
export function parseAmount(text: string): number {
  // A currency before the number ("R$", "US$", "€") is fine; anything else that is not a digit is not.
  const cleaned = text.trim().replace(/^[^\d-]*?(?=-?\d)/, '').replace(/\s/g, '');
  if (!/^-?[\d.,]*\d[\d.,]*$/.test(cleaned)) return Number.NaN;
  const decimal = cleaned.match(/[.,](\d{1,2})$/);
  const whole = decimal ? cleaned.slice(0, -decimal[0].length) : cleaned;
  if (!/^-?(\d+|\d{1,3}([.,]\d{3})+)?$/.test(whole)) return Number.NaN;
  return Number(`${whole.replace(/[.,]/g, '') || '0'}${decimal ? `.${decimal[1]}` : ''}`);
}

const isBlank = (variable: Pick<RuleTemplateVariable, 'type'>, value: FieldValue | undefined): boolean => {
  if (value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if ('amount' in value) return value.amount.trim() === '';
  return variable.type === 'weekly_hours' && value.days.length === 0;
};

function sortIntervals(days: HoursInterval[]): HoursInterval[] {
  return [...days].sort((a, b) => a.day - b.day || a.open.localeCompare(b.open));
}

/** One value as the API takes it; undefined when blank (the server then applies the default). */
export function payloadValue(variable: Pick<RuleTemplateVariable, 'type'>, value: FieldValue | undefined): unknown {
  if (value === undefined || isBlank(variable, value)) return undefined;
  if (typeof value === 'string') return value.trim();
  if ('amount' in value) {
    const amount = parseAmount(value.amount);
    // An unreadable amount goes as typed: the server's error names the variable and what it expects.
    return { amount: Number.isNaN(amount) ? value.amount.trim() : amount, currency: value.currency.trim().toUpperCase() };
  }
  return { days: sortIntervals(value.days) };
}

/** The `variables` JSON of applyRuleTemplate, upgradeInstanceTemplate and previewRuleTemplate: blanks left out. */
export function variablesPayload(variables: RuleTemplateVariable[], values: FormValues): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const v of variables) {
    const value = payloadValue(v, values[v.name]);
    if (value !== undefined) payload[v.name] = value;
  }
  return payload;
}

/** Checked before anything is sent: a required variable left blank, an amount that is not one. */
export function checkValues(variables: RuleTemplateVariable[], values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const v of variables) {
    const value = values[v.name];
    if (isBlank(v, value)) {
      if (v.required && v.default == null) problems[v.name] = v.type === 'weekly_hours' ? 'required: add the days and hours you are open' : 'required';
    } else if (v.type === 'money' && typeof value === 'object' && 'amount' in value && Number.isNaN(parseAmount(value.amount))) {
      problems[v.name] = 'expected an amount, e.g. 7,90';
    }
  }
  return problems;
}

/** The variable an error path names: "variables.delivery_fee", "input.variables.opening_hours.days[0].open" → the name. */
export function variableOfPath(path: string | undefined): string | null {
  const match = path?.match(/(?:^|\.)variables\.([a-z][a-z0-9_]*)/);
  return match ? match[1] : null;
}

/**
 * The server's refusal, each part under its own input: a bad value names its variable in
 * `extensions.field` ("variables.menu_url"); missing and unknown variables come as lists.
 */
export function variableErrorsOf(error: unknown, formFields: readonly string[] = ['instanceId']): FormErrors {
  if (!(error instanceof GraphQLRequestError) || error.code !== 'VALIDATION_FAILED') return formErrorsOf(error);
  const errors: FormErrors = { fields: {}, form: null };
  let placed = 0;
  for (const e of error.errors) {
    const field = e.extensions?.field;
    const variable = variableOfPath(field);
    const message = e.message.replace(/^[\w.[\]]+:\s*/, '');
    const missing = (e.extensions?.missing as string[] | undefined) ?? [];
    const unknown = (e.extensions?.unknown as string[] | undefined) ?? [];
    for (const name of missing) errors.fields[name] = 'required';
    for (const name of unknown) if (!missing.includes(name)) errors.fields[name] = 'not a variable of this template';
    if (missing.length || unknown.length) placed++;
    else if (variable) {
      // "Taxa de entrega: expected an amount …": the label is already above the input.
      errors.fields[variable] = message.replace(/^[^:]{1,200}:\s*(?=expected )/, '');
      placed++;
    } else {
      const own = formFields.find((f) => field === f || field?.endsWith(`.${f}`));
      if (own) {
        errors.fields[own] = message;
        placed++;
      }
    }
  }
  if (placed < error.errors.length) errors.form = { code: error.code, message: error.message };
  return errors;
}

/** "business_name" → "Business name". */
export function labelOf(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A value as a person reads it in a summary (the applied template's values). */
export function describeValue(variable: Pick<RuleTemplateVariable, 'type' | 'options'>, value: unknown, locale?: string): string {
  if (value == null || value === '') return '—';
  switch (variable.type) {
    case 'money': {
      const money = obj(value);
      if (!money || typeof money.amount !== 'number') return JSON.stringify(value);
      try {
        return new Intl.NumberFormat(locale, { style: 'currency', currency: String(money.currency) }).format(money.amount);
      } catch {
        return `${money.amount} ${String(money.currency)}`;
      }
    }
    case 'weekly_hours': {
      const { days } = toFieldValue({ type: 'weekly_hours', default: null, example: null }, value) as HoursValue;
      if (days.length === 0) return 'closed all week';
      // Days with the same hours together, the week from Monday: "Mon–Fri 09:00–18:00; Sat 09:00–13:00".
      const order = (day: number) => (day + 6) % 7;
      const byHours = new Map<string, number[]>();
      for (const d of [...days].sort((a, b) => order(a.day) - order(b.day))) {
        const span = `${d.open}–${d.close}`;
        byHours.set(span, [...(byHours.get(span) ?? []), d.day]);
      }
      return [...byHours].map(([span, list]) => {
        const contiguous = list.every((d, i) => i === 0 || order(d) === order(list[i - 1]) + 1);
        const which = list.length > 2 && contiguous ? `${WEEKDAY_SHORT[list[0]]}–${WEEKDAY_SHORT[list[list.length - 1]]}` : list.map((d) => WEEKDAY_SHORT[d]).join(', ');
        return `${which} ${span}`;
      }).join('; ');
    }
    case 'choice':
      return optionsOf(variable).find((o) => o.value === value)?.label ?? String(value);
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

export const WEEKDAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
