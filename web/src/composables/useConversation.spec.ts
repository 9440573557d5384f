import { describe, expect, it } from 'vitest';
import { nextTick, ref } from 'vue';
import { GraphQLRequestError, type GqlRequest } from '../api/client';
import type { TypedDocumentString } from '../api/generated';
import type { Contact, ThreadMessage } from '../api/types';
import { useConversation } from './useConversation';

const contact = (id: string, over: Partial<Contact> = {}): Contact => ({
  id, tenantId: 't', waId: `55${id}`, name: 'Ana', phoneNumberId: 'p', tags: [], createdAt: '', inHandoff: false, handoffStartedAt: null, handoffExpiresAt: null,
  handoffNote: null, lastInboundAt: null, windowClosesAt: null, ...over,
});
const message = (id: string, direction = 'inbound'): ThreadMessage => ({
  id, direction, type: 'text', text: id, payload: {}, status: 'received', createdAt: '', instanceId: 'i', automationRuleId: null, errorTitle: null, errorCode: null, errorDetail: null, answeredBy: [],
});

/** A server answering by operation name; it records each call. */
function server(overrides: Record<string, (v: Record<string, unknown>) => unknown> = {}) {
  const calls: { op: string; variables: Record<string, unknown> }[] = [];
  const handlers: Record<string, (v: Record<string, unknown>) => unknown> = {
    Conversation: (v) => ({ conversation: { contact: contact(String(v.contactId)), messages: [message(`m-${v.contactId}`)] } }),
    MarkConversationRead: (v) => ({ markConversationRead: { id: v.contactId } }),
    ResolveHandoff: (v) => ({ resolveHandoff: contact(String(v.contactId), { inHandoff: false }) }),
    TagContact: (v) => ({ tagContact: contact(String(v.contactId), { tags: [String(v.tag)] }) }),
    UntagContact: (v) => ({ untagContact: contact(String(v.contactId)) }),
    SendReply: () => ({ sendMessage: message('out-1', 'outbound') }),
    ...overrides,
  };
  const request = (async (document: TypedDocumentString<unknown, unknown>, variables: Record<string, unknown> = {}) => {
    const op = /(?:query|mutation) (\w+)/.exec(document.toString())![1];
    calls.push({ op, variables });
    return handlers[op](variables);
  }) as GqlRequest;
  return { request, calls };
}
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('useConversation', () => {
  it('loads the thread of the contact on screen, and drops it when another is opened', async () => {
    const { request } = server();
    const id = ref<string | null>('c1');
    const conv = useConversation(() => id.value, request);
    await settled();
    expect(conv.messages.value.map((m) => m.id)).toEqual(['m-c1']);
    id.value = 'c2';
    await nextTick();
    expect(conv.thread.data.value).toBeNull();
    await settled();
    expect(conv.contact.value?.id).toBe('c2');
  });

  it('marks the conversation read, and says so', async () => {
    const { request, calls } = server();
    const conv = useConversation(() => 'c1', request);
    expect(await conv.markRead()).toBe(true);
    expect(calls.filter((c) => c.op === 'MarkConversationRead')).toEqual([{ op: 'MarkConversationRead', variables: { contactId: 'c1' } }]);
  });

  it("puts what resolveHandoff and tagContact answer in the thread's contact", async () => {
    const { request } = server({ Conversation: (v) => ({ conversation: { contact: contact(String(v.contactId), { inHandoff: true }), messages: [] } }) });
    const conv = useConversation(() => 'c1', request);
    await settled();
    expect(conv.contact.value?.inHandoff).toBe(true);
    await conv.resolve.run();
    expect(conv.contact.value?.inHandoff).toBe(false);
    await conv.tag.run('vip');
    expect(conv.contact.value?.tags).toEqual(['vip']);
  });

  it('sends to the customer with the key given and shows the message at once', async () => {
    const { request, calls } = server();
    const conv = useConversation(() => 'c1', request);
    await settled();
    expect(await conv.send.run('i1', { text: 'Oi!' }, 'k1')).toBe(true);
    expect(calls.find((c) => c.op === 'SendReply')?.variables).toEqual({ input: { instanceId: 'i1', to: '+55c1', idempotencyKey: 'k1', text: 'Oi!' } });
    expect(conv.messages.value.map((m) => m.id)).toEqual(['m-c1', 'out-1']);
  });

  it('keeps a refused send as the form error (WINDOW_CLOSED)', async () => {
    const { request } = server({ SendReply: () => { throw new GraphQLRequestError([{ message: 'window closed', extensions: { code: 'WINDOW_CLOSED' } }], 200); } });
    const conv = useConversation(() => 'c1', request);
    await settled();
    expect(await conv.send.run('i1', { text: 'Oi!' }, 'k1')).toBe(false);
    expect(conv.send.errors.value.form).toEqual({ code: 'WINDOW_CLOSED', message: 'window closed' });
    expect(conv.messages.value).toHaveLength(1);
  });
});
