import { describe, expect, it } from 'vitest';
import { byDay, contactLabel, dayLabel, initialsOf, listTime, ruleNamesByMessage, skippedOf, windowOf } from './conversationView';

const NOW = new Date('2026-05-04T15:00:00');

describe('contactLabel / initialsOf', () => {
  it('uses the name, else the number', () => {
    expect(contactLabel({ name: 'Ana Souza', waId: '5511987654321' })).toBe('Ana Souza');
    expect(contactLabel({ name: null, waId: '5511987654321' })).toBe('+5511987654321');
    expect(initialsOf({ name: '🌸 ana maria souza', waId: '1' })).toBe('AS');
    expect(initialsOf({ name: 'Ana', waId: '1' })).toBe('A');
    expect(initialsOf({ name: null, waId: '5511987654321' })).toBe('21');
  });
});

describe('windowOf', () => {
  it('is open until windowClosesAt, saying how long is left', () => {
    expect(windowOf({ windowClosesAt: '2026-05-04T20:30:00Z' }, Date.parse('2026-05-04T15:00:00Z'))).toEqual({ open: true, closesAt: '2026-05-04T20:30:00Z', left: '5 h 30 min' });
    expect(windowOf({ windowClosesAt: '2026-05-04T15:20:00Z' }, Date.parse('2026-05-04T15:00:00Z')).left).toBe('20 min');
  });

  it('is closed without windowClosesAt or once it passed', () => {
    expect(windowOf({ windowClosesAt: null }).open).toBe(false);
    expect(windowOf({ windowClosesAt: '2026-05-04T14:00:00Z' }, Date.parse('2026-05-04T15:00:00Z')).open).toBe(false);
  });
});

describe('ruleNamesByMessage / skippedOf', () => {
  const run = (ruleName: string, outboundMessageIds: string[], actions: unknown = []) => ({ id: ruleName, ruleId: ruleName, ruleName, status: 'done', matched: '', actions, outboundMessageIds });

  it('names the rule behind each automated reply', () => {
    const names = ruleNamesByMessage([{ answeredBy: [run('Cardápio', ['o1', 'o2'])] }, { answeredBy: [] }, { answeredBy: [run('Horário', ['o3'])] }]);
    expect([...names]).toEqual([['o1', 'Cardápio'], ['o2', 'Cardápio'], ['o3', 'Horário']]);
  });

  it("says which of a run's actions were skipped and why", () => {
    expect(skippedOf(run('x', [], [{ type: 'reply_text', outcome: 'skipped', reason: 'window_closed' }, { type: 'add_tag', outcome: 'done' }])))
      .toEqual(["reply text skipped: outside the customer's 24-hour window: only templates go"]);
    expect(skippedOf(run('x', [], null))).toEqual([]);
  });
});

describe('byDay / dayLabel', () => {
  it('splits a thread into days with Today and Yesterday', () => {
    const at = (iso: string) => ({ createdAt: new Date(iso).toISOString() });
    const days = byDay([at('2026-05-01T10:00:00'), at('2026-05-03T09:00:00'), at('2026-05-03T23:00:00'), at('2026-05-04T08:00:00')], NOW);
    expect(days.map((d) => [d.label, d.messages.length])).toEqual([[dayLabel(new Date('2026-05-01T10:00:00').toISOString(), NOW), 1], ['Yesterday', 2], ['Today', 1]]);
    expect(days[0].label).not.toMatch(/Today|Yesterday/);
  });
});

describe('listTime', () => {
  it('says the time today, Yesterday, else the date', () => {
    expect(listTime(new Date('2026-05-04T09:05:00').toISOString(), NOW)).toMatch(/09.05/);
    expect(listTime(new Date('2026-05-03T09:05:00').toISOString(), NOW)).toBe('Yesterday');
    expect(listTime(new Date('2026-04-20T09:05:00').toISOString(), NOW)).toMatch(/20/);
    expect(listTime(null, NOW)).toBe('');
  });
});
