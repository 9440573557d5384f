import { describe, expect, it } from 'vitest';
import type { Activity } from '../api/types';
import { CONVERSATION_KINDS, conversationHandlers, dispatchConversationActivity, isAbout, type ConversationEffects } from './conversation-handlers';

const activity = (over: Partial<Activity>): Activity => ({
  id: '1', kind: 'inbound_message', direction: 'in', tenantId: 't', instanceId: 'i1', phoneNumberId: '1', wabaId: null, messageId: null, wamid: null,
  contactWaId: '5511', contactName: null, messageType: null, status: null, summary: '', webhookEventId: null, occurredAt: '2026-01-01T00:00:00Z', ...over,
});

function recorder(open: boolean) {
  const calls: string[] = [];
  const fx: ConversationEffects = { isOpen: () => open, listChanged: () => calls.push('list'), threadChanged: () => calls.push('thread'), markRead: () => calls.push('read') };
  return { fx, calls };
}

describe('conversationHandlers', () => {
  it('has one handler per kind the page subscribes to', () => {
    expect(Object.keys(conversationHandlers).sort()).toEqual([...CONVERSATION_KINDS].sort());
  });

  it.each([
    ['inbound_message', true, ['list', 'thread', 'read']],
    ['inbound_message', false, ['list']],
    ['outbound_message', true, ['list', 'thread']],
    ['status', true, ['list', 'thread']],
    ['status', false, ['list']],
    ['rule_fired', true, ['thread']],
    ['rule_fired', false, []],
    ['handoff', true, ['list', 'thread']],
    ['template_status', true, []],
  ] as const)('%s (open: %s) → %o', (kind, open, expected) => {
    const { fx, calls } = recorder(open);
    dispatchConversationActivity(activity({ kind }), fx);
    expect(calls).toEqual(expected);
  });
});

describe('isAbout', () => {
  it('matches the instance and the customer of the open conversation', () => {
    expect(isAbout(activity({}), { instanceId: 'i1', waId: '5511' })).toBe(true);
    expect(isAbout(activity({ instanceId: 'i2' }), { instanceId: 'i1', waId: '5511' })).toBe(false);
    expect(isAbout(activity({ contactWaId: '5522' }), { instanceId: 'i1', waId: '5511' })).toBe(false);
    expect(isAbout(activity({ contactWaId: null }), { instanceId: 'i1', waId: '5511' })).toBe(false);
    expect(isAbout(activity({}), null)).toBe(false);
  });
});
