import { GraphQLRequestError } from '../api/client';

// VALIDATION_FAILED errors name the input field in `extensions.field` and start their message with
// it ("name: must not be empty"); forms show the rest under that field. Anything else is a form-level error.

export interface FormErrors {
  fields: Record<string, string>;
  form: { code: string; message: string } | null;
}

export function formErrorsOf(error: unknown, knownFields: readonly string[] = []): FormErrors {
  if (error instanceof GraphQLRequestError && error.code === 'VALIDATION_FAILED') {
    const fields: Record<string, string> = {};
    for (const e of error.errors) {
      const raw = e.extensions?.field;
      if (!raw) continue;
      // "input.displayPhoneNumber" or "businessHours[0]" → the form's own field name.
      const field = knownFields.find((f) => raw === f || raw.endsWith(`.${f}`) || raw.startsWith(`${f}[`) || raw.startsWith(`${f}.`)) ?? raw;
      fields[field] = e.message.replace(/^[\w.[\]]+:\s*/, '');
    }
    const unplaced = Object.keys(fields).filter((f) => knownFields.length && !knownFields.includes(f));
    if (Object.keys(fields).length && unplaced.length === 0) return { fields, form: null };
    return { fields, form: { code: error.code, message: error.message } };
  }
  if (error instanceof GraphQLRequestError) return { fields: {}, form: { code: error.code, message: error.message } };
  return { fields: {}, form: { code: 'ERROR', message: error instanceof Error ? error.message : String(error) } };
}

export const noErrors = (): FormErrors => ({ fields: {}, form: null });
