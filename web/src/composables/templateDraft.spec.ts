import { describe, expect, it } from 'vitest';
import type { RuleTemplateVariable } from '../api/types';
import { draftOfTemplate, emptyDraft, newVariable, parameterCount, parseOptions, pickerTemplates, retype, templateInputOf } from './templateDraft';

const variable = (name: string, over: Partial<RuleTemplateVariable> = {}): RuleTemplateVariable => ({ name, type: 'text', label: name, help: '', required: true, default: null, example: null, options: null, country: null, ...over });

// A published version as the API answers it: what the editor opens, and must publish back unchanged.
const published = {
  name: 'Loja', description: 'Pedidos e Pix', locale: 'pt-BR',
  variables: [
    variable('business_name', { label: 'Nome', help: 'Como te conhecem', example: 'Loja da Bia' }),
    variable('fee', { type: 'money', label: 'Frete', example: { amount: 10, currency: 'BRL' }, default: { amount: 0, currency: 'BRL' }, required: false }),
    variable('opening_hours', { type: 'weekly_hours', label: 'Horário', example: { days: [{ day: 1, open: '09:00', close: '18:00' }] } }),
    variable('payment', { type: 'choice', label: 'Pagamento', options: [{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'card' }], example: 'pix' }),
    variable('phone', { type: 'phone', label: 'Telefone', country: 'BR', example: '+5511987654321' }),
  ],
  config: {
    timezone: 'America/Sao_Paulo', businessHours: '{{opening_hours}}', handoffTimeoutHours: 4,
    rules: [{ name: 'Pedido', enabled: true, stop: true, trigger: { type: 'keyword', keywords: ['pedido'], match: 'contains' }, conditions: [], actions: [{ type: 'reply_template', template: 'pedido_recebido', language: 'pt_BR', parameters: ['{{contact.first_name}}'] }] }],
    messageTemplates: [{ name: 'pedido_recebido', language: 'pt_BR', category: 'UTILITY', components: [{ type: 'HEADER', format: 'TEXT', text: 'Pedido' }, { type: 'BODY', text: 'Olá {{1}}, recebemos o pedido {{2}}.', example: { body_text: [['Ana', '123']] } }] }],
  },
  sampleMessages: [{ text: 'Oi', note: 'primeira mensagem' }, { buttonId: 'pix' }, { listRowId: 'status' }],
};

describe('templateDraft', () => {
  it('opens a published version and publishes it back as it was', () => {
    const input = templateInputOf(draftOfTemplate(published));
    expect(input.name).toBe('Loja');
    expect(input.variables).toEqual([
      { name: 'business_name', type: 'text', label: 'Nome', help: 'Como te conhecem', required: true, example: 'Loja da Bia' },
      { name: 'fee', type: 'money', label: 'Frete', help: '', required: false, example: { amount: 10, currency: 'BRL' }, default: { amount: 0, currency: 'BRL' } },
      { name: 'opening_hours', type: 'weekly_hours', label: 'Horário', help: '', required: true, example: { days: [{ day: 1, open: '09:00', close: '18:00' }] } },
      { name: 'payment', type: 'choice', label: 'Pagamento', help: '', required: true, example: 'pix', options: [{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'card' }] },
      { name: 'phone', type: 'phone', label: 'Telefone', help: '', required: true, example: '+5511987654321', country: 'BR' },
    ]);
    expect(input.config).toEqual(published.config);
    expect(input.sampleMessages).toEqual(published.sampleMessages);
  });

  it('starts a new template with one blank sample, which is left out when publishing', () => {
    const draft = emptyDraft('en');
    expect(templateInputOf(draft)).toEqual({ name: '', description: '', variables: [], config: { rules: [] }, sampleMessages: [] });
  });

  it('gives a retyped field an example and default of its new shape', () => {
    const v = newVariable();
    v.example = 'x';
    retype(v, 'money');
    expect(v.example).toEqual({ amount: '', currency: 'BRL' });
    retype(v, 'weekly_hours');
    expect(v.default).toEqual({ days: [] });
  });

  it('reads choice options a line each, and counts a body\'s parameters', () => {
    expect(parseOptions('pix: Pix\n\n card \nboleto:')).toEqual([{ value: 'pix', label: 'Pix' }, { value: 'card', label: 'card' }, { value: 'boleto', label: 'boleto' }]);
    expect(parameterCount('Olá {{1}}, pedido {{ 2 }}')).toBe(2);
    expect(parameterCount('Sem parâmetros')).toBe(0);
  });

  it('offers the draft\'s message templates to the rule editor\'s template picker', () => {
    expect(pickerTemplates(draftOfTemplate(published))).toEqual([expect.objectContaining({ name: 'pedido_recebido', language: 'pt_BR', status: 'APPROVED', variableCount: 2 })]);
  });
});
