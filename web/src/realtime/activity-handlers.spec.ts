import { describe, expect, it } from 'vitest';
import { activityHandlers, dispatchActivity, type ActivityEffects } from './activity-handlers';
import { ACTIVITY_KINDS, type Activity } from '../api/types';

function recorder() {
  const calls: string[] = [];
  const fx: ActivityEffects = {
    feed: (a) => calls.push(`feed:${a.kind}`),
    count: (a) => calls.push(`count:${a.direction}`),
    unroutedChanged: () => calls.push('unrouted'),
    alert: (level) => calls.push(`alert:${level}`),
  };
  return { fx, calls };
}

const activity = (over: Partial<Activity>): Activity => ({
  id: '1', kind: 'inbound_message', direction: 'in', tenantId: 't', instanceId: null, phoneNumberId: '1', wabaId: null, messageId: null, wamid: null,
  contactWaId: null, contactName: null, messageType: null, status: null, summary: '', webhookEventId: null, occurredAt: '2026-01-01T00:00:00Z', ...over,
});

describe('activityHandlers', () => {
  it('has exactly one handler for every activity kind the server declares', () => {
    expect(Object.keys(activityHandlers).sort()).toEqual([...ACTIVITY_KINDS].sort());
  });

  it.each([
    ['inbound_message', { direction: 'in' }, ['feed:inbound_message', 'count:in']],
    ['outbound_message', { direction: 'out' }, ['feed:outbound_message', 'count:out']],
    ['status', { direction: 'in', status: 'delivered' }, ['feed:status', 'count:in']],
    ['status', { direction: 'in', status: 'failed' }, ['feed:status', 'count:in', 'alert:error']],
    ['template_status', { direction: null, status: 'APPROVED' }, ['feed:template_status', 'alert:info']],
    ['template_status', { direction: null, status: 'REJECTED' }, ['feed:template_status', 'alert:warning']],
    ['account_update', { direction: null }, ['feed:account_update', 'alert:warning']],
    ['unrouted', { direction: 'in', tenantId: null }, ['feed:unrouted', 'count:in', 'unrouted']],
    ['rejected', { direction: 'in' }, ['feed:rejected', 'alert:error']],
    ['rule_fired', { direction: 'out', status: 'fired' }, ['feed:rule_fired']],
    ['handoff', { direction: 'out', status: 'started' }, ['feed:handoff', 'alert:warning']],
    ['handoff', { direction: 'out', status: 'resolved' }, ['feed:handoff', 'alert:info']],
  ] as const)('%s %o → %o', (kind, over, expected) => {
    const { fx, calls } = recorder();
    dispatchActivity(activity({ kind, ...(over as Partial<Activity>) }), fx);
    expect(calls).toEqual(expected);
  });

  it('still shows a kind it does not know yet in the feed, and nothing else', () => {
    const { fx, calls } = recorder();
    dispatchActivity(activity({ kind: 'brand_new_kind' }), fx);
    expect(calls).toEqual(['feed:brand_new_kind']);
  });

  it('does not treat inherited object keys as kinds', () => {
    const { fx, calls } = recorder();
    dispatchActivity(activity({ kind: 'toString' }), fx);
    expect(calls).toEqual(['feed:toString']);
  });
});
