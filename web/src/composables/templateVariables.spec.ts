import { describe, expect, it } from 'vitest';
import { GraphQLRequestError } from '../api/client';
import type { RuleTemplateVariable } from '../api/types';
import { checkValues, describeValue, exampleValues, initialValues, labelOf, parseAmount, variableErrorsOf, variableOfPath, variablesPayload } from './templateVariables';

const variable = (name: string, over: Partial<RuleTemplateVariable> = {}): RuleTemplateVariable => ({ name, type: 'text', label: name, help: '', required: true, default: null, example: null, options: null, country: null, ...over });
const restaurant = [
  variable('business_name', { label: 'Nome do negócio', example: 'Cantina da Nona' }),
  variable('menu_url', { type: 'url', example: 'https://example.com/cardapio' }),
  variable('opening_hours', { type: 'weekly_hours', example: { days: [{ day: 2, open: '11:30', close: '23:00' }, { day: 0, open: '11:30', close: '15:00' }] } }),
  variable('delivery_fee', { type: 'money', label: 'Taxa de entrega', example: { amount: 7.9, currency: 'BRL' } }),
  variable('greeting', { type: 'multiline', required: false, default: 'Olá!' }),
  variable('payment', { type: 'choice', options: [{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'Cartão' }] }),
];

describe('templateVariables', () => {
  describe('initialValues', () => {
    it('opens each input with its default, an amount with the currency of its example, a schedule with no day', () => {
      expect(initialValues(restaurant)).toEqual({
        business_name: '', menu_url: '', opening_hours: { days: [] }, delivery_fee: { amount: '', currency: 'BRL' }, greeting: 'Olá!', payment: '',
      });
    });

    it('opens with the values given before (an applied template), a schedule in day order', () => {
      const values = initialValues(restaurant, { delivery_fee: { amount: 5, currency: 'USD' }, opening_hours: { days: [{ day: 5, open: '18:00', close: '02:00' }, { day: 1, open: '09:00', close: '12:00' }] } });
      expect(values.delivery_fee).toEqual({ amount: '5', currency: 'USD' });
      expect(values.opening_hours).toEqual({ days: [{ day: 1, open: '09:00', close: '12:00' }, { day: 5, open: '18:00', close: '02:00' }] });
    });

    it('fills every input with its example on request', () => {
      expect(exampleValues(restaurant)).toMatchObject({ business_name: 'Cantina da Nona', delivery_fee: { amount: '7.9', currency: 'BRL' }, greeting: 'Olá!' });
    });
  });

  describe('parseAmount', () => {
    it.each([
      ['7,90', 7.9], ['7.90', 7.9], ['12', 12], ['R$ 1.234,56', 1234.56], ['1,234.56', 1234.56], ['1.234', 1234], ['0,5', 0.5], [' 15 ', 15],
    ])('reads %s as %d', (text, amount) => {
      expect(parseAmount(text)).toBe(amount);
    });

    it.each(['', 'abc', '7,9,0x', '--1'])('refuses %j', (text) => {
      expect(parseAmount(text)).toBeNaN();
    });
  });

  describe('variablesPayload', () => {
    it('sends each value in the shape its type takes, trimmed, and leaves blanks out so defaults apply', () => {
      const values = {
        ...initialValues(restaurant),
        business_name: '  Cantina Boa ', menu_url: 'https://boa.example/menu',
        opening_hours: { days: [{ day: 3, open: '18:00', close: '23:00' }, { day: 1, open: '18:00', close: '23:00' }] },
        delivery_fee: { amount: '6,50', currency: 'brl' }, greeting: '   ', payment: 'pix',
      };
      expect(variablesPayload(restaurant, values)).toEqual({
        business_name: 'Cantina Boa', menu_url: 'https://boa.example/menu',
        opening_hours: { days: [{ day: 1, open: '18:00', close: '23:00' }, { day: 3, open: '18:00', close: '23:00' }] },
        delivery_fee: { amount: 6.5, currency: 'BRL' }, payment: 'pix',
      });
    });

    it('sends an unreadable amount as typed, for the server to name the variable and what it expects', () => {
      expect(variablesPayload(restaurant, { delivery_fee: { amount: 'sete', currency: 'BRL' } })).toEqual({ delivery_fee: { amount: 'sete', currency: 'BRL' } });
    });
  });

  describe('checkValues', () => {
    it('reports required variables left blank (a schedule with no open day is blank), and an amount that is not one', () => {
      const problems = checkValues(restaurant, { ...initialValues(restaurant), business_name: ' ', delivery_fee: { amount: 'sete', currency: 'BRL' }, payment: 'pix' });
      expect(problems).toEqual({ business_name: 'required', menu_url: 'required', opening_hours: 'required: add the days and hours you are open', delivery_fee: 'expected an amount, e.g. 7,90' });
    });

    it('passes a filled form; a blank variable with a default is fine', () => {
      const values = { ...exampleValues(restaurant), greeting: '', payment: 'card' };
      expect(checkValues(restaurant, values)).toEqual({});
    });
  });

  describe('variableErrorsOf', () => {
    it('finds the variable an error path names', () => {
      expect(variableOfPath('variables.delivery_fee')).toBe('delivery_fee');
      expect(variableOfPath('input.variables.opening_hours.days[0].open')).toBe('opening_hours');
      expect(variableOfPath('instanceId')).toBeNull();
    });

    it('puts a refused value under its variable, without repeating the label', () => {
      const refused = new GraphQLRequestError([{ message: 'variables.delivery_fee: Taxa de entrega: expected an ISO 4217 currency code such as BRL or USD', extensions: { code: 'VALIDATION_FAILED', field: 'variables.delivery_fee' } }], 200);
      expect(variableErrorsOf(refused)).toEqual({ fields: { delivery_fee: 'expected an ISO 4217 currency code such as BRL or USD' }, form: null });
    });

    it('marks missing and unknown variables each under its own input', () => {
      const refused = new GraphQLRequestError([{ message: 'variables: missing values for menu_url (Link)', extensions: { code: 'VALIDATION_FAILED', field: 'variables', missing: ['menu_url'], unknown: ['extra'] } }], 200);
      expect(variableErrorsOf(refused)).toEqual({ fields: { menu_url: 'required', extra: 'not a variable of this template' }, form: null });
    });

    it('keeps the form-level notice for what names no input', () => {
      const refused = new GraphQLRequestError([{ message: 'version: template "x" has no version 9', extensions: { code: 'VALIDATION_FAILED', field: 'version' } }], 200);
      expect(variableErrorsOf(refused).form?.message).toContain('no version 9');
      const forbidden = new GraphQLRequestError([{ message: 'not yours', extensions: { code: 'FORBIDDEN' } }], 200);
      expect(variableErrorsOf(forbidden)).toEqual({ fields: {}, form: { code: 'FORBIDDEN', message: 'not yours' } });
    });
  });

  it('describes a value for a summary', () => {
    expect(describeValue(restaurant[3], { amount: 7.9, currency: 'BRL' }, 'pt-BR')).toMatch(/R\$\s7,90/);
    expect(describeValue(restaurant[2], { days: [{ day: 1, open: '09:00', close: '18:00' }] })).toBe('Mon 09:00–18:00');
    const tuesdayToSunday = [0, 2, 3, 4, 5, 6].map((day) => ({ day, open: '11:30', close: '23:00' }));
    expect(describeValue(restaurant[2], { days: [...tuesdayToSunday, { day: 1, open: '18:00', close: '22:00' }] })).toBe('Mon 18:00–22:00; Tue–Sun 11:30–23:00');
    expect(describeValue(restaurant[2], { days: [{ day: 1, open: '09:00', close: '12:00' }, { day: 3, open: '09:00', close: '12:00' }] })).toBe('Mon, Wed 09:00–12:00');
    expect(describeValue(restaurant[5], 'card')).toBe('Cartão');
  });

  it('labels snake_case names for people', () => {
    expect(labelOf('business_name')).toBe('Business name');
  });
});
