import type { GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: GraphQLFormattedError[];
}

/** Calls POST /graphql as an integrator would: real HTTP, a bearer key, JSON. */
export async function gql<T = Record<string, any>>(baseUrl: string, key: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** The `extensions.code` of each error, for assertions. */
export function codes(response: GraphQLResponse): unknown[] {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}

/** Returns data, failing loudly with the errors when there are any. */
export async function gqlOk<T = Record<string, any>>(baseUrl: string, key: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await gql<T>(baseUrl, key, query, variables);
  if (response.errors?.length || !response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  return response.data;
}
