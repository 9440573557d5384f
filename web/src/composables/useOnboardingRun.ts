import { getCurrentScope, onScopeDispose, reactive, ref, shallowRef } from 'vue';
import { gql, type RequestOptions } from '../api/client';
import {
  CancelOnboardingDocument, OnboardingProgressDocument, OnboardingRunDocument, OnboardingRunSecretDocument, RetryOnboardingDocument, SubmitVerificationCodeDocument,
} from '../api/generated';
import { subscribe as realSubscribe } from '../realtime/connection';
import { isFinished, isNewer, type OnboardingRun } from './onboarding';
import { useSubmit } from './useSubmit';

// One onboarding run on screen, kept current: the operator's pages follow it live
// (onboardingProgress over the websocket, then one read); an invite's page has no key for a
// socket and reads it every second until the run ends. graphql-ws does not say when the server
// has registered a subscription, so a step that moves while the socket is still connecting would
// be missed: live pages also read the run every few seconds until it ends.
// Once the run has made its tenant, the tenant's API key secret is read, once: the server gives
// it to the first read only, so it is asked for on its own and kept here.

export interface RunSource {
  /** Reads the run (the invite page passes its link's token as the key). */
  read(id: string, options: RequestOptions): Promise<OnboardingRun>;
  readSecret(id: string, options: RequestOptions): Promise<string | null>;
  /** Pushes each change of the run; returns its stop function. */
  subscribe(id: string, next: (run: OnboardingRun) => void, error: (e: unknown) => void): () => void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const realSource: RunSource = {
  read: async (id, options) => (await gql(OnboardingRunDocument, { id }, options)).onboardingRun,
  readSecret: async (id, options) => (await gql(OnboardingRunSecretDocument, { id }, options)).onboardingRun.apiKeySecret,
  subscribe: (id, next, error) => realSubscribe(OnboardingProgressDocument, { runId: id }, { next: (d) => next(d.onboardingProgress), error }),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface FollowOptions {
  /** 'live': the subscription (operator), and a read every `pollMs` (3 s) as a safety net; 'poll': a read every `pollMs` (1 s; an invite link). */
  mode: 'live' | 'poll';
  /** The invite link's token, sent instead of the stored key. */
  key?: string;
  pollMs?: number;
}

export function useOnboardingRun(options: FollowOptions, source: RunSource = realSource) {
  const run = shallowRef<OnboardingRun | null>(null);
  const error = shallowRef<unknown>(null);
  const secret = ref<string | null>(null);
  const requestOptions: RequestOptions = options.key ? { key: options.key } : {};
  let runId: string | null = null;
  let stopLive: (() => void) | null = null;
  let timer: unknown = null;
  let secretAsked = false;

  /** Takes a run read or pushed, unless the one on screen is newer (see isNewer); a mutation's answer is always taken. */
  function take(incoming: OnboardingRun, force = false): void {
    if (incoming.id !== runId) return; // the server only sends this run; the page checks anyway
    if (force || isNewer(run.value, incoming)) run.value = incoming;
    if (incoming.tenantId && !secretAsked) {
      secretAsked = true;
      source.readSecret(incoming.id, requestOptions).then((s) => { if (s) secret.value = s; }, (e) => { error.value = e; });
    }
  }

  async function refresh(): Promise<void> {
    if (!runId) return;
    const id = runId;
    try {
      const read = await source.read(id, requestOptions);
      if (id === runId) take(read);
      error.value = null;
    } catch (e) {
      error.value = e;
    }
  }

  const pollMs = options.pollMs ?? (options.mode === 'live' ? 3000 : 1000);
  function schedulePoll(): void {
    if (!runId || timer) return;
    timer = source.setTimer(async () => {
      timer = null;
      await refresh();
      if (run.value && isFinished(run.value.state)) return;
      schedulePoll();
    }, pollMs);
  }

  /** Follows the run `id` (stops following any other), starting with what the caller already has. */
  function follow(id: string, initial?: OnboardingRun): Promise<void> {
    stop();
    runId = id;
    secretAsked = false;
    secret.value = null;
    run.value = null;
    if (initial) take(initial, true);
    if (options.mode === 'live') stopLive = source.subscribe(id, (r) => take(r), (e) => { error.value = e; });
    const first = refresh();
    void first.then(() => { if (!run.value || !isFinished(run.value.state)) schedulePoll(); });
    return first;
  }

  /** A mutation answered the run (submit code, retry, cancel): show it, and keep polling if it moves again. */
  function replace(updated: OnboardingRun): void {
    take(updated, true);
    if (!isFinished(updated.state)) schedulePoll();
  }

  function stop(): void {
    stopLive?.();
    stopLive = null;
    if (timer) source.clearTimer(timer);
    timer = null;
  }

  if (getCurrentScope()) onScopeDispose(stop);
  return { run, error, secret, follow, replace, refresh, stop };
}

/**
 * What a person does to a run on screen: type the SMS code, retry after the fix, cancel. Each
 * answer is shown at once (replace); a refused code is an error under the code field, and the run
 * keeps waiting for the right one.
 */
export function useRunActions(follow: Pick<ReturnType<typeof useOnboardingRun>, 'run' | 'replace'>, options: { key?: string } = {}) {
  const requestOptions: RequestOptions = options.key ? { key: options.key } : {};
  const runId = () => follow.run.value?.id ?? '';
  const submitCode = reactive(useSubmit(async (code: string) => {
    follow.replace((await gql(SubmitVerificationCodeDocument, { runId: runId(), code: code.trim() }, requestOptions)).submitVerificationCode);
  }, { fields: ['code'], validate: (code: string) => ({ code: /^\d{6}$/.test(code.replace(/\D/g, '')) ? undefined : 'the 6 digits of the SMS' }) }));
  const retry = reactive(useSubmit(async (pin?: string) => {
    follow.replace((await gql(RetryOnboardingDocument, { runId: runId(), pin: pin?.trim() || null }, requestOptions)).retryOnboarding);
  }, { fields: ['pin'] }));
  const cancel = reactive(useSubmit(async () => {
    follow.replace((await gql(CancelOnboardingDocument, { runId: runId() }, requestOptions)).cancelOnboarding);
  }));
  return { submitCode, retry, cancel };
}
