import { getCurrentScope, onScopeDispose } from 'vue';

// A reload that live events ask for: the first ask runs it at once, asks while it runs or within
// `ms` after it started are folded into one more run at the end of that time. A burst of 200 status
// webhooks costs two reloads, not 200, and the last state is always fetched.

export function coalesce(run: () => Promise<unknown> | void, ms: number) {
  let running = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  async function start(): Promise<void> {
    running = true;
    again = false;
    const started = Date.now();
    try {
      await run();
    } catch {
      // the page shows its own error state; a later ask tries again
    }
    const wait = Math.max(0, ms - (Date.now() - started));
    timer = setTimeout(() => {
      timer = null;
      running = false;
      if (again && !disposed) void start();
    }, wait);
  }

  function request(): void {
    if (disposed) return;
    if (running) again = true;
    else void start();
  }

  function dispose(): void {
    disposed = true;
    if (timer) clearTimeout(timer);
  }
  if (getCurrentScope()) onScopeDispose(dispose);
  return { request, dispose };
}
