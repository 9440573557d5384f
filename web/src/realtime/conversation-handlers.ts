import type { Activity } from '../api/types';

// The conversations page's table (design rule 10): what each kind of live activity does to the
// list of conversations and to the thread on screen. The page supplies the effects; which
// conversation an item is about is its (instance, customer) pair.

export interface ConversationEffects {
  /** Whether the item is about the conversation on screen. */
  isOpen(activity: Activity): boolean;
  /** The list reloads: a customer moves to the top, counts and badges change. */
  listChanged(): void;
  /** The thread on screen reloads: a new message, a status, a rule's answer, the handoff state. */
  threadChanged(): void;
  /** The customer wrote while their conversation is on screen: a person has read it. */
  markRead(): void;
}

export const CONVERSATION_KINDS = ['inbound_message', 'outbound_message', 'status', 'rule_fired', 'handoff'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];
type Handler = (activity: Activity, fx: ConversationEffects) => void;

export const conversationHandlers: Record<ConversationKind, Handler> = {
  inbound_message: (a, fx) => {
    fx.listChanged();
    if (fx.isOpen(a)) {
      fx.threadChanged();
      fx.markRead();
    }
  },
  outbound_message: (a, fx) => {
    fx.listChanged();
    if (fx.isOpen(a)) fx.threadChanged();
  },
  // The list shows the last message's ticks too.
  status: (a, fx) => {
    fx.listChanged();
    if (fx.isOpen(a)) fx.threadChanged();
  },
  // "answered by rule «…»" appears under the customer's message.
  rule_fired: (a, fx) => {
    if (fx.isOpen(a)) fx.threadChanged();
  },
  handoff: (a, fx) => {
    fx.listChanged();
    if (fx.isOpen(a)) fx.threadChanged();
  },
};

/** Kinds the page did not subscribe to do nothing. */
export function dispatchConversationActivity(activity: Activity, fx: ConversationEffects): void {
  if (Object.hasOwn(conversationHandlers, activity.kind)) conversationHandlers[activity.kind as ConversationKind](activity, fx);
}

/** The conversation an item is about: its instance and customer. */
export const isAbout = (activity: Pick<Activity, 'instanceId' | 'contactWaId'>, open: { instanceId: string | null; waId: string } | null): boolean =>
  !!open && !!activity.contactWaId && activity.contactWaId === open.waId && (!open.instanceId || activity.instanceId === open.instanceId);
