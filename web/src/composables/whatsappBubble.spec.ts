import { describe, expect, it } from 'vitest';
import { bubbleOf, markup, skipReasonText, tickOf } from './whatsappBubble';

describe('bubbleOf', () => {
  it('reads our send bodies: text, buttons, list, template, media', () => {
    expect(bubbleOf({ type: 'text', text: { body: 'Olá!' } })).toEqual({ kind: 'text', text: 'Olá!' });
    expect(bubbleOf({ type: 'interactive', interactive: { type: 'button', body: { text: 'Escolha' }, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'Pizza' } }] } } }))
      .toEqual({ kind: 'buttons', text: 'Escolha', buttons: ['Pizza'] });
    expect(bubbleOf({ type: 'interactive', interactive: { type: 'list', body: { text: 'Menu' }, action: { button: 'Ver', sections: [{ title: 'Pratos', rows: [{ id: 'a', title: 'A', description: 'd' }] }] } } }))
      .toEqual({ kind: 'list', text: 'Menu', button: 'Ver', sections: [{ title: 'Pratos', rows: [{ title: 'A', description: 'd' }] }] });
    expect(bubbleOf({ type: 'template', template: { name: 'boas_vindas', language: { code: 'pt_BR' } } }, 'Olá Ana!'))
      .toEqual({ kind: 'template', name: 'boas_vindas', language: 'pt_BR', text: 'Olá Ana!' });
    expect(bubbleOf({ type: 'document', document: { link: 'https://x.test/m.pdf', caption: 'Menu', filename: 'm.pdf' } }))
      .toEqual({ kind: 'media', mediaType: 'document', link: 'https://x.test/m.pdf', caption: 'Menu', filename: 'm.pdf' });
  });

  it("reads a customer's messages as Meta delivers them: a tapped button or row, media without a link", () => {
    expect(bubbleOf({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'a', title: 'Pizza' } } })).toEqual({ kind: 'choice', text: 'Pizza', description: null, from: 'button' });
    expect(bubbleOf({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'a', title: 'A', description: 'd' } } })).toEqual({ kind: 'choice', text: 'A', description: 'd', from: 'list' });
    expect(bubbleOf({ type: 'button', button: { text: 'Sim', payload: 'yes' } })).toEqual({ kind: 'choice', text: 'Sim', description: null, from: 'button' });
    expect(bubbleOf({ type: 'image', image: { id: '123', caption: 'foto' } })).toEqual({ kind: 'media', mediaType: 'image', link: null, caption: 'foto', filename: null });
    expect(bubbleOf({ type: 'location', location: { latitude: -23.5, longitude: -46.6, name: 'Loja' } })).toEqual({ kind: 'other', label: 'Location', text: 'Loja' });
  });

  it('falls back on the text and the type when the payload is missing or unknown', () => {
    expect(bubbleOf(null, 'Olá', 'reply_text')).toEqual({ kind: 'text', text: 'Olá' });
    expect(bubbleOf(null, null, 'reply_template')).toEqual({ kind: 'template', name: 'template', language: null, text: null });
    expect(bubbleOf({ type: 'order' }, null)).toEqual({ kind: 'other', label: 'Order', text: null });
    expect(bubbleOf('nonsense')).toEqual({ kind: 'text', text: '' });
  });
});

describe('tickOf', () => {
  it.each([['queued', 'pending'], ['sending', 'pending'], ['sent', 'sent'], ['delivered', 'delivered'], ['read', 'read'], ['failed', 'failed'], ['unknown', 'unknown']])('%s → %s', (status, state) => {
    expect(tickOf(status).state).toBe(state);
  });
});

describe('skipReasonText', () => {
  it("names the engine's reasons in words and passes Meta's on", () => {
    expect(skipReasonText('window_closed')).toContain('24-hour window');
    expect(skipReasonText('reply_limit')).toContain('this hour');
    expect(skipReasonText('template "x" is PAUSED')).toBe('template "x" is PAUSED');
  });
});

describe('markup', () => {
  it("reads WhatsApp's *bold*, _italic_, ~strike~ and ```mono```", () => {
    expect(markup('Nosso *cardápio* de _hoje_: ~R$ 30~ ```R$ 25```')).toEqual([
      { text: 'Nosso ' }, { text: 'cardápio', bold: true }, { text: ' de ' }, { text: 'hoje', italic: true }, { text: ': ' }, { text: 'R$ 30', strike: true }, { text: ' ' }, { text: 'R$ 25', mono: true },
    ]);
  });

  it('leaves markers that do not hug a word, or sit inside one, as they are', () => {
    expect(markup('2 * 3 * 4')).toEqual([{ text: '2 * 3 * 4' }]);
    expect(markup('snake_case_name')).toEqual([{ text: 'snake_case_name' }]);
    expect(markup('')).toEqual([]);
  });
});
