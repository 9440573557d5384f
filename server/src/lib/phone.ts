import {
  Metadata, PhoneNumber, getCountries, getExampleNumber, isSupportedCountry, parsePhoneNumberFromString, validatePhoneNumberLength,
  type CountryCode, type MetadataJson,
} from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/min/metadata';
import examples from 'libphonenumber-js/mobile/examples';
import { ValidationError } from './errors.js';

// Phone numbers, with libphonenumber-js (Google's libphonenumber rules): E.164 normalisation and
// validation by country. People type "(11) 98765-4321" with a default country (BR), or
// "+55 11 9 8765 4321"; integrators send "5511987654321" (Meta's wa_id form, no "+").
//
// The "min" metadata: it validates a number's length for its country (and, where one calling code
// serves several countries, that some country claims its leading digits), not every digit
// pattern. The "max" patterns would also refuse Meta's own test numbers (+1 555 …) and any range
// issued after the library's release; whether a number is on WhatsApp is Meta's to answer anyway.

const metadata = metadataJson as MetadataJson;

/** Shown when no country is known: the platform's home market. */
const FALLBACK_EXAMPLE_COUNTRY: CountryCode = 'BR';

export interface ParsePhoneNumberOptions {
  /** The input's name in errors (`to`, `recipients[3].to`, `displayPhoneNumber`). */
  field: string;
  /** How to read a number typed without "+" (national form), an ISO 3166 code. Without one, its digits are read as country code and number, as Meta's wa_id. */
  defaultCountry?: string | null;
  /** The default country's name in errors (default `defaultCountry`). */
  countryField?: string;
  /**
   * `valid` (default): a length this country uses. `possible`: any length some country with this
   * calling code uses, for numbers Meta itself reports (its test numbers, +1 555 …, are in no
   * country's ranges).
   */
  accept?: 'valid' | 'possible';
}

export interface ParsedPhoneNumber {
  /** "+5511987654321" */
  e164: string;
  /** The digits of `e164` without "+", as Meta's `to` and `wa_id`. */
  waId: string;
  /** "55" */
  countryCallingCode: string;
  /** "11987654321" */
  nationalNumber: string;
  /** The country, when its calling code and leading digits tell it (undefined for +1 555 …). */
  country: CountryCode | undefined;
  /** "+55 11 98765-4321", for showing. */
  formatInternational(): string;
}

// Separators people type: spaces (also non-breaking), dashes, dots, slashes and parentheses.
// Anything else (letters, "ext.", a second "+") is refused rather than read around, as
// libphonenumber would when it finds a number inside text.
const SEPARATORS = /[\s\u00a0\u2010-\u2015\u2212\-./()]/g;
const DIGITS_AFTER_PLUS = /^\+?\d+$/;
const COMPACT_INTERNATIONAL = /^\+[1-9]\d{1,16}$/;

/**
 * Reads a phone number as a person or an integrator types it, or throws a ValidationError that
 * names `field` and shows an example: `to: "123" is not a valid phone number for BR (too short);
 * expected e.g. +55 11 96123 4567`.
 */
export function parsePhoneNumber(input: string, options: ParsePhoneNumberOptions): ParsedPhoneNumber {
  const { field } = options;
  const country = options.defaultCountry ? countryOrFail(options.defaultCountry, options.countryField ?? 'defaultCountry') : undefined;
  const compact = input.trim().replace(SEPARATORS, '');
  if (!DIGITS_AFTER_PLUS.test(compact)) throw invalid(input, field, { given: country }, 'NOT_A_NUMBER');
  // Without a country to read it by, a number without "+" is international already (wa_id form).
  const text = compact.startsWith('+') || country ? compact : `+${compact}`;

  const fast = COMPACT_INTERNATIONAL.test(text) ? fastInternational(text) : undefined;
  if (fast) return fast;

  const number = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false }, metadata);
  if (number && (number.isValid() || (options.accept === 'possible' && number.isPossible()))) return wrap(number);
  const reason = number?.isPossible() ? 'INVALID_FOR_COUNTRY' : validatePhoneNumberLength(text, { defaultCountry: country }, metadata) ?? 'INVALID_FOR_COUNTRY';
  // Digits typed without "+" under a default country are that country's, whatever libphonenumber
  // made of them ("0055 …" in BR reads as a call abroad through carrier 55): the error names it.
  const ofNumber = text.startsWith('+') ? number?.country ?? mainCountry(number?.countryCallingCode) : undefined;
  throw invalid(input, field, { given: country, ofNumber }, reason);
}

/** E.164 ("+5511987654321") of what a person or integrator typed; see parsePhoneNumber. */
export function normalizeE164(input: string, field = 'displayPhoneNumber', options: Omit<ParsePhoneNumberOptions, 'field'> = {}): string {
  return parsePhoneNumber(input, { ...options, field }).e164;
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

// --- internals ---------------------------------------------------------------------------------

// The fast path, for input already in E.164 (integrators', and every campaign recipient in
// practice): a PhoneNumber made straight from the digits skips libphonenumber's text scanning,
// most of a parse's cost (CPU, warmed up, on the 2-core dev VM: 1.8 µs a number here, 4.3-6 µs
// through the full parse; a 100,000-recipient campaign parses every recipient on the request,
// on the server's event loop). It answers only when the full parse would
// give the same number: the number is valid, and no national prefix could be stripped from it
// (people write "+44 (0)20 …"; the full parse drops that 0). Anything else takes the full parse,
// which also words the error. phone.spec.ts checks the two agree on numbers of every calling code.
function fastInternational(e164: string): ParsedPhoneNumber | undefined {
  let number: PhoneNumber;
  try {
    number = new PhoneNumber(e164, metadata);
  } catch {
    return undefined; // no such calling code, or nothing after it
  }
  const prefix = nationalPrefixPattern(number.countryCallingCode);
  if (prefix?.test(number.nationalNumber)) return undefined;
  return number.isValid() ? wrap(number) : undefined;
}

const prefixPatterns = new Map<string, RegExp | null>();
/** The pattern libphonenumber strips as a national prefix (or carrier code) for this calling code's main country. */
function nationalPrefixPattern(callingCode: string): RegExp | null {
  let pattern = prefixPatterns.get(callingCode);
  if (pattern === undefined) {
    const plans = new Metadata(metadata) as Metadata & { numberingPlan: { nationalPrefixForParsing(): string | undefined } };
    plans.selectNumberingPlan(callingCode as CountryCode); // accepts a calling code too
    const source = plans.numberingPlan.nationalPrefixForParsing();
    pattern = source ? new RegExp(`^(?:${source})`) : null;
    prefixPatterns.set(callingCode, pattern);
  }
  return pattern;
}

function wrap(number: PhoneNumber): ParsedPhoneNumber {
  return new Parsed(number);
}

// A class, not an object literal with a getter: V8 builds the literal's getter anew for every
// number (about 3 µs each, more than the fast path's parse).
class Parsed implements ParsedPhoneNumber {
  readonly e164: string;
  readonly waId: string;
  readonly countryCallingCode: string;
  readonly nationalNumber: string;
  #country: CountryCode | undefined | null;

  constructor(private readonly number: PhoneNumber) {
    this.e164 = number.number;
    this.waId = number.number.slice(1);
    this.countryCallingCode = number.countryCallingCode;
    this.nationalNumber = number.nationalNumber;
    this.#country = number.country ?? null;
  }

  // A PhoneNumber made from digits knows only its calling code; its country needs the
  // country-by-leading-digits lookup, done when asked.
  get country(): CountryCode | undefined {
    if (this.#country === null) this.#country = parsePhoneNumberFromString(this.e164, metadata)?.country;
    return this.#country;
  }

  formatInternational(): string {
    return this.number.formatInternational();
  }
}

const countries = new Set<string>(getCountries(metadata));
function countryOrFail(value: string, field: string): CountryCode {
  const code = value.trim().toUpperCase();
  if (!countries.has(code) || !isSupportedCountry(code as CountryCode, metadata)) {
    throw new ValidationError(`${field}: "${value}" is not a country this can read numbers for (an ISO 3166 code such as BR, US, PT)`, field);
  }
  return code as CountryCode;
}

/** The country that owns a calling code's numbering plan (US for +1), to word an error. */
function mainCountry(callingCode: string | undefined): CountryCode | undefined {
  return callingCode ? metadata.country_calling_codes[callingCode]?.[0] : undefined;
}

const REASONS: Record<string, string> = {
  NOT_A_NUMBER: 'not a number',
  INVALID_COUNTRY: 'no country has this calling code',
  TOO_SHORT: 'too short',
  TOO_LONG: 'too long',
  INVALID_LENGTH: 'a length not in use',
  INVALID_FOR_COUNTRY: 'not a range in use',
};

function example(country: CountryCode): string {
  return getExampleNumber(country, examples, metadata)?.formatInternational() ?? '';
}

/** `to: "123" is not a valid phone number for BR (too short); expected e.g. +55 11 96123 4567`. */
function invalid(input: string, field: string, countries: { given?: CountryCode; ofNumber?: CountryCode }, reason: string): ValidationError {
  const why = REASONS[reason] ?? reason.toLowerCase();
  // The country the digits point to (a "+351 …" typed with BR as default is Portuguese), else the default.
  const country = countries.ofNumber ?? countries.given;
  const mentionsCountry = reason !== 'NOT_A_NUMBER' && reason !== 'INVALID_COUNTRY' && country;
  // Without a default country the wording is the one integrators have seen from the API so far.
  const what = countries.given
    ? `a valid phone number for ${country ?? countries.given} (${why})`
    : `a phone number in E.164 form (${why}${mentionsCountry ? ` for ${country}` : ''})`;
  return new ValidationError(`${field}: "${input}" is not ${what}; expected e.g. ${example(country ?? FALLBACK_EXAMPLE_COUNTRY)}`, field);
}
