import { describe, expect, it } from 'vitest';
import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { MAX_PENDING_ITEMS, sharedSubscriptions } from './shared-subscriptions.js';

// A schema whose one subscription field streams strings from a source the test pushes into,
// resolved with the subscriber's scope (from its context) and counted: executions per event show
// whether subscribers share one.
function setup() {
  const sources: { push: (v: string) => void; end: () => void; returned: boolean }[] = [];
  let resolutions = 0;
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: GraphQLString,
          args: { prefix: { type: GraphQLString } },
          // An iterator whose return() ends a pending next() at once, as pub/sub's do (an async
          // generator's return would wait for its next event).
          subscribe: () => {
            const queue: string[] = [];
            let waiting: ((r: IteratorResult<string>) => void) | null = null;
            let ended = false;
            const settle = () => {
              if (!waiting) return;
              if (queue.length > 0) { waiting({ value: queue.shift()!, done: false }); waiting = null; } else if (ended) { waiting({ value: undefined, done: true }); waiting = null; }
            };
            const source = { push: (v: string) => { queue.push(v); settle(); }, end: () => { ended = true; settle(); }, returned: false };
            sources.push(source);
            const iterator: AsyncIterableIterator<string> = {
              next: () => new Promise((resolve) => { waiting = resolve; settle(); }),
              return: async () => { source.returned = true; source.end(); return { value: undefined, done: true }; },
              [Symbol.asyncIterator]: () => iterator,
            };
            return iterator;
          },
          resolve: (value: string, args: { prefix?: string }, context: { scope: string | null }) => {
            resolutions++;
            return `${args.prefix ?? ''}${value}@${context.scope}`;
          },
        },
      },
    }),
  });
  const shared = sharedSubscriptions((context) => (context as { scope: string | null }).scope);
  const join = async (scope: string | null, query = 'subscription { ticks }', variableValues?: Record<string, unknown>) => {
    const args: ExecutionArgs = { schema, document: parse(query), contextValue: { scope }, variableValues };
    return (await shared(args)) as AsyncIterableIterator<ExecutionResult> | ExecutionResult;
  };
  return { sources, join, resolutions: () => resolutions };
}

const take = async (it: AsyncIterator<ExecutionResult>) => (await it.next()).value?.data?.ticks;
const settle = () => new Promise((r) => setTimeout(r, 10));

describe(sharedSubscriptions.name, () => {
  it('runs one execution per event for subscribers of one scope asking the same thing', async () => {
    const { sources, join, resolutions } = setup();
    const a = (await join('tenant:a')) as AsyncIterableIterator<ExecutionResult>;
    const b = (await join('tenant:a')) as AsyncIterableIterator<ExecutionResult>;
    expect(sources).toHaveLength(1);
    sources[0].push('1');
    sources[0].push('2');
    expect([await take(a), await take(a)]).toEqual(['1@tenant:a', '2@tenant:a']);
    expect([await take(b), await take(b)]).toEqual(['1@tenant:a', '2@tenant:a']);
    expect(resolutions()).toBe(2);
  });

  it('keeps scopes, documents and variables apart', async () => {
    const { sources, join } = setup();
    const a = (await join('tenant:a')) as AsyncIterableIterator<ExecutionResult>;
    const b = (await join('tenant:b')) as AsyncIterableIterator<ExecutionResult>;
    const prefixed = (await join('tenant:a', 'subscription($p: String) { ticks(prefix: $p) }', { p: 'x' })) as AsyncIterableIterator<ExecutionResult>;
    expect(sources).toHaveLength(3);
    sources.forEach((s, i) => s.push(String(i)));
    expect([await take(a), await take(b), await take(prefixed)]).toEqual(['0@tenant:a', '1@tenant:b', 'x2@tenant:a']);
  });

  it('does not share a subscription whose scope is null', async () => {
    const { sources, join } = setup();
    await join(null);
    await join(null);
    expect(sources).toHaveLength(2);
  });

  it('goes on for the others when one leaves, and ends the source when the last one does', async () => {
    const { sources, join } = setup();
    const a = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    const b = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    await a.return!();
    sources[0].push('1');
    expect(await take(b)).toBe('1@operator');
    expect(await a.next()).toEqual({ value: undefined, done: true });
    expect(sources[0].returned).toBe(false);
    await b.return!();
    await settle();
    expect(sources[0].returned).toBe(true);
    // A subscriber arriving afterwards starts a fresh source.
    const c = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    expect(sources).toHaveLength(2);
    sources[1].push('2');
    expect(await take(c)).toBe('2@operator');
  });

  it('ends every subscriber when the source ends, after what each has queued', async () => {
    const { sources, join } = setup();
    const a = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    const b = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    sources[0].push('1');
    sources[0].end();
    await settle();
    for (const s of [a, b]) {
      expect(await take(s)).toBe('1@operator');
      expect((await s.next()).done).toBe(true);
    }
  });

  it('returns an error result to each caller and shares nothing', async () => {
    const { sources, join } = setup();
    const first = (await join('operator', 'subscription($p: String!) { ticks(prefix: $p) }', {})) as ExecutionResult;
    const second = (await join('operator', 'subscription($p: String!) { ticks(prefix: $p) }', {})) as ExecutionResult;
    expect(first.errors?.[0].message).toMatch(/\$p/);
    expect(second.errors?.[0].message).toMatch(/\$p/);
    expect(sources).toHaveLength(0);
  });

  it('ends a subscriber that falls too far behind with an error, and only that one', async () => {
    const { sources, join } = setup();
    const slow = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    const fast = (await join('operator')) as AsyncIterableIterator<ExecutionResult>;
    const seen: string[] = [];
    const reading = (async () => { for await (const r of fast) { seen.push(r.data!.ticks as string); if (seen.length === MAX_PENDING_ITEMS + 10) break; } })();
    for (let i = 0; i < MAX_PENDING_ITEMS + 10; i++) {
      sources[0].push(String(i));
      await settle0();
    }
    await reading;
    expect(seen).toHaveLength(MAX_PENDING_ITEMS + 10);
    await expect(slow.next()).rejects.toThrow(/too slow/);
    expect((await slow.next()).done).toBe(true);
  });
});

const settle0 = () => new Promise((r) => setImmediate(r));
