import { getCurrentScope, onScopeDispose, ref, shallowRef } from 'vue';
import { GraphQLRequestError } from '../api/client';

// Polls a query every `intervalMs`, never overlapping (the next run is scheduled when one ends).
// When the server does not know the field (an operation not deployed yet) or refuses it (a tenant
// key asking for operator data), the panel reads "unavailable" and polling stops.

export interface Timers { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void }

// Wrapped, not passed as-is: browsers throw "Illegal invocation" for setTimeout called as a method of another object.
const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) };

export function usePolling<T>(task: () => Promise<T>, intervalMs: number, timers: Timers = realTimers) {
  const data = shallowRef<T | null>(null);
  const error = shallowRef<unknown>(null);
  const unavailable = ref(false);
  const running = ref(false);
  let timer: unknown = null;
  let stopped = true;

  async function tick(): Promise<void> {
    timer = null;
    try {
      data.value = await task();
      error.value = null;
    } catch (e) {
      error.value = e;
      if (e instanceof GraphQLRequestError && (e.unsupported || e.code === 'FORBIDDEN')) {
        unavailable.value = true;
        stop();
        return;
      }
    }
    if (!stopped) timer = timers.set(() => void tick(), intervalMs);
  }

  function start(): Promise<void> {
    if (!stopped) return Promise.resolve();
    stopped = false;
    running.value = true;
    return tick();
  }

  function stop(): void {
    stopped = true;
    running.value = false;
    if (timer) timers.clear(timer);
    timer = null;
  }

  /** Runs now (e.g. after "retry failed"), keeping the schedule. */
  async function refresh(): Promise<void> {
    if (timer) timers.clear(timer);
    await tick();
  }

  if (getCurrentScope()) onScopeDispose(stop);
  return { data, error, unavailable, running, start, stop, refresh };
}
