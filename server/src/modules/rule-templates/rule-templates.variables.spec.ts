import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { displayValue, parseValue, parseVariableSpecs, resolveValues, type TemplateVariable } from './rule-templates.variables.js';

const variable = (type: TemplateVariable['type'], extra: Partial<TemplateVariable> = {}): TemplateVariable => ({ name: 'v', type, label: 'The value', help: '', example: null, required: true, ...extra });
const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message;
  }
  throw new Error('expected a ValidationError');
};

describe('parseValue', () => {
  const cases: [TemplateVariable['type'], unknown, unknown, unknown, RegExp][] = [
    // type, good value, its normalised form, a bad value, what the error says it expects
    ['text', '  Cantina da Nona ', 'Cantina da Nona', 'line one\nline two', /one line of text/],
    ['multiline', 'Centro\nPinheiros', 'Centro\nPinheiros', '', /non-empty text/],
    ['phone', '+55 11 9 8765 4321', '+5511987654321', '123', /not a valid phone number|phone number/],
    ['url', 'https://example.com/cardapio', 'https://example.com/cardapio', 'example dot com', /web address/],
    ['email', ' Contato@Example.com ', 'contato@example.com', 'contato@', /e-mail address/],
    ['money', { amount: 7.9, currency: 'brl' }, { amount: 7.9, currency: 'BRL' }, { amount: -1, currency: 'BRL' }, /amount and a currency/],
    ['time', '18:30', '18:30', '25:00', /HH:MM/],
    ['weekly_hours', [{ day: 1, open: '09:00', close: '18:00' }], { days: [{ day: 1, open: '09:00', close: '18:00' }] }, [{ day: 9, open: '09:00', close: '18:00' }], /day/],
  ];
  for (const [type, good, normalised, bad, expects] of cases) {
    it(`${type}: takes ${JSON.stringify(good)} and refuses ${JSON.stringify(bad)}, naming the variable`, () => {
      expect(parseValue(variable(type), good, 'variables.v')).toEqual(normalised);
      const message = refused(() => parseValue(variable(type), bad, 'variables.v'));
      expect(message).toMatch(/^variables\.v/);
      expect(message).toMatch(expects);
    });
  }

  it('phone: reads a national number by the variable\'s country', () => {
    expect(parseValue(variable('phone', { country: 'BR' }), '(11) 98765-4321', 'variables.v')).toBe('+5511987654321');
  });

  it('money: refuses a currency that is not ISO 4217', () => {
    expect(refused(() => parseValue(variable('money'), { amount: 1, currency: 'REAL' }, 'variables.v'))).toMatch(/ISO 4217/);
  });

  it('choice: takes one of its options, and nothing else', () => {
    const choice = variable('choice', { options: [{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'Cartão' }] });
    expect(parseValue(choice, 'pix', 'variables.v')).toBe('pix');
    expect(refused(() => parseValue(choice, 'cash', 'variables.v'))).toMatch(/one of pix, card/);
  });
});

describe('parseVariableSpecs', () => {
  it('checks each declaration, its default and its example as values of its type', () => {
    expect(refused(() => parseVariableSpecs([{ name: 'Bad Name', type: 'text' }]))).toMatch(/^variables\[0\]\.name/);
    expect(refused(() => parseVariableSpecs([{ name: 'a', type: 'colour' }]))).toMatch(/^variables\[0\]\.type/);
    expect(refused(() => parseVariableSpecs([{ name: 'a', type: 'choice' }]))).toMatch(/^variables\[0\]\.options/);
    expect(refused(() => parseVariableSpecs([{ name: 'a', type: 'url', example: 'nope' }]))).toMatch(/^variables\[0\]\.example/);
    expect(refused(() => parseVariableSpecs([{ name: 'a' }, { name: 'a' }]))).toMatch(/duplicate/);
  });

  it('reads a declaration stored before types existed as text, its description as its label', () => {
    expect(parseVariableSpecs([{ name: 'business_name', description: 'Your business name', required: true }])).toEqual([
      { name: 'business_name', type: 'text', label: 'Your business name', help: '', example: null, required: true },
    ]);
  });
});

describe('resolveValues', () => {
  const specs = parseVariableSpecs([
    { name: 'name', type: 'text', required: true },
    { name: 'fee', type: 'money', required: false, default: { amount: 5, currency: 'BRL' } },
    { name: 'note', type: 'multiline', required: false },
  ]);

  it('uses defaults for values not given, and names every missing or unknown variable', () => {
    expect(resolveValues(specs, { name: 'Ana' })).toEqual({ name: 'Ana', fee: { amount: 5, currency: 'BRL' } });
    expect(refused(() => resolveValues(specs, {}))).toMatch(/missing values for name/);
    expect(refused(() => resolveValues(specs, { name: 'Ana', colour: 'blue' }))).toMatch(/unknown variables: colour/);
  });
});

describe('displayValue', () => {
  it('shows money and weekly hours the way people of the language write them', () => {
    expect(displayValue({ type: 'money' }, { amount: 7.9, currency: 'BRL' }, 'pt-BR').replace(/\s/g, ' ')).toBe('R$ 7,90');
    expect(displayValue({ type: 'money' }, { amount: 7.9, currency: 'USD' }, 'en')).toBe('$7.90');
    const hours = { days: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '18:00' })).concat([{ day: 6, open: '09:00', close: '13:00' }]) };
    expect(displayValue({ type: 'weekly_hours' }, hours, 'pt-BR')).toBe('seg–sex 09:00–18:00; sáb 09:00–13:00');
    expect(displayValue({ type: 'weekly_hours' }, { days: [] }, 'en')).toBe('closed');
  });
});
