import { computed, watch, type UnwrapNestedRefs } from 'vue';
import { gql, type GqlRequest } from '../api/client';
import { ConversationDocument, MarkConversationReadDocument, ResolveHandoffDocument, SendReplyDocument, TagContactDocument, UntagContactDocument } from '../api/generated';
import type { Contact, ConversationThread, ThreadMessage } from '../api/types';
import { useResource } from './useResource';
import { useSubmit } from './useSubmit';

// The conversation on screen: its thread (both directions, oldest first), read as soon as it is
// opened, and what a person does in it: reply (free text inside the 24-hour window, an approved
// template outside it), resolve a handoff, tag the customer. Each answer goes on screen at once;
// live activity reloads the thread for what others (rules, Meta's statuses) change.

export type ReplyContent = { text: string } | { template: { name: string; language: string; variables: string[] } };

export function useConversation(contactId: () => string | null | undefined, request: GqlRequest = gql) {
  /** The contact on screen; what acts on it is only offered while one is. */
  function open(): string {
    const id = contactId();
    if (!id) throw new Error('no conversation is open');
    return id;
  }
  const thread = useResource(async () => (await request(ConversationDocument, { contactId: open() })).conversation);
  const contact = computed(() => thread.data.value?.contact ?? null);
  const messages = computed(() => thread.data.value?.messages ?? []);

  /** A person has read it: the unread count starts again from zero. Resolves false when that failed (it is harmless). */
  async function markRead(): Promise<boolean> {
    const id = contactId();
    if (!id) return false;
    try {
      await request(MarkConversationReadDocument, { contactId: id });
      return true;
    } catch {
      return false;
    }
  }

  function setContact(next: Contact): void {
    if (thread.data.value && thread.data.value.contact.id === next.id) thread.set({ ...thread.data.value, contact: next });
  }
  function append(message: ThreadMessage): void {
    const t = thread.data.value;
    if (t && !t.messages.some((m) => m.id === message.id)) thread.set({ ...t, messages: [...t.messages, message] });
  }

  const resolve = useSubmit(async () => {
    setContact((await request(ResolveHandoffDocument, { contactId: open() })).resolveHandoff);
  });
  const tag = useSubmit(async (value: string) => {
    setContact((await request(TagContactDocument, { contactId: open(), tag: value })).tagContact);
  }, { fields: ['tag'] });
  const untag = useSubmit(async (value: string) => {
    setContact((await request(UntagContactDocument, { contactId: open(), tag: value })).untagContact);
  });
  /** `key`: one per message composed, so a double click or a retry sends it once. */
  const send = useSubmit(async (instanceId: string, content: ReplyContent, key: string) => {
    const c = contact.value;
    if (!c) throw new Error('no conversation is open');
    const { sendMessage } = await request(SendReplyDocument, { input: { instanceId, to: `+${c.waId}`, idempotencyKey: key, ...content } });
    append(sendMessage);
    return sendMessage;
  }, { fields: ['text', 'template', 'variables'] });

  watch(contactId, (id) => {
    thread.set(null);
    resolve.reset();
    tag.reset();
    untag.reset();
    send.reset();
    if (id) void thread.reload();
  }, { immediate: true });

  return { thread, contact, messages, reload: thread.reload, markRead, resolve, tag, untag, send };
}

/** As a page holds it: reactive(useConversation(...)). */
export type ConversationState = UnwrapNestedRefs<ReturnType<typeof useConversation>>;
