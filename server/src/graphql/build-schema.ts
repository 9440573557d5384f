import 'reflect-metadata';
import { buildSchema, type PubSub } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers.js';
import { withStorableArguments } from './storable-arguments.js';

/** The schema from the code. `pubSub` is needed to serve subscriptions; emit-schema passes none. */
export async function buildAppSchema(pubSub?: PubSub): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    pubSub,
    validate: false, // services validate and throw domain errors with clear messages
    emitSchemaFile: false,
  });
  // Every argument, of every operation present and future, is refused at the edge when Postgres
  // could not store it (NUL, unpaired surrogates, dates outside 1970-9999): see there.
  return withStorableArguments(schema);
}
