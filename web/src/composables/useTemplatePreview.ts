import { getCurrentScope, onScopeDispose, ref, shallowRef, watch } from 'vue';
import { gql, type GqlRequest } from '../api/client';
import { PreviewRuleTemplateDocument, type PreviewRuleTemplateInput } from '../api/generated';
import { noErrors, type FormErrors } from './fieldErrors';
import type { PreviewTurn } from './templatePreview';
import { variableErrorsOf } from './templateVariables';

// The live preview of a configuration template: previewRuleTemplate plays the template's sample
// messages through the real engine with the values typed so far. It runs again `debounce` ms after
// the values stop changing; an older answer never replaces a newer one. A value the server
// refuses is named in `errors.fields` (shown beside its input) while the last good conversation
// stays on screen, marked `stale`.

export function useTemplatePreview(input: () => PreviewRuleTemplateInput | null, options: { debounce?: number; request?: GqlRequest } = {}) {
  const request = options.request ?? gql;
  const debounce = options.debounce ?? 400;
  const turns = shallowRef<PreviewTurn[] | null>(null);
  const errors = shallowRef<FormErrors>(noErrors());
  const loading = ref(false);
  /** The conversation on screen is from earlier values (the current ones were refused). */
  const stale = ref(false);
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function refresh(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const wanted = input();
    const mine = ++generation;
    if (!wanted) return;
    loading.value = true;
    try {
      const { previewRuleTemplate } = await request(PreviewRuleTemplateDocument, { input: wanted });
      if (mine !== generation) return;
      turns.value = previewRuleTemplate.messages;
      errors.value = noErrors();
      stale.value = false;
    } catch (error) {
      if (mine !== generation) return;
      errors.value = variableErrorsOf(error, []);
      stale.value = turns.value !== null;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  watch(() => JSON.stringify(input()), (_now, before) => {
    if (timer) clearTimeout(timer);
    if (before === undefined || debounce === 0) void refresh();
    else timer = setTimeout(() => void refresh(), debounce);
  }, { immediate: true });
  if (getCurrentScope()) onScopeDispose(() => { if (timer) clearTimeout(timer); });

  return { turns, errors, loading, stale, refresh };
}
