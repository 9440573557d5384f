import { describe, expect, it } from 'vitest';
import { matchKeywords, normalizeText, regexProblem } from './automation.keywords.js';

// How keyword triggers read text: one normalisation for the message and the keywords, four match
// modes. The engine spec covers the same through evaluateRules; this one pins the edges.

const matches = (text: string, keyword: string, mode: Parameters<typeof matchKeywords>[2]): boolean =>
  matchKeywords(normalizeText(text), [keyword], mode) !== null;

describe('normalizeText', () => {
  it.each([
    ['Cardápio', 'cardapio'],
    ['CARDÁPIO!', 'cardapio'],
    ['  Cardápio,   por   favor  ', 'cardapio, por favor'],
    ['*Cardápio*', 'cardapio'],
    ['¿Horário?', 'horario'],
    ['Ação, CORAÇÃO, pão', 'acao, coracao, pao'],
    ['Ｃａｒｄáｐｉｏ', 'cardapio'],
    ['car\u200bdápio', 'cardapio'],
    ['linha 1\nlinha 2\t fim...', 'linha 1 linha 2 fim'],
    ['R$ 10,00', 'r$ 10,00'],
    ['!!!', ''],
  ])('%j → %j', (text, expected) => {
    expect(normalizeText(text)).toBe(expected);
  });

  it('keeps marks that are letters in other scripts (Devanagari vowel signs)', () => {
    expect(normalizeText('नमस्ते')).toBe('नमस्ते');
  });

  it('runs in linear time on a long run of punctuation (no backtracking trim)', () => {
    // A `[\p{P}]+$` regex retries from every '!' of the first run: 20,000² steps, seconds.
    const text = `${'!'.repeat(20_000)}a${'!'.repeat(20_000)}`;
    const started = performance.now();
    expect(normalizeText(text)).toBe('a');
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('matchKeywords', () => {
  describe('exact', () => {
    it('compares the whole normalised text', () => {
      expect(matches('Cardápio!', 'cardapio', 'exact')).toBe(true);
      expect(matches('  CARDAPIO  ', 'Cardápio', 'exact')).toBe(true);
      expect(matches('o cardápio', 'cardapio', 'exact')).toBe(false);
    });

    it('collapses inner whitespace on both sides', () => {
      expect(matches('quero   pedir', 'Quero pedir', 'exact')).toBe(true);
    });
  });

  describe('contains', () => {
    it('finds the keyword as a word anywhere', () => {
      expect(matches('Oi, me manda o CARDÁPIO por favor', 'cardapio', 'contains')).toBe(true);
      expect(matches('cardápio', 'cardapio', 'contains')).toBe(true);
    });

    it('does not fire inside another word', () => {
      expect(matches('depois eu vejo', 'oi', 'contains')).toBe(false);
      expect(matches('oito pizzas', 'oi', 'contains')).toBe(false);
      expect(matches('cardapios', 'cardapio', 'contains')).toBe(false);
    });

    it('finds a later whole-word occurrence after an embedded one', () => {
      expect(matches('depois oi', 'oi', 'contains')).toBe(true);
    });

    it('matches a phrase across collapsed whitespace', () => {
      expect(matches('eu quero\n\nfalar com atendente', 'falar com', 'contains')).toBe(true);
    });

    it('needs no boundary on a side where the keyword ends in a symbol', () => {
      expect(matches('quanto custa em r$?', 'r$', 'contains')).toBe(true);
    });

    it('treats digits as part of words', () => {
      expect(matches('pedido 123', '12', 'contains')).toBe(false);
      expect(matches('pedido 12', '12', 'contains')).toBe(true);
    });
  });

  describe('starts_with', () => {
    it('fires when the text begins with the keyword as a word', () => {
      expect(matches('Oi! Tudo bem?', 'oi', 'starts_with')).toBe(true);
      expect(matches('cardápio de hoje', 'cardapio', 'starts_with')).toBe(true);
    });

    it('does not fire on a keyword later in the text or on a longer first word', () => {
      expect(matches('e aí, oi', 'oi', 'starts_with')).toBe(false);
      expect(matches('oitenta reais', 'oi', 'starts_with')).toBe(false);
    });
  });

  describe('regex', () => {
    it('runs on the normalised text, case-insensitive, with the pattern\'s accents folded', () => {
      expect(matches('Quero ver o CARDÁPIO', 'card[aá]pio|menu', 'regex')).toBe(true);
      expect(matches('Quero ver o CARDAPIO', 'cardápio', 'regex')).toBe(true);
      expect(matches('PEDIDO #4521', '^pedido #?\\d{3,}$', 'regex')).toBe(true);
      expect(matches('pedido #45', '^pedido #?\\d{3,}$', 'regex')).toBe(false);
    });

    it('keeps \\D, \\W and \\P{...} meaning what they say (case is not folded by lower-casing the pattern)', () => {
      expect(matches('ABC', '^\\D+$', 'regex')).toBe(true);
      expect(matches('abc', '^\\p{Lu}+$', 'regex')).toBe(true); // (?i) makes a class of capitals take small letters too
    });

    it('answers the first keyword that matched, as written', () => {
      expect(matchKeywords(normalizeText('menu'), ['pizza', 'ME+NU'], 'regex')).toBe('ME+NU');
    });
  });
});

describe('regexProblem', () => {
  it('accepts ordinary patterns', () => {
    expect(regexProblem('\\d{5}-?\\d{3}')).toBeNull();
    expect(regexProblem('(?:pizza|esfiha)s?')).toBeNull();
  });

  it('gives RE2\'s reason for a pattern that does not compile, quoting the tenant\'s pattern', () => {
    expect(regexProblem('[a-')).toBe('invalid regular expression: missing closing ]: `[a-`');
  });

  it('refuses a pattern over 200 characters', () => {
    expect(regexProblem('a'.repeat(201))).toBe('must be at most 200 characters');
  });

  it('refuses a program too large to bound, and accepts one just under the cap', () => {
    expect(regexProblem('(.{0,50}){0,20}x')).toMatch(/^too complex/);
    expect(regexProblem('.{400}x')).toBeNull();
  });
});
