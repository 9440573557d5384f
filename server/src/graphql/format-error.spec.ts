import { describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFormattedError } from 'graphql';
import { NotFoundError } from '../lib/errors.js';
import { createFormatError } from './format-error.js';

// Real Apollo over a small schema whose fields fail each way a resolver can: what the caller gets,
// what is logged, and what is counted.
async function setup() {
  const logged: { line: Record<string, unknown>; message: string }[] = [];
  const counted: GraphQLFormattedError[] = [];
  const log = { error: (line: Record<string, unknown>, message: string) => { logged.push({ line, message }); }, warn() {}, info() {}, debug() {} };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        broken: { type: GraphQLString, resolve: () => { throw new Error('password authentication failed for user "wabahub"'); } },
        missing: { type: GraphQLString, resolve: () => { throw new NotFoundError('Tenant', 't1'); } },
        nonNull: { type: new GraphQLNonNull(GraphQLString), resolve: () => null },
        sum: { type: GraphQLInt, args: { values: { type: new GraphQLList(new GraphQLNonNull(GraphQLInt)) } }, resolve: (_s, args: { values: number[] }) => args.values.reduce((a, b) => a + b, 0) },
      },
    }),
  });
  const apollo = new ApolloServer({ schema, formatError: createFormatError({ log: log as never, onInternal: (f) => counted.push(f) }) });
  await apollo.start();
  const run = async (query: string, variables?: Record<string, unknown>) => {
    const response = await apollo.executeOperation({ query, variables });
    return response.body.kind === 'single' ? response.body.singleResult.errors ?? [] : [];
  };
  return { run, logged, counted, stop: () => apollo.stop() };
}

describe(createFormatError.name, () => {
  it('answers a thrown error INTERNAL_SERVER_ERROR without its message, logs the cause and counts it', async () => {
    const { run, logged, counted, stop } = await setup();
    const [error] = await run('{ broken }');
    expect(error).toEqual({ message: 'internal error', locations: [{ line: 1, column: 3 }], path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged).toHaveLength(1);
    expect(logged[0].line).toMatchObject({ path: ['broken'], err: expect.objectContaining({ message: expect.stringMatching(/password authentication failed/) }) });
    expect(counted.map((f) => f.path)).toEqual([['broken']]);
    await stop();
  });

  it("keeps a domain error's code and details, and neither logs nor counts it", async () => {
    const { run, logged, counted, stop } = await setup();
    expect(await run('{ missing }')).toMatchObject([{ message: 'Tenant t1 was not found', extensions: { code: 'NOT_FOUND', entity: 'Tenant', id: 't1' } }]);
    expect([logged, counted]).toEqual([[], []]);
    await stop();
  });

  it("logs and counts graphql-js's word that our answer is wrong (null for a non-null field)", async () => {
    const { run, counted, stop } = await setup();
    expect(await run('{ nonNull }')).toMatchObject([{ path: ['nonNull'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(counted).toHaveLength(1);
    await stop();
  });

  it('answers more than 50 bad variables BAD_USER_INPUT, as it does one: the request is at fault', async () => {
    const { run, counted, logged, stop } = await setup();
    const one = await run('query($values: [Int!]) { sum(values: $values) }', { values: ['x'] });
    expect(one.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const many = await run('query($values: [Int!]) { sum(values: $values) }', { values: Array.from({ length: 60 }, () => 'x') });
    expect(many.at(-1)).toMatchObject({ message: expect.stringMatching(/Too many errors processing variables/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(new Set(many.map((e) => e.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect([logged, counted]).toEqual([[], []]);
    await stop();
  });
});
