import { describe, expect, it } from 'vitest';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isIntrospectionType, isSpecifiedScalarType, type GraphQLNamedType } from 'graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildAppSchema } from './build-schema.js';

// Integrators read the schema as the API's documentation: every type, field, argument, input
// field and enum value must say what it is. A new one without a description fails here.
function undescribed(type: GraphQLNamedType, roots: Set<string>): string[] {
  const missing: string[] = [];
  // The root types are containers the schema itself names; their fields carry the meaning.
  if (!type.description?.trim() && !roots.has(type.name)) missing.push(type.name);
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
    }
  } else if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
  } else if (isEnumType(type)) {
    for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
  }
  return missing;
}

describe('the GraphQL schema', () => {
  it('describes every type, field, argument, input field and enum value', async () => {
    const schema = await buildAppSchema(createPubSub() as never);
    const types = Object.values(schema.getTypeMap()).filter((t) => !isIntrospectionType(t) && !isSpecifiedScalarType(t));
    const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) => (t ? [t.name] : [])));
    expect(types.flatMap((t) => undescribed(t, roots))).toEqual([]);
  });
});
