import type { TypedDocumentString } from './generated';

// A tiny GraphQL-over-HTTP client: POST /graphql with the stored key as a bearer token.
// Every failure becomes one GraphQLRequestError carrying the server's `extensions.code`, so pages
// can show "invalid API key (UNAUTHENTICATED)" and forms can put VALIDATION_FAILED next to a field.
// It takes the typed documents of `pnpm codegen` (./generated.ts, from ./operations/*.graphql):
// the result and the variables are the operation's own, checked against the schema.

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export class GraphQLRequestError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(readonly errors: GraphQLErrorShape[], readonly status: number) {
    super(errors.map((e) => e.message).join('; ') || `request failed (HTTP ${status})`);
    this.name = 'GraphQLRequestError';
    this.code = errors[0]?.extensions?.code ?? (status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`);
    this.field = errors[0]?.extensions?.field;
  }

  /** True when the server does not know a field or argument we asked for: an operation not built yet. */
  get unsupported(): boolean {
    return this.code === 'GRAPHQL_VALIDATION_FAILED' && this.errors.some((e) => /Cannot query field|Unknown argument|Unknown type/.test(e.message));
  }
}

type KeyProvider = () => string | null;
let keyProvider: KeyProvider = () => null;
let onUnauthenticated: (() => void) | null = null;

/** Wires the client to the session (kept out of this module so it stays free of globals in tests). */
export function configureClient(options: { key: KeyProvider; onUnauthenticated?: () => void }): void {
  keyProvider = options.key;
  onUnauthenticated = options.onUnauthenticated ?? null;
}

export interface RequestOptions {
  /** Use this key instead of the stored one (sign-in verifies a key before storing it). */
  key?: string;
  signal?: AbortSignal;
}

/** An operation's variables, optional when it has no required one (`Exact<{ [key: string]: never }>` or all optional). */
export type VariablesArgs<V> = Record<string, never> extends V ? [variables?: V] : [variables: V];
/** gql's arguments after the document: the variables (see VariablesArgs), then the request's options. */
export type GqlArgs<V> = Record<string, never> extends V ? [variables?: V, options?: RequestOptions] : [variables: V, options?: RequestOptions];

/** What composables that query take, so a spec can hand them a fake server (gql in the app). */
export type GqlRequest = <R, V>(document: TypedDocumentString<R, V>, ...variables: VariablesArgs<V>) => Promise<R>;

export async function gql<R, V>(document: TypedDocumentString<R, V>, ...args: GqlArgs<V>): Promise<R> {
  const [variables, options = {}] = args as [V | undefined, RequestOptions | undefined];
  const query = document.toString();
  const key = options.key ?? keyProvider();
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables: variables ?? {} }),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new GraphQLRequestError([{ message: 'cannot reach the server', extensions: { code: 'NETWORK_ERROR' } }], 0);
  }
  let body: { data?: R | null; errors?: GraphQLErrorShape[] };
  try {
    body = await response.json();
  } catch {
    throw new GraphQLRequestError([], response.status);
  }
  if (body.errors?.length) {
    const error = new GraphQLRequestError(body.errors, response.status);
    if (error.code === 'UNAUTHENTICATED' && !options.key) onUnauthenticated?.();
    throw error;
  }
  if (!body.data) throw new GraphQLRequestError([], response.status);
  return body.data;
}

/** "message (CODE)" for people. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof GraphQLRequestError) return { code: error.code, message: error.message };
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) return { code: String(error.code), message: String(error.message) };
  return { code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
}
