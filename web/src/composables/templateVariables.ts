import { GraphQLRequestError } from '../api/client';
import type { RuleTemplateVariable } from '../api/types';
import { formErrorsOf, type FormErrors } from './fieldErrors';

// The "apply template" form is generated from the template's declared variables: one input each,
// prefilled with its default; required ones must be filled before the mutation is sent.

export function initialValues(variables: RuleTemplateVariable[]): Record<string, string> {
  return Object.fromEntries(variables.map((v) => [v.name, v.default == null ? '' : typeof v.default === 'string' ? v.default : JSON.stringify(v.default)]));
}

export function missingRequired(variables: RuleTemplateVariable[], values: Record<string, string>): Record<string, string> {
  const missing: Record<string, string> = {};
  for (const v of variables) if (v.required && !(values[v.name] ?? '').trim() && !v.default) missing[v.name] = 'required';
  return missing;
}

/** The `variables` JSON for applyRuleTemplate: trimmed, blanks left out so defaults apply. */
export function variablesPayload(variables: RuleTemplateVariable[], values: Record<string, string>): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const v of variables) {
    const value = (values[v.name] ?? '').trim();
    if (value) payload[v.name] = value;
  }
  return payload;
}

/** "business_name" → "Business name". */
export function labelOf(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The server names the variables it refused ("missing values for template variables: a, b") in the
 * error's `missing` and `unknown` lists: each is marked under its own input.
 */
export function applyErrorsOf(error: unknown): FormErrors {
  const errors = formErrorsOf(error, ['instanceId', 'variables']);
  const details = error instanceof GraphQLRequestError ? error.errors[0]?.extensions : undefined;
  const missing = (details?.missing as string[] | undefined) ?? [];
  const unknown = (details?.unknown as string[] | undefined) ?? [];
  for (const name of missing) errors.fields[name] = 'required';
  for (const name of unknown) if (!missing.includes(name)) errors.fields[name] = 'not a variable of this template';
  return errors;
}
