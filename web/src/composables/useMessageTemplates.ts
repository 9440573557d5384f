import { ref, shallowRef, watch } from 'vue';
import { gql, type GqlRequest } from '../api/client';
import { MessageTemplatesDocument, SyncMessageTemplatesDocument } from '../api/generated';
import type { Connection, MessageTemplate } from '../api/types';

// The approved message templates of the number a form sends from (the composer, the campaign form):
// loaded again whenever the number changes; an answer for a number no longer chosen is dropped.
// `sync` has the server read the WABA's templates from Meta first.

export function useMessageTemplates(phoneNumberId: () => string | null | undefined, request: GqlRequest = gql) {
  const items = shallowRef<MessageTemplate[]>([]);
  const error = shallowRef<unknown>(null);
  const loading = ref(false);
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    items.value = [];
    error.value = null;
    const id = phoneNumberId();
    loading.value = !!id;
    if (!id) return;
    try {
      const { messageTemplates } = await request(MessageTemplatesDocument, { phoneNumberId: id });
      if (mine === generation) items.value = messageTemplates.edges.map((e) => e.node);
    } catch (e) {
      if (mine === generation) error.value = e;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function sync(): Promise<void> {
    const id = phoneNumberId();
    if (!id) return;
    loading.value = true;
    try {
      await request(SyncMessageTemplatesDocument, { phoneNumberId: id });
      await load();
    } catch (e) {
      error.value = e;
      loading.value = false;
    }
  }

  watch(phoneNumberId, () => void load());
  return { items, error, loading, load, sync };
}
