import { randomInt } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { Core } from '../../server/src/runtime.js';
import { Topics } from '../../server/src/graphql/pubsub.js';
import { emptyActivity, publishActivity } from '../../server/src/modules/activity/activity.publisher.js';
import type { CampaignProgressPayload } from '../../server/src/modules/campaigns/campaigns.jobs.js';

// graphql-ws acknowledges a connection, never a subscription: after `connected` the server has
// yet to receive the subscribe message and SUBSCRIBE on Redis, and nothing tells the client when
// it did. So a test proves a subscription live the only way there is: it publishes a harmless
// probe on the subscription's own channel, through the server's own publisher, until one comes
// through. The same probe also serves as a barrier: once a probe published now has arrived, every
// item published on that channel before it has arrived too (Redis delivers a connection's
// messages in order), so "this socket never got X" can be asserted without waiting.

/** A probe: publishes one harmless item carrying `token` that the subscription must receive. */
export interface Probe<T> {
  publish(token: number): void | Promise<void>;
  /** The token of a probe item; null for a real item. */
  tokenOf(item: T): number | null;
}

export interface LiveSubscription<T> {
  /** Every real item received, oldest first (probes are left out). */
  received: T[];
  /** Errors the subscription reported (GraphQL errors in a result, or its end with an error). */
  errors: unknown[];
  /**
   * Resolves once a probe published now has come through: the subscription is live on the server,
   * and whatever was published on its channel before this call has reached `received` already.
   */
  sync(timeoutMs?: number): Promise<void>;
  /** Resolves once `check(received)` holds, tested as each item arrives; rejects after `timeoutMs`. */
  until(check: (received: T[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Leaves: the client is disposed (the socket closes). */
  close(): Promise<void>;
}

let nextToken = randomInt(1, 1_000_000);

/** Subscribes over graphql-ws, as a dashboard would: real socket, a bearer key in connectionParams. */
export function subscribeLive<T>(baseUrl: string, key: string, operation: { query: string; variables?: Record<string, unknown>; field: string }, probe: Probe<T>): LiveSubscription<T> {
  const client: Client = createClient({ url: `${baseUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, lazy: false, retryAttempts: 0 });
  const received: T[] = [];
  const errors: unknown[] = [];
  const probes = new Set<number>();
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  client.subscribe({ query: operation.query, variables: operation.variables ?? {} }, {
    next: (value) => {
      if (value.errors?.length) errors.push(...value.errors);
      const item = (value.data as Record<string, T> | null | undefined)?.[operation.field];
      if (item === undefined || item === null) return notify();
      const token = probe.tokenOf(item);
      if (token === null) received.push(item);
      else probes.add(token);
      notify();
    },
    error: (error) => {
      errors.push(error);
      notify();
    },
    complete: () => {},
  });

  /** Resolves with true once `done()` holds (checked on every arrival), false after `ms`. */
  const arrival = (done: () => boolean, ms: number) => new Promise<boolean>((resolve) => {
    const finish = (result: boolean) => {
      clearTimeout(timer);
      listeners.delete(check);
      resolve(result);
    };
    const check = () => { if (done() || errors.length > 0) finish(done()); };
    const timer = setTimeout(() => finish(false), ms);
    listeners.add(check);
    check();
  });

  return {
    received,
    errors,
    async sync(timeoutMs = 10_000) {
      const mine: number[] = [];
      const deadline = Date.now() + timeoutMs;
      // Until the subscription is live, probes are lost: publish another after a growing pause
      // (a retry interval, not a proof: only an arrival ends the wait).
      for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
        const token = nextToken++;
        mine.push(token);
        const arrived = arrival(() => mine.some((t) => probes.has(t)), pause);
        await probe.publish(token);
        if (await arrived) return;
        if (errors.length > 0) throw new Error(`the subscription failed: ${JSON.stringify(errors)}`);
        if (Date.now() > deadline) throw new Error(`no probe came through the subscription in ${timeoutMs} ms: it never became live`);
      }
    },
    async until(check, what, timeoutMs = 10_000) {
      if (!(await arrival(() => check(received), timeoutMs))) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${errors.length ? `; the subscription failed: ${JSON.stringify(errors)}` : ''} (${received.length} items received)`);
      }
    },
    close: () => client.dispose() as Promise<void>,
  };
}

/**
 * Probes for `webhookActivity`: a `status` item of `tenantId` (null: operator-only) whose summary
 * carries the token, published by the server's activity publisher (its topic and, with a tenant,
 * that tenant's channel, as every real item is).
 */
export function activityProbe(core: Core, tenantId: string | null): Probe<{ summary: string }> {
  return {
    publish: (token) => publishActivity(core.pubSub.publisher, [{ ...emptyActivity(), kind: 'status', tenantId, summary: `probe ${token}` }]),
    tokenOf: (item) => (/^probe \d+$/.test(item.summary) ? Number(item.summary.slice(6)) : null),
  };
}

/**
 * Probes for `campaignProgress(id: campaignId)`: progress of that campaign as `tenantId` would see
 * it, with the token as a negative total (a count no real campaign has).
 */
export function campaignProgressProbe(core: Core, tenantId: string, campaignId: string): Probe<{ total: number }> {
  return {
    publish: (token) => {
      const payload: CampaignProgressPayload = { tenantId, campaignId, state: 'running', total: -token, queued: 0, sending: 0, sent: 0, delivered: 0, read: 0, failed: 0, unknown: 0, updatedAt: new Date().toISOString() };
      core.pubSub.publisher.publish(Topics.CampaignProgress, payload);
    },
    tokenOf: (item) => (item.total < 0 ? -item.total : null),
  };
}
