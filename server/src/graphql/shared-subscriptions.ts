import { print, subscribe as graphqlSubscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';

type SubscribeResult = AsyncIterable<ExecutionResult> | ExecutionResult;
type Subscribe = (args: ExecutionArgs) => Promise<SubscribeResult> | SubscribeResult;

/** Items a subscriber may fall behind by before its subscription ends with an error. */
export const MAX_PENDING_ITEMS = 1024;

/**
 * Subscriptions that ask the same thing share one execution: the same document, operation and
 * variables, for viewers of the same scope (`scopeOf`: the operator, or one tenant). Each event
 * is then filtered, resolved and serialised by GraphQL once for all of them, not once per socket:
 * with 200 dashboard sockets (four per tenant) the per-socket execution was most of the server's
 * CPU per event. A scope of null opts a subscription out (it runs alone, as graphql-ws would).
 * Sound only because a subscription's result depends on nothing but the event, its arguments
 * and the viewer's scope; a resolver that read anything else from its context would break it.
 */
export function sharedSubscriptions(scopeOf: (contextValue: unknown) => string | null, subscribe: Subscribe = graphqlSubscribe) {
  const sources = new Map<string, SharedSource>();

  return async (args: ExecutionArgs): Promise<SubscribeResult> => {
    const scope = scopeOf(args.contextValue);
    if (scope === null) return subscribe(args);
    const key = JSON.stringify([scope, print(args.document), args.operationName ?? null, args.variableValues ?? null]);
    let source = sources.get(key);
    if (!source) {
      source = new SharedSource(() => Promise.resolve(subscribe(args)), () => sources.delete(key));
      sources.set(key, source);
    }
    return source.join();
  };
}

/** One underlying subscription and the subscribers it feeds; it ends when the last one leaves. */
class SharedSource {
  private readonly subscribers = new Set<Subscriber>();
  private readonly started: Promise<SubscribeResult>;
  private iterator: AsyncIterator<ExecutionResult> | null = null;
  private closed = false;

  constructor(start: () => Promise<SubscribeResult>, private readonly forget: () => void) {
    this.started = start().then((result) => {
      if (!isAsyncIterable(result)) {
        // An error result (say, arguments refused): every subscriber waiting gets it, none shares.
        this.close();
        return result;
      }
      this.iterator = result[Symbol.asyncIterator]();
      if (this.subscribers.size === 0) this.close();
      else void this.pump(this.iterator);
      return result;
    }, (error: unknown) => {
      this.close();
      throw error;
    });
  }

  /** A new subscriber: added before the source has started, so its first events reach it too. */
  async join(): Promise<SubscribeResult> {
    const subscriber = new Subscriber(() => this.leave(subscriber));
    this.subscribers.add(subscriber);
    try {
      const result = await this.started;
      if (isAsyncIterable(result)) return subscriber;
      this.subscribers.delete(subscriber);
      return result;
    } catch (error) {
      this.subscribers.delete(subscriber);
      throw error;
    }
  }

  private leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) this.close();
  }

  private async pump(iterator: AsyncIterator<ExecutionResult>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) break;
        for (const subscriber of this.subscribers) subscriber.push(value);
      }
      for (const subscriber of [...this.subscribers]) subscriber.end();
    } catch (error) {
      for (const subscriber of [...this.subscribers]) subscriber.fail(error);
    } finally {
      this.close();
    }
  }

  /** Forgets the source at once, so a subscriber arriving now starts a fresh one. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    void this.iterator?.return?.();
  }
}

/** One socket's view of a shared source: its own queue, so a slow socket holds back only itself. */
class Subscriber implements AsyncIterableIterator<ExecutionResult, undefined> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: { resolve: (r: IteratorResult<ExecutionResult, undefined>) => void; reject: (e: unknown) => void } | null = null;
  private finished = false;
  private error: unknown = null;

  constructor(private readonly onLeave: () => void) {}

  push(value: ExecutionResult): void {
    if (this.finished) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else if (this.queue.length >= MAX_PENDING_ITEMS) {
      this.fail(new Error(`subscriber too slow: ${MAX_PENDING_ITEMS} items waiting; subscribe again to resume`));
      this.onLeave();
    } else {
      this.queue.push(value);
    }
  }

  /** The source ended: what is queued is still delivered, then done. */
  end(): void {
    this.finished = true;
    this.settleWaiting();
  }

  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.error = error;
    this.queue.length = 0;
    this.settleWaiting();
  }

  next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.error !== null) {
      const error = this.error;
      this.error = null;
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (!this.finished) this.onLeave();
    this.finished = true;
    this.queue.length = 0;
    this.settleWaiting();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult, undefined>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleWaiting(): void {
    if (!this.waiting) return;
    const { resolve, reject } = this.waiting;
    this.waiting = null;
    if (this.error !== null) {
      const error = this.error;
      this.error = null;
      reject(error);
    } else {
      resolve({ value: undefined, done: true });
    }
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof Object(value)[Symbol.asyncIterator] === 'function';
}
