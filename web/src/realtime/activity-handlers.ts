import type { Activity, ActivityKind } from '../api/types';

// Design rule 10: every kind of live activity maps to exactly one handler, in this one table. A
// handler decides what the event does to the page: a row in the feed, a tick on the throughput
// chart, a refresh of the unrouted panel, an alert. The page supplies those effects as a context.

export type AlertLevel = 'info' | 'warning' | 'error';
export interface LiveAlert { id: string; level: AlertLevel; activity: Activity }

export interface ActivityEffects {
  /** Adds the row to the live feed. */
  feed(activity: Activity): void;
  /** Counts the event on the throughput chart by its direction. */
  count(activity: Activity): void;
  /** A new unrouted event exists: the unrouted panel reloads. */
  unroutedChanged(): void;
  /** Something people should notice, beyond the feed row. */
  alert(level: AlertLevel, activity: Activity): void;
}

export type ActivityHandler = (activity: Activity, fx: ActivityEffects) => void;

export const activityHandlers: Record<ActivityKind, ActivityHandler> = {
  inbound_message: (a, fx) => {
    fx.feed(a);
    fx.count(a);
  },
  outbound_message: (a, fx) => {
    fx.feed(a);
    fx.count(a);
  },
  status: (a, fx) => {
    fx.feed(a);
    fx.count(a);
    // A failed send is the one status someone has to act on (expired token, closed window, ...).
    if (a.status === 'failed') fx.alert('error', a);
  },
  template_status: (a, fx) => {
    fx.feed(a);
    fx.alert(a.status === 'REJECTED' || a.status === 'rejected' ? 'warning' : 'info', a);
  },
  account_update: (a, fx) => {
    fx.feed(a);
    fx.alert('warning', a);
  },
  unrouted: (a, fx) => {
    fx.feed(a);
    fx.count(a);
    fx.unroutedChanged();
  },
  rejected: (a, fx) => {
    fx.feed(a);
    fx.alert('error', a);
  },
  rule_fired: (a, fx) => {
    fx.feed(a);
  },
  // A customer waits for a person: someone has to pick the conversation up.
  handoff: (a, fx) => {
    fx.feed(a);
    fx.alert(a.status === 'resolved' ? 'info' : 'warning', a);
  },
};

/** Kinds added on the server before the dashboard knows them still show up in the feed. */
const unknownKind: ActivityHandler = (a, fx) => fx.feed(a);

export function dispatchActivity(activity: Activity, fx: ActivityEffects): void {
  const handler = Object.hasOwn(activityHandlers, activity.kind) ? activityHandlers[activity.kind as ActivityKind] : unknownKind;
  handler(activity, fx);
}
