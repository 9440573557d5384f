import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import {
  parseRule, parseRules, type RuleSpec,
} from './rules.schema.js';

// The rule language as a client writes it: what is accepted and stored, and for what is refused,
// the first bad path and why. Pure: nothing here touches a database.

const rule = (extra: Record<string, unknown> = {}) => ({ name: 'r', trigger: { type: 'any_message' }, actions: [{ type: 'mark_read' }], ...extra });
const withAction = (action: unknown) => rule({ actions: [action] });
const withTrigger = (trigger: unknown) => rule({ trigger });
const withCondition = (condition: unknown) => rule({ conditions: [condition] });

/** The ValidationError's message, or a failure if the value was accepted. */
function refusal(value: unknown): string {
  try {
    parseRules(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message;
  }
  throw new Error('expected a ValidationError, the rules were accepted');
}

describe('parseRule', () => {
  it('stores a rule with its defaults: no conditions, stop true', () => {
    expect(parseRule({ name: ' Boas-vindas ', trigger: { type: 'first_message' }, actions: [{ type: 'reply_text', text: 'Olá!' }] }, 'rule')).toEqual({
      name: 'Boas-vindas', trigger: { type: 'first_message' }, conditions: [], actions: [{ type: 'reply_text', text: 'Olá!' }], stop: true,
    });
  });

  it('keeps stop: false', () => {
    expect(parseRule(rule({ stop: false }), 'rule').stop).toBe(false);
  });

  it('turns the legacy single action into a list of one', () => {
    expect(parseRule({ name: 'x', trigger: { type: 'any_message' }, action: { type: 'handoff' } }, 'rule').actions).toEqual([{ type: 'handoff' }]);
  });

  it('names errors in a legacy action by the path as written', () => {
    expect(() => parseRule({ name: 'x', trigger: { type: 'any_message' }, action: { type: 'reply_text' } }, 'rules[4]')).toThrow('rules[4].action.text: must be a non-empty string');
  });

  it('refuses both action and actions', () => {
    expect(() => parseRule({ ...rule(), action: { type: 'handoff' } }, 'rule')).toThrow('rule.action: give either action or actions, not both');
  });

  it('refuses a rule with no action at all', () => {
    expect(() => parseRule({ name: 'x', trigger: { type: 'any_message' } }, 'rule')).toThrow('rule.actions: must be an array');
  });

  it('refuses an empty action list and more than 10 actions, naming the 11th', () => {
    expect(() => parseRule(rule({ actions: [] }), 'rule')).toThrow('rule.actions: at least 1 action');
    expect(() => parseRule(rule({ actions: Array.from({ length: 11 }, () => ({ type: 'mark_read' })) }), 'rule')).toThrow('rule.actions[10]: at most 10 actions');
  });

  it('refuses a stop that is not a boolean', () => {
    expect(() => parseRule(rule({ stop: 'yes' }), 'rule')).toThrow('rule.stop: must be true or false');
  });

  it('refuses a missing or over-long name', () => {
    expect(() => parseRule(rule({ name: '  ' }), 'rule')).toThrow('rule.name: must be a non-empty string');
    expect(() => parseRule(rule({ name: 'x'.repeat(201) }), 'rule')).toThrow('rule.name: must be at most 200 characters');
  });
});

describe('parseRules', () => {
  it('names the first bad path among several rules', () => {
    const buttons = [1, 2, 3, 4].map((i) => ({ id: `b${i}`, title: `B${i}` }));
    const rules = [rule(), rule(), rule({ actions: [{ type: 'reply_buttons', text: 'pick', buttons }, { type: 'reply_text' }] })];
    expect(refusal(rules)).toBe('rules[2].actions[0].buttons[3]: at most 3 buttons');
  });

  it('refuses something that is not a list', () => {
    expect(refusal('nope')).toBe('rules: must be an array');
  });

  it('carries the bad path as the error field, for the dashboard to place it', () => {
    try {
      parseRules([rule({ trigger: { type: 'telepathy' } })]);
    } catch (error) {
      expect((error as ValidationError).details.field).toBe('rules[0].trigger.type');
      return;
    }
    throw new Error('accepted');
  });
});

describe('triggers', () => {
  it.each([
    [{ type: 'first_message' }],
    [{ type: 'outside_business_hours' }],
    [{ type: 'inside_business_hours' }],
    [{ type: 'any_message' }],
    [{ type: 'button_reply', buttonId: 'menu' }],
    [{ type: 'list_reply', rowId: 'pizza' }],
    [{ type: 'message_type', messageTypes: ['image', 'document'] }],
    [{ type: 'keyword', keywords: ['cardápio', 'menu'], match: 'exact' }],
    [{ type: 'keyword', keywords: ['cardápio'], match: 'contains' }],
    [{ type: 'keyword', keywords: ['oi'], match: 'starts_with' }],
    [{ type: 'keyword', keywords: ['^pedido #?\\d+$'], match: 'regex' }],
  ])('accepts %j as written', (trigger) => {
    expect(parseRules([withTrigger(trigger)])[0].trigger).toEqual(trigger);
  });

  it('reads a keyword trigger without match as contains (how stored templates were written)', () => {
    expect(parseRules([withTrigger({ type: 'keyword', keywords: ['x'] })])[0].trigger).toEqual({ type: 'keyword', keywords: ['x'], match: 'contains' });
  });

  it('refuses an unknown match mode', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['x'], match: 'fuzzy' })])).toBe('rules[0].trigger.match: must be one of exact, contains, starts_with, regex');
  });

  it('refuses a keyword that is only punctuation, which would never match', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['menu', '?!'], match: 'contains' })])).toMatch(/^rules\[0\]\.trigger\.keywords\[1\]: has no letters or digits/);
  });

  it('refuses an empty keyword list and more than 50 keywords', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: [] })])).toBe('rules[0].trigger.keywords: at least 1 keyword');
    expect(refusal([withTrigger({ type: 'keyword', keywords: Array.from({ length: 51 }, (_, i) => `k${i}`) })])).toBe('rules[0].trigger.keywords[50]: at most 50 keywords');
  });

  it('refuses a regex that does not compile, with RE2\'s reason', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['ok', '(pedido'], match: 'regex' })])).toBe('rules[0].trigger.keywords[1]: invalid regular expression: missing closing ): `(pedido`');
  });

  it('refuses what RE2 does not support (lookahead, backreferences) rather than running it differently', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['(?=pedido)'], match: 'regex' })])).toMatch(/^rules\[0\]\.trigger\.keywords\[0\]: invalid regular expression: invalid or unsupported Perl syntax/);
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['(a)\\1'], match: 'regex' })])).toMatch(/^rules\[0\]\.trigger\.keywords\[0\]: invalid regular expression: invalid escape sequence/);
  });

  it('refuses a regex whose program is too large to run quickly on a long message', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: ['.{600}x'], match: 'regex' })])).toMatch(/^rules\[0\]\.trigger\.keywords\[0\]: too complex \(compiles to \d+ steps, at most 500\)/);
  });

  it('refuses more than 10 regex keywords in one rule', () => {
    expect(refusal([withTrigger({ type: 'keyword', keywords: Array.from({ length: 11 }, (_, i) => `a${i}`), match: 'regex' })])).toBe('rules[0].trigger.keywords[10]: at most 10 keywords');
  });

  it('refuses a button_reply without an id, and a list_reply without a row id', () => {
    expect(refusal([withTrigger({ type: 'button_reply' })])).toBe('rules[0].trigger.buttonId: must be a non-empty string');
    expect(refusal([withTrigger({ type: 'list_reply', rowId: '' })])).toBe('rules[0].trigger.rowId: must be a non-empty string');
  });

  it('refuses a message type the engine does not know, naming it', () => {
    expect(refusal([withTrigger({ type: 'message_type', messageTypes: ['image', 'hologram'] })])).toBe('rules[0].trigger.messageTypes[1]: must be one of image, audio, video, document, location, contacts, sticker');
  });

  it('lists each message type once', () => {
    expect(parseRules([withTrigger({ type: 'message_type', messageTypes: ['image', 'image', 'audio'] })])[0].trigger).toEqual({ type: 'message_type', messageTypes: ['image', 'audio'] });
  });

  it('refuses an unknown trigger type', () => {
    expect(refusal([withTrigger({ type: 'telepathy' })])).toMatch(/^rules\[0\]\.trigger\.type: must be one of keyword, /);
  });
});

describe('conditions', () => {
  it('stores tags trimmed and lower-case', () => {
    expect(parseRules([withCondition({ type: 'contact_has_tag', tag: '  VIP ' })])[0].conditions).toEqual([{ type: 'contact_has_tag', tag: 'vip' }]);
    expect(parseRules([withCondition({ type: 'contact_lacks_tag', tag: 'Novo' })])[0].conditions).toEqual([{ type: 'contact_lacks_tag', tag: 'novo' }]);
  });

  it('refuses an empty tag and one over 50 characters', () => {
    expect(refusal([withCondition({ type: 'contact_has_tag', tag: ' ' })])).toBe('rules[0].conditions[0].tag: must be a non-empty string');
    expect(refusal([withCondition({ type: 'contact_has_tag', tag: 'x'.repeat(51) })])).toBe('rules[0].conditions[0].tag: must be at most 50 characters');
  });

  it('accepts a cooldown in hours, fractions included', () => {
    expect(parseRules([withCondition({ type: 'cooldown', hours: 0.5 })])[0].conditions).toEqual([{ type: 'cooldown', hours: 0.5 }]);
  });

  it.each([[0], [-1], ['24'], [Number.POSITIVE_INFINITY], [24 * 365 + 1]])('refuses a cooldown of %j hours', (hours) => {
    expect(refusal([withCondition({ type: 'cooldown', hours })])).toMatch(/^rules\[0\]\.conditions\[0\]\.hours: must be a number of hours above 0/);
  });

  it('accepts not_in_handoff', () => {
    expect(parseRules([withCondition({ type: 'not_in_handoff' })])[0].conditions).toEqual([{ type: 'not_in_handoff' }]);
  });

  it('refuses an unknown condition, naming its index', () => {
    expect(refusal([rule({ conditions: [{ type: 'not_in_handoff' }, { type: 'full_moon' }] })])).toMatch(/^rules\[0\]\.conditions\[1\]\.type: must be one of/);
  });

  it('refuses conditions that are not a list', () => {
    expect(refusal([rule({ conditions: { type: 'not_in_handoff' } })])).toBe('rules[0].conditions: must be an array');
  });
});

describe('actions', () => {
  const list = (sections: unknown) => ({ type: 'reply_list', text: 'Escolha', button: 'Ver opções', sections });
  const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, title: `Row ${from + i}` }));

  it.each([
    [{ type: 'reply_text', text: 'Olá, {{contact.first_name}}!' }],
    [{ type: 'reply_buttons', text: 'Escolha', buttons: [{ id: 'a', title: 'Sim' }, { id: 'b', title: 'Não' }] }],
    [{ type: 'reply_list', text: 'Escolha', button: 'Ver', sections: [{ title: 'Pizzas', rows: [{ id: 'p1', title: 'Margherita', description: 'Tomate e manjericão' }] }] }],
    [{ type: 'reply_template', template: 'pedido_pronto', language: 'pt_BR', parameters: ['{{contact.first_name}}', '42'] }],
    [{ type: 'reply_media', mediaType: 'image', link: 'https://cdn.example.com/menu.png', caption: 'Cardápio' }],
    [{ type: 'reply_media', mediaType: 'document', link: 'https://cdn.example.com/menu.pdf', filename: 'menu.pdf' }],
    [{ type: 'mark_read' }],
    [{ type: 'add_tag', tag: 'lead' }],
    [{ type: 'remove_tag', tag: 'lead' }],
    [{ type: 'handoff', note: 'wants a person' }],
    [{ type: 'handoff' }],
  ])('accepts %j as written', (action) => {
    expect(parseRules([withAction(action)])[0].actions).toEqual([action]);
  });

  it('stores tags of tag actions lower-case', () => {
    expect(parseRules([withAction({ type: 'add_tag', tag: ' Lead ' })])[0].actions).toEqual([{ type: 'add_tag', tag: 'lead' }]);
  });

  it('refuses an empty reply text and one over Meta\'s 4,096 characters', () => {
    expect(refusal([withAction({ type: 'reply_text', text: ' ' })])).toBe('rules[0].actions[0].text: must be a non-empty string');
    expect(refusal([withAction({ type: 'reply_text', text: 'x'.repeat(4097) })])).toBe('rules[0].actions[0].text: must be at most 4096 characters');
  });

  it('refuses an unknown runtime placeholder in a text, naming the known ones', () => {
    expect(refusal([withAction({ type: 'reply_text', text: 'Olá {{contact.phone}}' })])).toMatch(/^rules\[0\]\.actions\[0\]\.text: unknown placeholder \{\{contact\.phone\}\}; known: \{\{contact\.name\}\}/);
  });

  it('refuses a runtime placeholder where nothing is rendered (a button title)', () => {
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x', buttons: [{ id: 'a', title: '{{contact.name}}' }] })])).toMatch(/^rules\[0\]\.actions\[0\]\.buttons\[0\]\.title: placeholders such as/);
  });

  it('refuses four buttons, a title over 20 characters, and two buttons alike', () => {
    const b = (id: string, title: string) => ({ id, title });
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x', buttons: [b('a', 'A'), b('b', 'B'), b('c', 'C'), b('d', 'D')] })])).toBe('rules[0].actions[0].buttons[3]: at most 3 buttons');
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x', buttons: [b('a', 'x'.repeat(21))] })])).toBe('rules[0].actions[0].buttons[0].title: must be at most 20 characters');
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x', buttons: [b('a', 'Sim'), b('a', 'Não')] })])).toBe('rules[0].actions[0].buttons[1].id: "a" is used by another button');
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x', buttons: [b('a', 'Sim'), b('b', 'sim')] })])).toBe('rules[0].actions[0].buttons[1].title: "sim" is used by another button');
  });

  it('refuses a buttons body over the interactive limit of 1,024', () => {
    expect(refusal([withAction({ type: 'reply_buttons', text: 'x'.repeat(1025), buttons: [{ id: 'a', title: 'A' }] })])).toBe('rules[0].actions[0].text: must be at most 1024 characters');
  });

  it('counts list rows across sections: the 11th row is named', () => {
    expect(refusal([withAction(list([{ title: 'A', rows: rows(6) }, { title: 'B', rows: rows(5, 6) }]))])).toBe('rules[0].actions[0].sections[1].rows[4]: at most 10 rows in all sections');
  });

  it('accepts exactly 10 rows over two sections', () => {
    expect(parseRules([withAction(list([{ title: 'A', rows: rows(5) }, { title: 'B', rows: rows(5, 5) }]))])[0].actions[0]).toMatchObject({ type: 'reply_list' });
  });

  it('lets a single section go without a title, but not one of several', () => {
    expect(parseRules([withAction(list([{ rows: rows(1) }]))])[0].actions[0]).toEqual({ type: 'reply_list', text: 'Escolha', button: 'Ver opções', sections: [{ rows: rows(1) }] });
    expect(refusal([withAction(list([{ title: 'A', rows: rows(1) }, { rows: rows(1, 1) }]))])).toBe('rules[0].actions[0].sections[1].title: must be a non-empty string');
  });

  it.each([
    ['the list button label over 20', { button: 'x'.repeat(21) }, 'rules[0].actions[0].button: must be at most 20 characters'],
    ['a section title over 24', { sections: [{ title: 'x'.repeat(25), rows: rows(1) }] }, 'rules[0].actions[0].sections[0].title: must be at most 24 characters'],
    ['a row title over 24', { sections: [{ rows: [{ id: 'a', title: 'x'.repeat(25) }] }] }, 'rules[0].actions[0].sections[0].rows[0].title: must be at most 24 characters'],
    ['a row description over 72', { sections: [{ rows: [{ id: 'a', title: 'A', description: 'x'.repeat(73) }] }] }, 'rules[0].actions[0].sections[0].rows[0].description: must be at most 72 characters'],
    ['a row id over 200', { sections: [{ rows: [{ id: 'x'.repeat(201), title: 'A' }] }] }, 'rules[0].actions[0].sections[0].rows[0].id: must be at most 200 characters'],
    ['a row id used twice', { sections: [{ title: 'A', rows: [{ id: 'a', title: 'A' }] }, { title: 'B', rows: [{ id: 'a', title: 'B' }] }] }, 'rules[0].actions[0].sections[1].rows[0].id: "a" is used by another row'],
    ['a section with no rows', { sections: [{ rows: [] }] }, 'rules[0].actions[0].sections[0].rows: at least 1 row'],
    ['eleven sections', { sections: Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, i) })) }, 'rules[0].actions[0].sections[10]: at most 10 sections'],
  ])('refuses %s in a list', (_label, change, message) => {
    expect(refusal([withAction({ ...list([{ rows: rows(1) }]), ...change })])).toBe(message);
  });

  it('refuses a template name or language Meta would not know', () => {
    expect(refusal([withAction({ type: 'reply_template', template: 'Pedido Pronto', language: 'pt_BR' })])).toMatch(/^rules\[0\]\.actions\[0\]\.template: must be a Meta template name/);
    expect(refusal([withAction({ type: 'reply_template', template: 'pedido', language: 'portuguese' })])).toMatch(/^rules\[0\]\.actions\[0\]\.language: must be a Meta language code/);
  });

  it('reads a template without parameters as none, and refuses an empty parameter', () => {
    expect(parseRules([withAction({ type: 'reply_template', template: 'oi', language: 'en' })])[0].actions[0]).toEqual({ type: 'reply_template', template: 'oi', language: 'en', parameters: [] });
    expect(refusal([withAction({ type: 'reply_template', template: 'oi', language: 'en', parameters: ['a', ''] })])).toBe('rules[0].actions[0].parameters[1]: must be a non-empty string');
  });

  it.each([
    ['http', 'http://cdn.example.com/a.png'],
    ['no scheme', 'cdn.example.com/a.png'],
    ['a data URL', 'data:image/png;base64,AAAA'],
  ])('refuses a media link over %s', (_label, link) => {
    expect(refusal([withAction({ type: 'reply_media', mediaType: 'image', link })])).toBe('rules[0].actions[0].link: must be an https:// URL');
  });

  it('refuses a media type other than image or document, and a file name on an image', () => {
    expect(refusal([withAction({ type: 'reply_media', mediaType: 'video', link: 'https://x.example/a.mp4' })])).toBe('rules[0].actions[0].mediaType: must be one of image, document');
    expect(refusal([withAction({ type: 'reply_media', mediaType: 'image', link: 'https://x.example/a.png', filename: 'a.png' })])).toBe('rules[0].actions[0].filename: only a document has a file name');
  });

  it('refuses a caption over 1,024 characters', () => {
    expect(refusal([withAction({ type: 'reply_media', mediaType: 'image', link: 'https://x.example/a.png', caption: 'x'.repeat(1025) })])).toBe('rules[0].actions[0].caption: must be at most 1024 characters');
  });

  it('refuses an unknown action type', () => {
    expect(refusal([withAction({ type: 'send_fax' })])).toMatch(/^rules\[0\]\.actions\[0\]\.type: must be one of reply_text, /);
  });
});
