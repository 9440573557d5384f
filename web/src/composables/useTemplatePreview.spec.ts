import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { GraphQLRequestError, type GqlRequest } from '../api/client';
import { useTemplatePreview } from './useTemplatePreview';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const answer = (text: string) => ({ previewRuleTemplate: { version: 1, messages: [{ from: 'business', type: 'text', text, payload: null, ruleName: 'r', note: null }] } });

/** A fake server: records each input and answers with the menu link it was given (or refuses a bad one). */
function server() {
  const inputs: { variables?: Record<string, unknown> }[] = [];
  const request = (async (_doc: unknown, vars: { input: { variables?: Record<string, unknown> } }) => {
    inputs.push(vars.input);
    const url = vars.input.variables?.menu_url;
    if (url === 'bad') throw new GraphQLRequestError([{ message: 'variables.menu_url: Link: expected a web address starting with https://', extensions: { code: 'VALIDATION_FAILED', field: 'variables.menu_url' } }], 200);
    return answer(String(url ?? 'example'));
  }) as unknown as GqlRequest;
  return { inputs, request };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTick();
}

describe('useTemplatePreview', () => {
  it('plays the template at once, then again once the values stop changing', async () => {
    const { inputs, request } = server();
    const values = ref<Record<string, unknown>>({});
    const scope = effectScope();
    const preview = scope.run(() => useTemplatePreview(() => ({ ruleTemplateId: 't1', variables: values.value }), { request, debounce: 400 }))!;
    await settle();
    expect(preview.turns.value?.[0].text).toBe('example');
    values.value = { menu_url: 'https://a' };
    await nextTick();
    vi.advanceTimersByTime(200);
    values.value = { menu_url: 'https://ab' };
    await nextTick();
    vi.advanceTimersByTime(399);
    expect(inputs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await settle();
    expect(inputs).toHaveLength(2);
    expect(preview.turns.value?.[0].text).toBe('https://ab');
    scope.stop();
  });

  it('names a refused value under its variable and keeps the last conversation, marked stale', async () => {
    const { request } = server();
    const values = ref<Record<string, unknown>>({});
    const scope = effectScope();
    const preview = scope.run(() => useTemplatePreview(() => ({ ruleTemplateId: 't1', variables: values.value }), { request, debounce: 0 }))!;
    await settle();
    values.value = { menu_url: 'bad' };
    await settle();
    expect(preview.errors.value.fields).toEqual({ menu_url: 'expected a web address starting with https://' });
    expect([preview.stale.value, preview.turns.value?.[0].text]).toEqual([true, 'example']);
    values.value = { menu_url: 'https://ok' };
    await settle();
    expect([preview.errors.value.fields, preview.stale.value, preview.turns.value?.[0].text]).toEqual([{}, false, 'https://ok']);
    scope.stop();
  });
});
