import { getCurrentScope, onScopeDispose, ref, watch, type Ref } from 'vue';

/** A copy of `source` that follows it `ms` after it stops changing (search boxes). */
export function useDebounced<T>(source: Ref<T>, ms: number): Ref<T> {
  const value = ref(source.value) as Ref<T>;
  let timer: ReturnType<typeof setTimeout> | null = null;
  watch(source, (next) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { value.value = next; }, ms);
  });
  if (getCurrentScope()) onScopeDispose(() => { if (timer) clearTimeout(timer); });
  return value;
}
