import { computed, reactive } from 'vue';
import { configureClient, gql, GraphQLRequestError } from './client';
import { ViewerDocument } from './generated';
import type { Viewer } from './types';

// Who is signed in. The API key lives in localStorage (the dashboard is a tool for the key's owner
// on their own machine); it is verified with `{ viewer }` before being stored, and dropped as soon
// as the server answers UNAUTHENTICATED (a revoked key).

const STORAGE_KEY = 'wabahub.apiKey';

export const session = reactive({
  key: null as string | null,
  viewer: null as Viewer | null,
});

const listeners = new Set<() => void>();
/** Called on sign-out (the realtime connection closes, the router goes to sign-in). */
export function onSignOut(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export async function signIn(rawKey: string): Promise<Viewer> {
  const key = rawKey.trim().replace(/^Bearer\s+/i, '');
  if (!key) throw new GraphQLRequestError([{ message: 'paste an API key', extensions: { code: 'VALIDATION_FAILED', field: 'key' } }], 0);
  const { viewer } = await gql(ViewerDocument, {}, { key });
  session.key = key;
  session.viewer = viewer;
  try {
    localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // private mode: the session lasts until the tab closes
  }
  return viewer;
}

export function signOut(): void {
  session.key = null;
  session.viewer = null;
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  listeners.forEach((l) => l());
}

let restoring: Promise<void> | null = null;
/** Restores a stored key once per page load; a key the server no longer accepts is forgotten. */
export function restoreSession(): Promise<void> {
  restoring ??= (async () => {
    const stored = readStored();
    if (!stored) return;
    try {
      await signIn(stored);
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED') signOut();
      else session.key = stored; // server unreachable: keep the key, pages show the error
    }
  })();
  return restoring;
}

configureClient({
  key: () => session.key,
  onUnauthenticated: () => { if (session.key) signOut(); },
});

/** The operator key is signed in: pages show every tenant's rows and the operator's controls. */
export const isOperator = computed(() => session.viewer?.kind === 'operator');
