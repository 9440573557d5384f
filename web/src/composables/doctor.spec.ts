import { describe, expect, it } from 'vitest';
import { evidenceText, worstFirst } from './doctor';

describe('number doctor view', () => {
  it('puts failing checks first, then warnings, keeping the order within each', () => {
    const checks = [{ name: 'token', status: 'ok' }, { name: 'waba', status: 'fail' }, { name: 'quality', status: 'warn' }, { name: 'registered', status: 'fail' }];
    expect(worstFirst(checks).map((c) => c.name)).toEqual(['waba', 'registered', 'quality', 'token']);
  });

  it('shows a sentence as it is and JSON indented', () => {
    expect(evidenceText('no webhook yet')).toBe('no webhook yet');
    expect(evidenceText({ can_send_message: 'AVAILABLE' })).toBe('{\n  "can_send_message": "AVAILABLE"\n}');
  });
});
