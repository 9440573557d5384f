import { ValidationError } from './errors.js';

// E.164: a "+", a country code that does not start with 0, at most 15 digits in all. People type
// spaces, dashes, dots and parentheses; those are dropped, anything else is refused.
const E164 = /^\+[1-9]\d{7,14}$/;

export function normalizeE164(input: string, field = 'displayPhoneNumber'): string {
  const compact = input.trim().replace(/[\s\-().]/g, '');
  const withPlus = compact.startsWith('+') ? compact : `+${compact}`;
  if (!E164.test(withPlus)) {
    throw new ValidationError(`${field}: "${input}" is not a phone number in E.164 form (e.g. +5511987654321)`, field);
  }
  return withPlus;
}

/** Meta's ids (Phone Number ID, WABA id) are numeric strings. */
export function assertMetaId(value: string, field: string): string {
  const trimmed = value.trim();
  if (!/^\d{5,25}$/.test(trimmed)) throw new ValidationError(`${field}: "${value}" is not a Meta id (digits only)`, field);
  return trimmed;
}

export function requireName(value: string, field = 'name', max = 200): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new ValidationError(`${field}: must not be empty`, field);
  if (trimmed.length > max) throw new ValidationError(`${field}: must be at most ${max} characters`, field);
  return trimmed;
}
