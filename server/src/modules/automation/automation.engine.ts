import type { MetaMessage } from '../../meta/webhook-payload.js';
import { INTERACTIVE_BODY_MAX, MEDIA_CAPTION_MAX, TEMPLATE_VARIABLE_MAX, TEXT_MAX } from '../outbound/outbound.content.js';
import { describeClock, hoursToday, isOpen, localClock, type BusinessHours } from '../instances/instances.business-hours.js';
import { matchKeywords, normalizeText } from './automation.keywords.js';
import { renderPlaceholders, type RenderContext } from './automation.render.js';
import { isReplyAction, normalizeTag, type ReplyAction, type RuleAction, type RuleCondition, type RuleTrigger } from './rules.schema.js';

// The automation engine: which of an instance's rules fire on one inbound message, and what each
// would do. Pure (message, contact, clock → decisions): no database, no network, no clock of its
// own, so the worker and the dry run (testAutomationRules) run the same code and see the same
// reasons. The worker records and sends what this plans; nothing here has side effects.

export { normalizeText };

export interface EngineRule {
  id: string;
  name: string;
  enabled: boolean;
  trigger: RuleTrigger;
  conditions: RuleCondition[];
  actions: RuleAction[];
  stop: boolean;
}

export interface EngineMessage {
  /** Meta's message type: text, interactive, button, image, …, reaction, system, unsupported. */
  type: string;
  /** What the customer wrote: a text's body, a media caption, or the title of a tapped button or row. */
  text: string | null;
  /** Reply-button id, or a template quick-reply button's payload. */
  buttonId: string | null;
  listRowId: string | null;
  /** When the customer sent it: business-hours triggers and {{business.hours_today}} read this. */
  sentAt: Date;
}

export interface EngineContact {
  name: string | null;
  tags: string[];
  inHandoff: boolean;
  isFirstMessage: boolean;
  lastRunAtByRule: Record<string, Date>;
  automatedRepliesLastHour: number;
}

export interface EngineInstance {
  name: string;
  timezone: string;
  businessHours: BusinessHours | null;
  /** Language of {{business.hours_today}}'s words ("pt-BR"); English when absent. */
  locale?: string;
}

export interface EngineInput {
  /** Already in position order. */
  rules: EngineRule[];
  message: EngineMessage;
  contact: EngineContact;
  instance: EngineInstance;
  /** When the evaluation runs: cooldowns count from here. */
  now: Date;
  /** The customer's 24-hour window: free-form replies need it, templates do not. */
  windowOpen: boolean;
  replyLimitPerHour: number;
}

export type RuleOutcome = 'fired' | 'no_match' | 'condition_failed' | 'disabled' | 'not_reached' | 'paused_for_handoff';

export interface RuleVerdict {
  ruleId: string;
  name: string;
  outcome: RuleOutcome;
  /** Plain words for the dry run and the run log. */
  reason: string;
}

export type SkipReason = 'window_closed' | 'reply_limit';

/** A reply's texts with the placeholders filled, cut to Meta's limits. */
export interface RenderedReply {
  text?: string;
  caption?: string;
  parameters?: string[];
}

export interface PlannedAction {
  /** Position in the rule's actions. */
  index: number;
  action: RuleAction;
  run: boolean;
  skipReason?: SkipReason;
  /** Set on every reply action, skipped or not, so the dry run can show what would have been sent. */
  rendered?: RenderedReply;
}

export interface FiredRule {
  rule: EngineRule;
  /** What matched, in words: `keyword "cardápio" matched "Cardapio, por favor"`. */
  matched: string;
  actions: PlannedAction[];
}

export interface Evaluation {
  fired: FiredRule[];
  /** One per rule, in the rules' order. */
  verdicts: RuleVerdict[];
}

// ---- what kind of message --------------------------------------------------------------------------

/**
 * How the engine treats a message type:
 * - readable: the customer's content (text, a tapped button or row, media, a location, contacts);
 * - opaque: the customer sent something the engine cannot read (Meta's "unsupported" for polls or
 *   view-once media, "order", "request_welcome", types added later). They wrote to the business, so
 *   triggers about the conversation (any_message, first_message, business hours) still apply;
 *   triggers about content (keyword, button/list reply, message_type) do not;
 * - ignored: not the customer writing: a reaction to one of our messages, or a system notice (the
 *   customer changed number). No rule fires, not even any_message: greeting a thumbs-up would
 *   answer every reaction to our own replies.
 */
export type MessageKind = 'readable' | 'opaque' | 'ignored';
const READABLE = new Set(['text', 'interactive', 'button', 'image', 'audio', 'video', 'document', 'location', 'contacts', 'sticker']);
const IGNORED = new Set(['reaction', 'system']);

export function messageKindOf(type: string): MessageKind {
  return READABLE.has(type) ? 'readable' : IGNORED.has(type) ? 'ignored' : 'opaque';
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/**
 * The engine's view of a message from Meta's webhook, read defensively (it is outside input): reply
 * buttons arrive as interactive.button_reply, list rows as interactive.list_reply, a template's
 * quick-reply button as type "button" with button.payload. The tapped title counts as the text, so a
 * keyword rule "cardápio" also answers a customer who taps a button titled "Cardápio".
 */
export function engineMessageOf(payload: MetaMessage, sentAt: Date): EngineMessage {
  const type = typeof payload.type === 'string' && payload.type !== '' ? payload.type : 'unknown';
  const message: EngineMessage = { type, text: null, buttonId: null, listRowId: null, sentAt };
  switch (type) {
    case 'text':
      message.text = str(obj(payload.text)?.body);
      break;
    case 'interactive': {
      const interactive = obj(payload.interactive);
      const button = obj(interactive?.button_reply);
      const row = obj(interactive?.list_reply);
      message.buttonId = str(button?.id);
      message.listRowId = str(row?.id);
      message.text = str(button?.title) ?? str(row?.title);
      break;
    }
    case 'button': {
      const button = obj(payload.button);
      message.buttonId = str(button?.payload);
      message.text = str(button?.text);
      break;
    }
    case 'image':
    case 'video':
    case 'document':
      message.text = str(obj(payload[type])?.caption);
      break;
  }
  return message;
}

// ---- triggers -------------------------------------------------------------------------------------

interface Check {
  ok: boolean;
  reason: string;
}

interface Facts {
  input: EngineInput;
  kind: MessageKind;
  normalized: () => string;
  open: () => boolean;
  clock: () => string;
}

const EXCERPT_MAX = 60;
const excerpt = (text: string): string => {
  const oneLine = text.replace(/\s+/gu, ' ').trim();
  return oneLine.length <= EXCERPT_MAX ? oneLine : `${Array.from(oneLine).slice(0, EXCERPT_MAX - 1).join('')}…`;
};
const quoted = (list: readonly string[], max = 5): string =>
  list.slice(0, max).map((k) => `"${k}"`).join(', ') + (list.length > max ? `, … (${list.length} in all)` : '');

const CONTENT_TRIGGERS = new Set(['keyword', 'button_reply', 'list_reply', 'message_type']);

function matchTrigger(trigger: RuleTrigger, facts: Facts): Check {
  const { message, contact, instance } = facts.input;
  if (facts.kind === 'ignored') return { ok: false, reason: `a ${message.type} message never triggers rules: the customer did not write anything` };
  if (facts.kind === 'opaque' && CONTENT_TRIGGERS.has(trigger.type)) {
    return { ok: false, reason: `the message is of type ${message.type}, whose content the engine cannot read` };
  }
  switch (trigger.type) {
    case 'keyword': {
      if (message.text === null || message.text.trim() === '') return { ok: false, reason: `the message (${message.type}) has no text` };
      const keyword = matchKeywords(facts.normalized(), trigger.keywords, trigger.match);
      const what = trigger.match === 'regex' ? 'pattern' : 'keyword';
      return keyword !== null
        ? { ok: true, reason: `${what} "${keyword}" matched "${excerpt(message.text)}"` }
        : { ok: false, reason: `no ${what} matched "${excerpt(message.text)}" (${trigger.match.replace('_', ' ')}: ${quoted(trigger.keywords)})` };
    }
    case 'first_message':
      return contact.isFirstMessage
        ? { ok: true, reason: "the contact's first message" }
        : { ok: false, reason: "not the contact's first message" };
    case 'outside_business_hours':
    case 'inside_business_hours': {
      const wantOpen = trigger.type === 'inside_business_hours';
      if (!instance.businessHours) return { ok: wantOpen, reason: 'the instance has no business hours, so it is always open' };
      const open = facts.open();
      const where = `${open ? 'inside' : 'outside'} business hours (${facts.clock()}, ${instance.timezone})`;
      return { ok: open === wantOpen, reason: where };
    }
    case 'button_reply':
      if (message.buttonId === trigger.buttonId) return { ok: true, reason: `button "${trigger.buttonId}" pressed` };
      return { ok: false, reason: message.buttonId === null ? 'no button was pressed' : `button "${message.buttonId}" pressed, not "${trigger.buttonId}"` };
    case 'list_reply':
      if (message.listRowId === trigger.rowId) return { ok: true, reason: `list row "${trigger.rowId}" chosen` };
      return { ok: false, reason: message.listRowId === null ? 'no list row was chosen' : `list row "${message.listRowId}" chosen, not "${trigger.rowId}"` };
    case 'message_type':
      return (trigger.messageTypes as string[]).includes(message.type)
        ? { ok: true, reason: `the message is of type ${message.type}` }
        : { ok: false, reason: `the message is of type ${message.type}, not ${trigger.messageTypes.join(' or ')}` };
    case 'any_message':
      return { ok: true, reason: 'any message' };
  }
}

// ---- conditions -----------------------------------------------------------------------------------

interface State {
  tags: Set<string>;
  /** Who put the contact in handoff during this evaluation, if anyone. */
  handedOffBy: string | null;
  stoppedBy: string | null;
  repliesPlanned: number;
}

const HOUR_MS = 3_600_000;

/** "35 min", "2 h", "3 d": how long ago, rounded down, for reasons. */
function ago(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`;
}

function checkCondition(condition: RuleCondition, rule: EngineRule, input: EngineInput, state: State): Check {
  switch (condition.type) {
    case 'contact_has_tag':
    case 'contact_lacks_tag': {
      const tag = normalizeTag(condition.tag);
      const has = state.tags.has(tag);
      return { ok: has === (condition.type === 'contact_has_tag'), reason: `contact ${has ? 'has' : 'lacks'} tag "${tag}"` };
    }
    case 'cooldown': {
      const last = input.contact.lastRunAtByRule[rule.id];
      if (!last) return { ok: true, reason: 'cooldown: never ran for this contact' };
      const elapsed = input.now.getTime() - last.getTime();
      return elapsed < condition.hours * HOUR_MS
        ? { ok: false, reason: `cooldown: last ran ${ago(elapsed)} ago, at most once every ${condition.hours} h` }
        : { ok: true, reason: `cooldown: last ran ${ago(elapsed)} ago` };
    }
    case 'not_in_handoff':
      // Evaluation pauses every rule for a contact in handoff before conditions are read, so this
      // holds whenever it is checked; it lets a rule say so explicitly, and stays right if that changes.
      return input.contact.inHandoff || state.handedOffBy
        ? { ok: false, reason: 'the contact is in handoff' }
        : { ok: true, reason: 'the contact is not in handoff' };
  }
}

// ---- actions --------------------------------------------------------------------------------------

/** Meta refuses a message over its limits outright; a long name filled in must not cost the reply. */
function clamp(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  let out = '';
  for (const ch of chars) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

function renderReply(action: ReplyAction, render: (text: string) => string): RenderedReply {
  switch (action.type) {
    case 'reply_text':
      return { text: clamp(render(action.text), TEXT_MAX) };
    case 'reply_buttons':
    case 'reply_list':
      return { text: clamp(render(action.text), INTERACTIVE_BODY_MAX) };
    case 'reply_media':
      return action.caption ? { caption: clamp(render(action.caption), MEDIA_CAPTION_MAX) } : {};
    case 'reply_template':
      return { parameters: action.parameters.map((p) => clamp(render(p), TEMPLATE_VARIABLE_MAX)) };
  }
}

function planActions(rule: EngineRule, input: EngineInput, state: State, render: (text: string) => string): PlannedAction[] {
  return rule.actions.map((action, index): PlannedAction => {
    if (isReplyAction(action)) {
      const rendered = renderReply(action, render);
      // A template is how a business may write outside the 24-hour window; anything else is refused there.
      if (!input.windowOpen && action.type !== 'reply_template') return { index, action, run: false, skipReason: 'window_closed', rendered };
      // Only replies that will be sent count towards the limit.
      if (input.contact.automatedRepliesLastHour + state.repliesPlanned >= input.replyLimitPerHour) return { index, action, run: false, skipReason: 'reply_limit', rendered };
      state.repliesPlanned++;
      return { index, action, run: true, rendered };
    }
    // Later rules (after a stop: false) see the contact as these actions leave it.
    if (action.type === 'add_tag') state.tags.add(normalizeTag(action.tag));
    if (action.type === 'remove_tag') state.tags.delete(normalizeTag(action.tag));
    if (action.type === 'handoff') state.handedOffBy = rule.name;
    return { index, action, run: true };
  });
}

// ---- evaluation -----------------------------------------------------------------------------------

const once = <T>(f: () => T): (() => T) => {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
};

/**
 * Evaluates the rules in order. A rule that is disabled, below a fired rule with `stop`, or meets a
 * contact in handoff (already, or handed off by a rule above) does not fire; otherwise it fires when
 * its trigger matches and all its conditions hold. Every rule gets a verdict. Actions of a fired rule
 * are all planned, in order; replies that cannot go are planned with run: false and the reason.
 */
export function evaluateRules(input: EngineInput): Evaluation {
  const { message, instance } = input;
  const facts: Facts = {
    input,
    kind: messageKindOf(message.type),
    normalized: once(() => normalizeText(message.text ?? '')),
    open: once(() => isOpen(instance.businessHours, instance.timezone, message.sentAt)),
    clock: once(() => describeClock(localClock(instance.timezone, message.sentAt))),
  };
  const ctx = once((): RenderContext => ({
    contact: { name: input.contact.name },
    instance: { name: instance.name },
    businessHoursToday: hoursToday(instance.businessHours, instance.timezone, message.sentAt, instance.locale),
  }));
  const render = (text: string): string => renderPlaceholders(text, ctx());
  const state: State = { tags: new Set(input.contact.tags.map(normalizeTag)), handedOffBy: null, stoppedBy: null, repliesPlanned: 0 };
  const fired: FiredRule[] = [];
  const verdicts: RuleVerdict[] = [];

  for (const rule of input.rules) {
    const verdict = (outcome: RuleOutcome, reason: string): void => {
      verdicts.push({ ruleId: rule.id, name: rule.name, outcome, reason });
    };
    if (!rule.enabled) {
      verdict('disabled', 'disabled');
      continue;
    }
    if (state.stoppedBy !== null) {
      verdict('not_reached', `not reached: rule «${state.stoppedBy}» above stopped evaluation`);
      continue;
    }
    const trigger = matchTrigger(rule.trigger, facts);
    if (input.contact.inHandoff || state.handedOffBy !== null) {
      const who = state.handedOffBy !== null ? `rule «${state.handedOffBy}» above hands the contact to a person` : 'the contact is in handoff with a person';
      verdict('paused_for_handoff', `paused: ${who}${trigger.ok ? ` (its trigger matches: ${trigger.reason})` : ''}`);
      continue;
    }
    if (!trigger.ok) {
      verdict('no_match', trigger.reason);
      continue;
    }
    const checks = rule.conditions.map((c) => checkCondition(c, rule, input, state));
    const failed = checks.find((c) => !c.ok);
    if (failed) {
      verdict('condition_failed', failed.reason);
      continue;
    }
    fired.push({ rule, matched: trigger.reason, actions: planActions(rule, input, state, render) });
    verdict('fired', [trigger.reason, ...checks.map((c) => c.reason)].join('; '));
    if (rule.stop) state.stoppedBy = rule.name;
  }
  return { fired, verdicts };
}
