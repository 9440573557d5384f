import { describe, expect, it } from 'vitest';
import { buttonIds, fillTemplate, parseRecipients, progressSegments } from './campaignForm';

describe('fillTemplate', () => {
  it('replaces numbered placeholders in order and leaves blank ones visible', () => {
    expect(fillTemplate('Olá {{1}}, seu pedido {{2}} saiu. {{ 1 }}!', ['Ana', ''])).toBe('Olá Ana, seu pedido {{2}} saiu. Ana!');
  });
});

describe('parseRecipients', () => {
  it('reads one recipient per line with its variables, normalising the number', () => {
    const parsed = parseRecipients('+55 11 98765-4321, Ana, 10%\n\n# a comment\n5511912345678;João;5%', 2);
    expect(parsed.errors).toEqual([]);
    expect(parsed.recipients).toEqual([
      { to: '+5511987654321', variables: ['Ana', '10%'] },
      { to: '+5511912345678', variables: ['João', '5%'] },
    ]);
  });

  it('reports the line of a bad number or a wrong variable count', () => {
    const parsed = parseRecipients('+5511987654321, Ana\nnot-a-number, Ana\n+5511912345678', 1);
    expect(parsed.recipients).toHaveLength(1);
    expect(parsed.errors).toEqual([
      { line: 2, message: '"not-a-number" is not a phone number' },
      { line: 3, message: '0 variables; the template needs 1' },
    ]);
  });

  it('accepts bare numbers for a template without variables', () => {
    expect(parseRecipients('+5511987654321\n+5511912345678', 0).recipients.map((r) => r.to)).toEqual(['+5511987654321', '+5511912345678']);
  });
});

describe('progressSegments', () => {
  it('turns counts into percentages of the total and counts what is done', () => {
    const p = progressSegments({ total: 200, queued: 50, sending: 10, sent: 40, delivered: 50, read: 40, failed: 8, unknown: 2 });
    expect(p.segments.map((s) => [s.name, s.percent])).toEqual([['read', 20], ['delivered', 25], ['sent', 20], ['sending', 5], ['failed', 4], ['unknown', 1]]);
    expect(p.done).toBe(140);
    expect(p.donePercent).toBe(70);
  });

  it('is all zeros for an empty campaign', () => {
    const p = progressSegments({ total: 0, queued: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, unknown: 0 });
    expect(p.donePercent).toBe(0);
    expect(p.segments.every((s) => s.percent === 0)).toBe(true);
  });
});

describe('buttonIds', () => {
  it('derives ids from titles, without accents, unique within the message', () => {
    expect(buttonIds(['Falar com atendente', 'Horário', 'horario!'])).toEqual(['falar_com_atendente', 'horario', 'horario_2']);
  });
});
