import { ref } from 'vue';
import { createClient, type Client } from 'graphql-ws';
import { onSignOut, session } from '../api/session';
import type { TypedDocumentString } from '../api/generated';

// One graphql-ws connection per signed-in key, shared by every live panel. The key travels in
// connectionParams (browsers cannot set headers on websockets). The server closes with 4403 when
// it refuses the key: no point retrying that.

export type RealtimeStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'refused';
export const realtimeStatus = ref<RealtimeStatus>('idle');

let client: Client | null = null;
let clientKey: string | null = null;

function url(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

function realtimeClient(): Client {
  if (client && clientKey === session.key) return client;
  client?.dispose();
  clientKey = session.key;
  let everConnected = false;
  client = createClient({
    url: url(),
    lazy: true,
    lazyCloseTimeout: 2000,
    keepAlive: 15_000,
    retryAttempts: Infinity,
    connectionParams: () => ({ authorization: `Bearer ${clientKey}` }),
    shouldRetry: (event) => !(event && typeof event === 'object' && 'code' in event && (event as CloseEvent).code === 4403),
    on: {
      connecting: () => { realtimeStatus.value = everConnected ? 'reconnecting' : 'connecting'; },
      connected: () => { everConnected = true; realtimeStatus.value = 'connected'; },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        realtimeStatus.value = code === 4403 ? 'refused' : everConnected ? 'reconnecting' : 'idle';
      },
    },
  });
  return client;
}

export interface SubscriptionHandlers<T> {
  next(data: T): void;
  /** The subscription ended: `error` is something ErrorNotice shows (see subscriptionError). */
  error?(error: unknown): void;
}

/**
 * A subscription's end, as a page shows it: graphql-ws reports a closed socket as its CloseEvent and
 * the server's refusal as a list of GraphQL errors; anything else is passed on as it came.
 */
export function subscriptionError(error: unknown): unknown {
  if (typeof Event !== 'undefined' && error instanceof Event) return { code: 'CONNECTION_CLOSED', message: 'the live connection closed' };
  if (Array.isArray(error)) return { code: 'SUBSCRIPTION_ERROR', message: error.map((e: { message?: unknown }) => String(e?.message)).join('; ') };
  return error;
}

/** Starts a subscription; returns its stop function. */
export function subscribe<R, V extends Record<string, unknown>>(document: TypedDocumentString<R, V>, variables: V, handlers: SubscriptionHandlers<R>): () => void {
  return realtimeClient().subscribe<R>({ query: document.toString(), variables }, {
    next: (result) => {
      if (result.errors?.length) handlers.error?.(subscriptionError(result.errors));
      else if (result.data) handlers.next(result.data as R);
    },
    error: (error) => handlers.error?.(subscriptionError(error)),
    complete: () => {},
  });
}

onSignOut(() => {
  client?.dispose();
  client = null;
  clientKey = null;
  realtimeStatus.value = 'idle';
});
