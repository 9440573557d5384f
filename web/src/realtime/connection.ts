import { ref } from 'vue';
import { createClient, type Client } from 'graphql-ws';
import { onSignOut, session } from '../api/session';

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
  error?(error: unknown): void;
}

/** Starts a subscription; returns its stop function. */
export function subscribe<T>(query: string, variables: Record<string, unknown>, handlers: SubscriptionHandlers<T>): () => void {
  return realtimeClient().subscribe<T>({ query, variables }, {
    next: (result) => {
      if (result.errors?.length) handlers.error?.(result.errors);
      else if (result.data) handlers.next(result.data as T);
    },
    error: (error) => handlers.error?.(error),
    complete: () => {},
  });
}

onSignOut(() => {
  client?.dispose();
  client = null;
  clientKey = null;
  realtimeStatus.value = 'idle';
});
