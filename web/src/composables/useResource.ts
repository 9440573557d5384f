import { ref, shallowRef } from 'vue';

// One object on screen (an instance with its rules, a conversation's thread): loading it, the error
// the page shows with Retry, and reloading it while the old value stays on screen. An answer to an
// older request never replaces a newer one; `set` puts in what a mutation answered.

export function useResource<T>(fetch: () => Promise<T>) {
  const data = shallowRef<T | null>(null);
  const error = shallowRef<unknown>(null);
  const loading = ref(false);
  let generation = 0;

  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    try {
      const value = await fetch();
      if (mine !== generation) return;
      data.value = value;
      error.value = null;
    } catch (e) {
      if (mine === generation) error.value = e;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  /** Replaces the value (what a mutation answered); a reload in flight no longer lands. */
  function set(value: T | null): void {
    generation++;
    loading.value = false;
    error.value = null;
    data.value = value;
  }

  return { data, error, loading, reload, set };
}
