import { describe, expect, it } from 'vitest';
import { nextTick, ref } from 'vue';
import type { GqlRequest } from '../api/client';
import type { TypedDocumentString } from '../api/generated';
import { useMessageTemplates } from './useMessageTemplates';

const template = (name: string) => ({ id: name, name, language: 'pt_BR', category: null, status: 'APPROVED', body: null, variableCount: 0 });

/** Meta's templates by number; each request waits until the test answers it. */
function server() {
  const waiting: { query: string; phoneNumberId: string; answer: () => void; fail: (e: unknown) => void }[] = [];
  const request = ((document: TypedDocumentString<unknown, unknown>, variables: Record<string, unknown> = {}) => new Promise<unknown>((resolve, reject) => {
    const phoneNumberId = String(variables.phoneNumberId);
    waiting.push({
      query: document.toString().includes('syncMessageTemplates') ? 'sync' : 'list',
      phoneNumberId,
      answer: () => resolve({ messageTemplates: { edges: [{ node: template(`t-${phoneNumberId}`) }], totalCount: 1 }, syncMessageTemplates: [] }),
      fail: reject,
    });
  })) as GqlRequest;
  return { request, waiting };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('useMessageTemplates', () => {
  it('loads the templates of the number chosen, and loads again when it changes', async () => {
    const { request, waiting } = server();
    const number = ref<string | null>(null);
    const templates = useMessageTemplates(() => number.value, request);
    number.value = '111';
    await nextTick();
    expect(templates.loading.value).toBe(true);
    waiting[0].answer();
    await settled();
    expect(templates.items.value.map((t) => t.name)).toEqual(['t-111']);
    expect(templates.loading.value).toBe(false);
    number.value = null;
    await nextTick();
    expect(templates.items.value).toEqual([]);
    expect(waiting).toHaveLength(1);
  });

  it('drops the answer for a number no longer chosen (a quick change of instance)', async () => {
    const { request, waiting } = server();
    const number = ref('111');
    const templates = useMessageTemplates(() => number.value, request);
    const first = templates.load();
    number.value = '222';
    await nextTick();
    expect(waiting.map((w) => w.phoneNumberId)).toEqual(['111', '222']);
    waiting[1].answer();
    waiting[0].answer();
    await first;
    await settled();
    expect(templates.items.value.map((t) => t.name)).toEqual(['t-222']);
  });

  it('keeps the error of a failed load, and clears it on the next load', async () => {
    const { request, waiting } = server();
    const number = ref('111');
    const templates = useMessageTemplates(() => number.value, request);
    const failed = templates.load();
    waiting[0].fail(new Error('Meta is down'));
    await failed;
    expect((templates.error.value as Error).message).toBe('Meta is down');
    const again = templates.load();
    expect(templates.error.value).toBeNull();
    waiting[1].answer();
    await again;
  });

  it('syncs from Meta, then lists again', async () => {
    const { request, waiting } = server();
    const number = ref('111');
    const templates = useMessageTemplates(() => number.value, request);
    const sync = templates.sync();
    expect(waiting.map((w) => w.query)).toEqual(['sync']);
    waiting[0].answer();
    await settled();
    expect(waiting.map((w) => w.query)).toEqual(['sync', 'list']);
    waiting[1].answer();
    await sync;
    expect(templates.items.value.map((t) => t.name)).toEqual(['t-111']);
  });
});
