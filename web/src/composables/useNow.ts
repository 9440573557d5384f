import { getCurrentScope, onScopeDispose, readonly, ref, type Ref } from 'vue';

// One clock for everything on screen that says "closes in 5 h": every component reads the same
// `now`, so the thread's header, the reply box and the contact panel never disagree by a minute.
// It ticks every 30 s while anyone uses it.

const TICK_MS = 30_000;
const now = ref(Date.now());
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

export function useNow(): Readonly<Ref<number>> {
  users++;
  if (!timer) {
    now.value = Date.now();
    timer = setInterval(() => { now.value = Date.now(); }, TICK_MS);
  }
  if (getCurrentScope()) {
    onScopeDispose(() => {
      users--;
      if (users === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    });
  }
  return readonly(now);
}
