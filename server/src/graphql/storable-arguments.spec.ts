import { describe, expect, it } from 'vitest';
import { GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, GraphQLInputObjectType, graphql, subscribe, parse, type ExecutionResult } from 'graphql';
import { GraphQLDateTimeISO, GraphQLJSON } from 'graphql-scalars';
import { ValidationError } from '../lib/errors.js';
import { assertStorable, withStorableArguments } from './storable-arguments.js';

// A schema of the shapes the API has (input objects, lists, JSON, dates, subscriptions), each
// resolver answering "ran": the check must stop a call before its resolver, naming the path.
function setup() {
  const ran: string[] = [];
  const plain = () => 'plain';
  const Input = new GraphQLInputObjectType({
    name: 'Input',
    fields: { name: { type: GraphQLString }, tags: { type: new GraphQLList(GraphQLString) }, variables: { type: GraphQLJSON }, since: { type: GraphQLDateTimeISO } },
  });
  const field = (name: string) => ({ type: GraphQLString, args: { input: { type: Input }, text: { type: GraphQLString } }, resolve: () => { ran.push(name); return 'ran'; } });
  const schema = withStorableArguments(new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { echo: field('echo'), plain: { type: GraphQLString, resolve: plain } } }),
    mutation: new GraphQLObjectType({ name: 'Mutation', fields: { save: field('save') } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        events: {
          type: GraphQLString, args: { filter: { type: new GraphQLNonNull(GraphQLString) } },
          subscribe: async function* () { ran.push('subscribe'); yield 'event'; },
          resolve: (event: string) => event,
        },
      },
    }),
  }));
  const run = async (source: string, variableValues: Record<string, unknown> = {}) => (await graphql({ schema, source, variableValues })) as ExecutionResult;
  const refusal = (result: ExecutionResult) => {
    const error = result.errors?.[0]?.originalError;
    return error instanceof ValidationError ? { message: error.message, field: error.details.field } : result.errors;
  };
  return { schema, ran, run, refusal, plain };
}

describe(withStorableArguments.name, () => {
  it('lets storable arguments through to the resolver', async () => {
    const { run, ran } = setup();
    const result = await run(`query($input: Input) { echo(input: $input, text: "Olá 😀") }`, { input: { name: 'مرحبا', tags: ['a'], variables: { greeting: 'hi' }, since: '2024-01-01T00:00:00Z' } });
    expect(result).toEqual({ data: { echo: 'ran' } });
    expect(ran).toEqual(['echo']);
  });

  it('refuses a NUL in a string, naming its path, before the resolver runs', async () => {
    const { run, ran, refusal } = setup();
    expect(refusal(await run(`mutation($input: Input) { save(input: $input) }`, { input: { name: 'a\u0000' } }))).toEqual({ field: 'input.name', message: 'input.name: contains a NUL character (U+0000) at offset 1, which cannot be stored' });
    expect(refusal(await run(`{ echo(text: "x\\u0000") }`))).toMatchObject({ field: 'text' });
    expect(ran).toEqual([]);
  });

  it('looks inside lists and JSON, keys included, at any depth', async () => {
    const { run, refusal } = setup();
    const query = `query($input: Input) { echo(input: $input) }`;
    expect(refusal(await run(query, { input: { tags: ['ok', 'b\uD800'] } }))).toMatchObject({ field: 'input.tags[1]', message: expect.stringMatching(/unpaired surrogate \(U\+D800\)/) });
    expect(refusal(await run(query, { input: { variables: { greeting: 'hi\u0000' } } }))).toMatchObject({ field: 'input.variables.greeting' });
    expect(refusal(await run(query, { input: { variables: { rules: [{ action: { text: '\u0000' } }] } } }))).toMatchObject({ field: 'input.variables.rules[0].action.text' });
    expect(refusal(await run(query, { input: { variables: { 'odd key\u0000': 1 } } }))).toMatchObject({ field: 'input.variables["odd key\\u0000"]', message: expect.stringMatching(/the key contains a NUL/) });
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(refusal(await run(query, { input: { variables: deep } }))).toMatchObject({ message: expect.stringMatching(/NUL/) });
  });

  it('refuses dates outside 1970-9999', async () => {
    const { run, refusal } = setup();
    const query = `query($input: Input) { echo(input: $input) }`;
    expect(refusal(await run(query, { input: { since: '0000-01-01T00:00:00Z' } }))).toEqual({ field: 'input.since', message: 'input.since: is outside 1970-01-01 to 9999-12-31' });
    expect(refusal(await run(query, { input: { since: '1969-12-31T23:59:59Z' } }))).toMatchObject({ field: 'input.since' });
    expect(await run(query, { input: { since: '9999-12-31T23:59:59Z' } })).toEqual({ data: { echo: 'ran' } });
  });

  it('checks a subscription once, when it starts', async () => {
    const { schema, ran } = setup();
    const refused = await subscribe({ schema, document: parse(`subscription { events(filter: "a\\u0000") }`) }) as ExecutionResult;
    expect(refused.errors?.[0].originalError).toBeInstanceOf(ValidationError);
    expect(ran).toEqual([]);
    const started = await subscribe({ schema, document: parse(`subscription { events(filter: "ok") }`) }) as AsyncIterableIterator<ExecutionResult>;
    expect((await started.next()).value).toEqual({ data: { events: 'event' } });
  });

  it('leaves fields without arguments as they were', () => {
    const { schema, plain } = setup();
    expect(schema.getQueryType()!.getFields().plain.resolve).toBe(plain);
  });
});

describe(assertStorable.name, () => {
  it('names the first bad value in argument order', () => {
    expect(() => assertStorable({ a: 'ok', b: ['\u0000'], c: '\u0000' })).toThrow('b[0]: contains a NUL');
  });

  it('cuts a long key short in the path', () => {
    const key = `${'k'.repeat(100)}\u0000`;
    expect(() => assertStorable({ input: { [key]: 1 } })).toThrow(`input["${'k'.repeat(40)}…"]`);
  });
});
