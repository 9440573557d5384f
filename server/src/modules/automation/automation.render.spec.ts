import { describe, expect, it } from 'vitest';
import { CONTACT_NAME_FALLBACK, renderPlaceholders, unknownPlaceholders, type RenderContext } from './automation.render.js';

// Runtime placeholders as a customer reads them.

const ctx = (name: string | null, extra: Partial<RenderContext> = {}): RenderContext => ({
  contact: { name }, instance: { name: 'Padaria Real' }, businessHoursToday: '07:00–19:00', ...extra,
});

describe('renderPlaceholders', () => {
  it('fills every known placeholder', () => {
    expect(renderPlaceholders('Olá {{contact.first_name}} ({{contact.name}})! {{instance.name}} abre hoje {{business.hours_today}}.', ctx('Maria Souza')))
      .toBe('Olá Maria (Maria Souza)! Padaria Real abre hoje 07:00–19:00.');
  });

  it('allows spaces inside the braces', () => {
    expect(renderPlaceholders('Oi {{ contact.first_name }}', ctx('João'))).toBe('Oi João');
  });

  it(`falls back to "${CONTACT_NAME_FALLBACK}" when the contact has no name`, () => {
    expect(renderPlaceholders('Olá, {{contact.name}}! / {{contact.first_name}}', ctx(null))).toBe('Olá, cliente! / cliente');
  });

  it('falls back when the profile name has no letters (an emoji, a phone number, blanks)', () => {
    for (const name of ['🌸🌸', '+55 11 99999-0000', '   ']) {
      expect(renderPlaceholders('Olá, {{contact.first_name}}!', ctx(name))).toBe('Olá, cliente!');
    }
  });

  it('takes a caller\'s own fallback word', () => {
    expect(renderPlaceholders('Hi {{contact.name}}', ctx(null, { fallbackName: 'there' }))).toBe('Hi there');
  });

  it('finds the first name past an emoji, and tidies the whitespace of a profile name', () => {
    expect(renderPlaceholders('{{contact.first_name}}', ctx('🌸 Ana  Clara'))).toBe('Ana');
    expect(renderPlaceholders('{{contact.name}}', ctx('  Ana \n Clara '))).toBe('Ana Clara');
  });

  it('leaves unknown dotted placeholders and template variables as written', () => {
    expect(renderPlaceholders('{{contact.phone}} {{business_name}} {{contact.name}}', ctx('Ana'))).toBe('{{contact.phone}} {{business_name}} Ana');
  });

  it('fills in one pass: a profile name that looks like a placeholder stays text', () => {
    expect(renderPlaceholders('Olá {{contact.name}}', ctx('{{instance.name}}'))).toBe('Olá {{instance.name}}');
  });

  it('is case-sensitive: {{Contact.Name}} is not a known placeholder', () => {
    expect(renderPlaceholders('{{Contact.Name}}', ctx('Ana'))).toBe('{{Contact.Name}}');
  });
});

describe('unknownPlaceholders', () => {
  it('lists the dotted placeholders the engine does not fill, once each, in order', () => {
    expect(unknownPlaceholders('{{contact.phone}} {{contact.name}} {{order.total}} {{ contact.phone }}')).toEqual(['contact.phone', 'order.total']);
  });

  it('ignores template variables and known placeholders', () => {
    expect(unknownPlaceholders('{{business_name}} {{contact.first_name}} {{business.hours_today}}')).toEqual([]);
  });
});
