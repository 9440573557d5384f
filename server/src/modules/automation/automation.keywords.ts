import { RE2JS, RE2JSException } from 're2js';

// How keyword triggers read a customer's text. Customers type "Cardápio!", "CARDAPIO", "*cardapio*"
// (WhatsApp's bold) or "  cardápio   por favor": a rule written as "cardapio" must see all of them,
// so the message and the keywords go through one normalisation and are compared after it.

export type KeywordMatch = 'exact' | 'contains' | 'starts_with' | 'regex';

// The Combining Diacritical Marks block: what NFD splits off "á", "ç", "ñ", "ü". Only this block is
// removed, not every mark (\p{M}), because in scripts such as Devanagari or Thai the marks are vowels
// and removing them would change the word.
const DIACRITICS = /[\u0300-\u036f]/g;
// Zero-width joiners, BOM and other invisible format characters that phones paste into text.
const FORMAT = /\p{Cf}/gu;
const WHITESPACE = /\s+/gu;
// Punctuation and WhatsApp's formatting markers (* _ ~ `) at either end of the text do not change
// what was asked: "Cardápio?", "*cardápio*" and "¿horario?" are the word. Tested one character at a
// time (no `[...]+$` regex, whose backtracking is quadratic on a long run of punctuation).
const EDGE = /[\p{P}\p{Sk}~]/u;
const WORD = /[\p{L}\p{N}]/u;

/**
 * The text keyword triggers compare: lower-case, accents and compatibility forms folded ("Ｃａｆé" →
 * "cafe"), invisible format characters dropped, whitespace collapsed to single spaces, trimmed, and
 * punctuation or formatting markers at either end removed. Inner punctuation stays ("r$ 10,00").
 */
export function normalizeText(text: string): string {
  const folded = text.toLowerCase().normalize('NFKD').replace(DIACRITICS, '').replace(FORMAT, '').normalize('NFC')
    .replace(WHITESPACE, ' ');
  return trimEdges(folded);
}

function trimEdges(text: string): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && (chars[start] === ' ' || EDGE.test(chars[start]))) start++;
  while (end > start && (chars[end - 1] === ' ' || EDGE.test(chars[end - 1]))) end--;
  return chars.slice(start, end).join('');
}

/** A regex pattern's literal letters folded like the text ("cardápio|menu" must meet "cardapio"). */
function foldPattern(pattern: string): string {
  // Canonical decomposition only (NFD, not NFKD): compatibility folding would turn "…" into "...",
  // which a regex reads as three wildcards. Case is left to RE2's (?i): lower-casing a pattern would
  // turn \D, \W, \S or \P{Lu} into their opposites.
  return pattern.normalize('NFD').replace(DIACRITICS, '').normalize('NFC');
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && WORD.test(ch);
/** The character (code point) that ends just before index i, or undefined at the start. */
function charBefore(text: string, i: number): string | undefined {
  if (i === 0) return undefined;
  const unit = text.charCodeAt(i - 1);
  return unit >= 0xdc00 && unit <= 0xdfff && i >= 2 ? text.slice(i - 2, i) : text[i - 1];
}
/** The character (code point) that starts at index i, or undefined at the end. */
const charAt = (text: string, i: number): string | undefined => (i >= text.length ? undefined : String.fromCodePoint(text.codePointAt(i)!));

/**
 * Does the normalised keyword occur in the normalised text as whole words? Chosen over a plain
 * substring because short keywords are common and a substring would fire on other words: "oi"
 * (hi) inside "depois" or "oito", "menu" inside "menudo". The boundary is only required on a side
 * where the keyword itself starts or ends with a letter or digit, so "r$" or "?" still match where
 * they stand. The cost: plurals are other words ("cardapios"); list them, or use a regex.
 */
function occursAsWords(text: string, keyword: string, onlyAtStart: boolean): boolean {
  const needsBefore = isWordChar(charAt(keyword, 0));
  const needsAfter = isWordChar(charBefore(keyword, keyword.length));
  const standsAlone = (i: number): boolean =>
    (!needsBefore || !isWordChar(charBefore(text, i))) && (!needsAfter || !isWordChar(charAt(text, i + keyword.length)));
  if (onlyAtStart) return text.startsWith(keyword) && standsAlone(0);
  for (let i = text.indexOf(keyword); i !== -1; i = text.indexOf(keyword, i + 1)) if (standsAlone(i)) return true;
  return false;
}

// ---- regex keywords ---------------------------------------------------------------------------

/** Longest pattern a tenant may write. */
export const REGEX_MAX_LENGTH = 200;
/**
 * RE2 runs in time linear in the text, but the constant is the size of the compiled program: when a
 * pattern defeats the DFA (e.g. `[ab]*a[ab]{20}c`, whose DFA would need 2^20 states) RE2 steps every
 * instruction for every character. Capping the program bounds a pattern's worst case on a 4,096-
 * character message; ordinary patterns (a CEP `\d{5}-?\d{3}`, an alternation of words) use 10 to 100.
 */
export const REGEX_MAX_PROGRAM = 500;

const compiled = new Map<string, RE2JS>();
const COMPILED_CACHE_MAX = 2_000;

/** Why RE2 refuses a pattern, in its own words, or null when it compiles within the limits. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length > REGEX_MAX_LENGTH) return `must be at most ${REGEX_MAX_LENGTH} characters`;
  try {
    // Compiled once without flags so RE2's message quotes the tenant's own pattern (with the flag it
    // quotes "(?i)" too), then as the engine runs it.
    RE2JS.compile(pattern);
    const size = programSize(compileRegex(pattern));
    if (size !== null && size > REGEX_MAX_PROGRAM) {
      return `too complex (compiles to ${size} steps, at most ${REGEX_MAX_PROGRAM}): use fewer or smaller counted repetitions such as {100}`;
    }
    return null;
  } catch (error) {
    if (error instanceof RE2JSException) return `invalid regular expression: ${error.message.replace(/^error parsing regexp: /, '')}`;
    throw error;
  }
}

/** The pattern as the engine runs it: accents folded, case-insensitive. Cached: rules repeat. */
export function compileRegex(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (!re) {
    re = RE2JS.compile(foldPattern(pattern), RE2JS.CASE_INSENSITIVE);
    if (compiled.size >= COMPILED_CACHE_MAX) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

// re2js does not publish its program size; read it where it is, and skip the check if a future
// version moves it (the length cap still holds).
function programSize(re: RE2JS): number | null {
  const inst = (re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } }).re2Input?.prog?.inst;
  return Array.isArray(inst) ? inst.length : null;
}

/**
 * The first keyword (as the tenant wrote it) that matches the normalised text, or null. Keywords are
 * normalised here, not at write time, so the dashboard shows them as written.
 */
export function matchKeywords(normalizedText: string, keywords: readonly string[], match: KeywordMatch): string | null {
  for (const keyword of keywords) {
    if (match === 'regex') {
      if (compileRegex(keyword).test(normalizedText)) return keyword;
      continue;
    }
    const k = normalizeText(keyword);
    if (k === '') continue;
    if (match === 'exact' ? normalizedText === k : occursAsWords(normalizedText, k, match === 'starts_with')) return keyword;
  }
  return null;
}
