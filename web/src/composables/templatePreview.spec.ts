import { describe, expect, it } from 'vitest';
import { previewAt, previewLines, previewTimezone, type PreviewTurn } from './templatePreview';

const turn = (over: Partial<PreviewTurn>): PreviewTurn => ({ from: 'customer', type: 'text', text: null, payload: null, ruleName: null, note: null, ...over });
const buttons = { type: 'interactive', interactive: { type: 'button', body: { text: 'Olá Ana! Como podemos ajudar?' }, action: { buttons: [{ type: 'reply', reply: { id: 'menu', title: 'Ver cardápio' } }, { type: 'reply', reply: { id: 'hours', title: 'Horário' } }] } } };
const list = { type: 'interactive', interactive: { type: 'list', body: { text: 'Escolha' }, action: { button: 'Opções', sections: [{ title: 'Atendimento', rows: [{ id: 'insurance', title: 'Convênios', description: 'Os planos aceitos' }] }] } } };

describe('previewLines', () => {
  it('draws the customer on the left, each reply on the right with its rule, a minute per customer message', () => {
    const start = new Date('2026-12-07T15:00:00Z');
    const lines = previewLines([
      turn({ text: 'Oi, boa noite!', note: 'primeira mensagem' }),
      turn({ from: 'business', type: 'interactive', text: 'Olá Ana! Como podemos ajudar?', payload: buttons, ruleName: 'Boas-vindas' }),
      turn({ text: 'Me manda o cardápio?' }),
      turn({ from: 'business', type: 'text', text: 'Nosso cardápio 📖 https://example.com/cardapio', payload: { type: 'text', text: { body: 'Nosso cardápio 📖 https://example.com/cardapio' } }, ruleName: 'Cardápio' }),
    ], start);
    expect(lines.map((l) => [l.dir, l.bubble?.kind, l.rule ?? null, l.time])).toEqual([
      ['in', 'text', null, '2026-12-07T15:00:00.000Z'],
      ['out', 'buttons', 'Boas-vindas', '2026-12-07T15:00:00.000Z'],
      ['in', 'text', null, '2026-12-07T15:01:00.000Z'],
      ['out', 'text', 'Cardápio', '2026-12-07T15:01:00.000Z'],
    ]);
    expect(lines[0].note).toBe('primeira mensagem');
    expect(lines[1].bubble).toMatchObject({ buttons: ['Ver cardápio', 'Horário'] });
  });

  it('shows a tapped button and a picked list row by the title the customer read', () => {
    const lines = previewLines([
      turn({ from: 'business', type: 'interactive', payload: buttons, ruleName: 'Boas-vindas' }),
      turn({ type: 'interactive', text: 'hours', note: 'toca no botão Horário' }),
      turn({ from: 'business', type: 'interactive', payload: list, ruleName: 'Menu' }),
      turn({ type: 'interactive', text: 'insurance' }),
      turn({ type: 'interactive', text: 'unknown_id' }),
    ]);
    expect(lines[1].bubble).toEqual({ kind: 'choice', text: 'Horário', description: null, from: 'button' });
    expect(lines[3].bubble).toEqual({ kind: 'choice', text: 'Convênios', description: 'Os planos aceitos', from: 'list' });
    expect(lines[4].bubble).toEqual({ kind: 'choice', text: 'unknown_id', description: null, from: 'button' });
  });

  it('puts a handoff in the middle, and greys a reply that would not go, saying why', () => {
    const lines = previewLines([
      turn({ text: 'Quero fazer um pedido' }),
      turn({ from: 'business', type: 'handoff', text: 'novo pedido', ruleName: 'Pedido', note: 'handoff' }),
      turn({ from: 'business', type: 'text', text: 'Oi', payload: { type: 'text', text: { body: 'Oi' } }, ruleName: 'Spam', note: 'reply_limit' }),
    ]);
    expect(lines[1]).toMatchObject({ dir: 'system', note: 'Handed to a person: novo pedido · rule «Pedido»' });
    expect(lines[2]).toMatchObject({ dir: 'out', skipped: 'too many automated replies to this customer this hour', rule: 'Spam' });
  });
});

describe('previewAt', () => {
  const sunday = new Date('2026-12-06T18:00:00Z');
  it('is the server\'s clock for now', () => {
    expect(previewAt('now', 'America/Sao_Paulo', sunday)).toBeNull();
  });

  it('is the next such day, at that wall time in the template\'s timezone', () => {
    expect(previewAt('weekday-noon', 'America/Sao_Paulo', sunday)).toBe('2026-12-09T15:00:00.000Z');
    expect(previewAt('weekday-night', 'America/New_York', sunday)).toBe('2026-12-10T04:30:00.000Z');
    expect(previewAt('sunday-noon', 'UTC', sunday)).toBe('2026-12-13T12:00:00.000Z');
  });

  it('runs in the template\'s timezone unless it is a field', () => {
    expect(previewTimezone({ timezone: 'America/New_York' }, 'en')).toBe('America/New_York');
    expect(previewTimezone({ timezone: '{{tz}}' }, 'pt-BR')).toBe('America/Sao_Paulo');
    expect(previewTimezone({}, 'en')).toBe('UTC');
  });
});
