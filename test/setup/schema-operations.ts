import {
  buildClientSchema, getIntrospectionQuery, getNamedType, isNonNullType, isObjectType,
  type GraphQLField, type GraphQLObjectType, type GraphQLOutputType, type GraphQLSchema, type IntrospectionQuery,
} from 'graphql';
import { gqlOk } from './graphql-client.js';

// What tests that walk the whole API share (tenant isolation, the fuzz test): the schema's
// operations and a selection for each, so a new operation is covered without editing the tests.

export interface RootOperation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}

/** The running server's schema as an integrator's tools see it: introspection over HTTP. */
export async function introspectSchema(baseUrl: string, key: string): Promise<GraphQLSchema> {
  return buildClientSchema(await gqlOk<IntrospectionQuery>(baseUrl, key, getIntrospectionQuery()));
}

/** Every query and mutation of the schema. Subscriptions are left to the callers (they need a socket). */
export function rootOperations(schema: GraphQLSchema): RootOperation[] {
  return [
    ...Object.values(schema.getQueryType()?.getFields() ?? {}).map((field) => ({ kind: 'query' as const, field })),
    ...Object.values(schema.getMutationType()?.getFields() ?? {}).map((field) => ({ kind: 'mutation' as const, field })),
  ];
}

/** A selection of every scalar field (and of nested objects' fields), two levels deep; fields with required arguments are left out. */
export function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const fields = Object.values((named as GraphQLObjectType).getFields()).filter((f) => f.args.every((arg) => !isNonNullType(arg.type)));
  const parts = fields.map((f) => {
    const inner = getNamedType(f.type);
    if (isObjectType(inner)) return depth < 2 ? `${f.name} ${selectionOf(f.type, depth + 1)}` : '';
    return f.name;
  }).filter(Boolean);
  return `{ ${parts.join(' ')} }`;
}
