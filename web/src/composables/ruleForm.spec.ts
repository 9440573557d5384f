import { describe, expect, it } from 'vitest';
import { GraphQLRequestError } from '../api/client';
import type { AutomationRule, RuleTrigger } from '../api/types';
import {
  actionOf, describeTrigger, draftOf, emptyRule, errorSlots, moved, newAction, newButton, newRow, newSection, placeError, replyIdsOf, ruleErrorsOf, ruleInputOf, zonedTimeToUtc,
} from './ruleForm';

const stored = (over: Partial<AutomationRule> = {}): AutomationRule => ({
  id: 'r1', tenantId: 't', instanceId: 'i', name: 'Cardápio', position: 0, enabled: true, stop: false, runCount: 3, lastRunAt: null, ruleTemplateId: null,
  trigger: { type: 'keyword', keywords: ['cardápio', 'menu'], match: 'contains' },
  conditions: [{ type: 'contact_lacks_tag', tag: 'vip' }, { type: 'cooldown', hours: 12 }, { type: 'not_in_handoff' }],
  actions: [
    { type: 'reply_text', text: 'Olá {{contact.first_name}}!' },
    { type: 'reply_buttons', text: 'Escolha', buttons: [{ id: 'pizza', title: 'Pizza' }, { id: 'massa', title: 'Massa' }] },
    { type: 'reply_list', text: 'Menu', button: 'Ver', sections: [{ title: 'Pratos', rows: [{ id: 'a', title: 'A', description: 'primeiro' }] }, { title: 'Bebidas', rows: [{ id: 'b', title: 'B' }] }] },
    { type: 'reply_template', template: 'boas_vindas', language: 'pt_BR', parameters: ['{{contact.name}}'] },
    { type: 'reply_media', mediaType: 'document', link: 'https://example.com/menu.pdf', caption: 'Cardápio', filename: 'menu.pdf' },
    { type: 'mark_read' },
    { type: 'add_tag', tag: 'menu' },
    { type: 'remove_tag', tag: 'novo' },
    { type: 'handoff', note: 'pediu atendente' },
  ],
  ...over,
});

const validation = (field: string, message: string) => new GraphQLRequestError([{ message: `${field}: ${message}`, extensions: { code: 'VALIDATION_FAILED', field } }], 200);

describe('draftOf / ruleInputOf', () => {
  it('gives back the stored rule unchanged, every trigger field, condition and action type', () => {
    const rule = stored();
    const { name, enabled, stop, trigger, conditions, actions } = rule;
    expect(ruleInputOf(draftOf(rule))).toEqual({ name, enabled, stop, trigger, conditions, actions });
  });

  it.each([
    { type: 'first_message' }, { type: 'any_message' }, { type: 'outside_business_hours' }, { type: 'inside_business_hours' },
    { type: 'button_reply', buttonId: 'pizza' }, { type: 'list_reply', rowId: 'a' }, { type: 'message_type', messageTypes: ['image', 'audio'] },
  ] as RuleTrigger[])('round-trips the $type trigger with only its own fields', (trigger) => {
    expect(ruleInputOf(draftOf(stored({ trigger }))).trigger).toEqual(trigger);
  });

  it('starts a new rule as a keyword rule that stops, enabled, with one text reply', () => {
    expect(ruleInputOf(emptyRule())).toEqual({ name: '', enabled: true, stop: true, trigger: { type: 'keyword', keywords: [], match: 'contains' }, conditions: [], actions: [{ type: 'reply_text', text: '' }] });
  });
});

describe('actionOf', () => {
  it('keeps what was typed for other types when the type changes', () => {
    const action = { ...newAction('reply_text'), text: 'Escolha uma opção' };
    action.type = 'reply_buttons';
    action.buttons = [newButton('Ver cardápio'), newButton('Falar com alguém')];
    expect(actionOf(action)).toEqual({ type: 'reply_buttons', text: 'Escolha uma opção', buttons: [{ id: 'ver_cardapio', title: 'Ver cardápio' }, { id: 'falar_com_alguem', title: 'Falar com alguém' }] });
  });

  it('keeps ids typed by hand and makes list row ids unique across sections', () => {
    const action = { ...newAction('reply_list'), text: 'Menu', listButton: 'Ver', sections: [newSection('A'), newSection('B')] };
    action.sections[0].rows = [newRow('Pizza'), newRow('Massa', 'massa_1')];
    action.sections[1].rows = [newRow('Pizza')];
    const list = actionOf(action);
    expect(list).toMatchObject({ sections: [{ title: 'A', rows: [{ id: 'pizza' }, { id: 'massa_1' }] }, { title: 'B', rows: [{ id: 'pizza_2' }] }] });
  });

  it('leaves blank optional fields out (caption, file name, note, section title, row description)', () => {
    expect(actionOf({ ...newAction('reply_media'), link: 'https://x.test/a.png', caption: ' ', filename: 'ignored.pdf' })).toEqual({ type: 'reply_media', mediaType: 'image', link: 'https://x.test/a.png' });
    expect(actionOf({ ...newAction('handoff'), note: '' })).toEqual({ type: 'handoff' });
    const list = actionOf({ ...newAction('reply_list'), text: 'x', listButton: 'y' });
    expect(list).toEqual({ type: 'reply_list', text: 'x', button: 'y', sections: [{ rows: [{ id: 'button', title: '' }] }] });
  });
});

describe('placeError', () => {
  const slots = errorSlots(draftOf(stored()));

  it('puts an error under the field its path names, without the input. prefix', () => {
    expect(placeError('input.actions[1].buttons[0].title', slots)).toEqual({ slot: 'actions[1].buttons[0].title', rest: '' });
    expect(placeError('input.name', slots)).toEqual({ slot: 'name', rest: '' });
    expect(placeError('input.conditions[1].hours', slots)).toEqual({ slot: 'conditions[1].hours', rest: '' });
  });

  it('puts an item past a limit under its list (a fourth button)', () => {
    expect(placeError('input.actions[1].buttons[3]', slots)).toEqual({ slot: 'actions[1].buttons', rest: '[3]' });
    expect(placeError('input.trigger.keywords[1]', slots)).toEqual({ slot: 'trigger.keywords', rest: '[1]' });
  });

  it('places nothing the form does not show', () => {
    expect(placeError('input.instanceId', slots)).toBeNull();
  });
});

describe('ruleErrorsOf', () => {
  it('shows a validation error next to its field, the keyword named', () => {
    const draft = draftOf(stored({ trigger: { type: 'keyword', keywords: ['ok', '(unclosed'], match: 'regex' } }));
    expect(ruleErrorsOf(validation('input.trigger.keywords[1]', 'invalid pattern: missing )'), draft)).toEqual({ fields: { 'trigger.keywords': '"(unclosed": invalid pattern: missing )' }, form: null });
    expect(ruleErrorsOf(validation('input.actions[1].buttons[3]', 'at most 3 buttons'), draft)).toEqual({ fields: { 'actions[1].buttons': '#4: at most 3 buttons' }, form: null });
  });

  it('keeps other errors for the form', () => {
    const draft = emptyRule();
    expect(ruleErrorsOf(new GraphQLRequestError([{ message: 'Instance x was not found', extensions: { code: 'NOT_FOUND' } }], 200), draft)).toEqual({ fields: {}, form: { code: 'NOT_FOUND', message: 'Instance x was not found' } });
    expect(ruleErrorsOf(validation('input.instanceId', 'bad'), draft).form).toEqual({ code: 'VALIDATION_FAILED', message: 'input.instanceId: bad' });
  });
});

describe('describeTrigger', () => {
  it('says what a rule answers in one line', () => {
    expect(describeTrigger({ type: 'keyword', keywords: ['cardápio', 'menu'], match: 'contains' })).toBe('Message contains “cardápio”, “menu”');
    expect(describeTrigger({ type: 'button_reply', buttonId: 'pizza' })).toBe('Button “pizza” tapped');
    expect(describeTrigger({ type: 'outside_business_hours' })).toBe('Outside business hours');
  });
});

describe('replyIdsOf', () => {
  it('lists the button and row ids the rules send', () => {
    expect(replyIdsOf([stored()])).toEqual({ buttons: ['pizza', 'massa'], rows: ['a', 'b'] });
  });
});

describe('moved', () => {
  it('moves one item, leaving the list as it was for a move out of range', () => {
    expect(moved(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(['a', 'b', 'c'], 0, 3)).toEqual(['a', 'b', 'c']);
  });
});

describe('zonedTimeToUtc', () => {
  it("reads a time typed for the instance in the instance's timezone", () => {
    expect(zonedTimeToUtc('2026-05-04T21:30', 'America/Sao_Paulo')?.toISOString()).toBe('2026-05-05T00:30:00.000Z');
    expect(zonedTimeToUtc('2026-05-04T21:30', 'UTC')?.toISOString()).toBe('2026-05-04T21:30:00.000Z');
  });

  it('takes the offset in force on either side of a DST change (America/New_York)', () => {
    expect(zonedTimeToUtc('2026-03-07T12:00', 'America/New_York')?.toISOString()).toBe('2026-03-07T17:00:00.000Z');
    expect(zonedTimeToUtc('2026-03-09T12:00', 'America/New_York')?.toISOString()).toBe('2026-03-09T16:00:00.000Z');
  });

  it('is null for what is not a time', () => {
    expect(zonedTimeToUtc('', 'UTC')).toBeNull();
  });
});
