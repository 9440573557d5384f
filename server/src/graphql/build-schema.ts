import 'reflect-metadata';
import { buildSchema, type PubSub } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers.js';

/** The schema from the code. `pubSub` is needed to serve subscriptions; emit-schema passes none. */
export async function buildAppSchema(pubSub?: PubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    pubSub,
    validate: false, // services validate and throw domain errors with clear messages
    emitSchemaFile: false,
  });
}
