import type { RuleTemplateVariable } from '../api/types';

// The "apply template" form is generated from the template's declared variables: one input each,
// prefilled with its default; required ones must be filled before the mutation is sent.

export function initialValues(variables: RuleTemplateVariable[]): Record<string, string> {
  return Object.fromEntries(variables.map((v) => [v.name, v.default ?? '']));
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
