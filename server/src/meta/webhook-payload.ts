// The shape Meta posts (see ../shared/meta-cloud-api.md), read defensively: a webhook is input
// from outside, so every field is checked before use and an odd change is kept, not thrown away.

import { storableText } from '../lib/storable.js';

export interface MetaContact {
  wa_id: string;
  profile?: { name?: string };
}

export interface MetaMessage {
  id: string;
  from: string;
  timestamp?: string;
  type: string;
  text?: { body?: string };
  interactive?: { type?: string; button_reply?: { id: string; title: string }; list_reply?: { id: string; title: string } };
  button?: { text?: string; payload?: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  image?: { caption?: string; id?: string; mime_type?: string };
  [key: string]: unknown;
}

export interface MetaStatus {
  id: string;
  status: string;
  timestamp?: string;
  recipient_id?: string;
  errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
  [key: string]: unknown;
}

export interface WebhookChange {
  /** "entry/change" position, unique within the event. */
  ref: string;
  wabaId: string;
  field: string;
  value: Record<string, unknown>;
  phoneNumberId: string | null;
  displayPhoneNumber: string | null;
  contacts: MetaContact[];
  messages: MetaMessage[];
  statuses: MetaStatus[];
}

/**
 * A stored webhook body, parsed, with every string Postgres could not store made storable: a NUL
 * (JSON "\u0000") or an unpaired surrogate ("\ud800") in a customer's text, name or anything else
 * Meta relays becomes U+FFFD, the replacement character. Replaced rather than stripped: it is what
 * the UTF-8 decoder already puts in place of bytes that are not UTF-8, so one rule holds for every
 * character we cannot keep; the text shows something was there; and dropping it would join its
 * neighbours into words the customer never typed (an automation keyword, say). The raw body stays
 * byte for byte in webhook_events; only what is derived from it changes. Unchanged otherwise.
 */
export function parseWebhookBody(raw: Buffer | string): unknown {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  // Inside JSON text such characters can only come as \u escapes (a raw NUL is not valid JSON, and
  // decoding makes no lone surrogates): without one, nothing to replace, and no reviver to pay for.
  if (!ESCAPED_UNSTORABLE.test(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'string') return storableText(value);
    if (isObject(value) && Object.keys(value).some((key) => storableText(key) !== key)) {
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [storableText(key), v]));
    }
    return value;
  });
}

const ESCAPED_UNSTORABLE = /\\u(?:0000|[dD][89a-fA-F])/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = <T>(v: unknown, keep: (x: unknown) => boolean): T[] => (Array.isArray(v) ? (v.filter(keep) as T[]) : []);

/** Every change of every entry, in order. */
export function changesOf(body: unknown): WebhookChange[] {
  if (!isObject(body) || !Array.isArray(body.entry)) return [];
  const changes: WebhookChange[] = [];
  body.entry.forEach((entry, e) => {
    if (!isObject(entry) || !Array.isArray(entry.changes)) return;
    entry.changes.forEach((change, c) => {
      if (!isObject(change)) return;
      const value = isObject(change.value) ? change.value : {};
      const metadata = isObject(value.metadata) ? value.metadata : {};
      changes.push({
        ref: `${e}/${c}`,
        wabaId: String(entry.id ?? ''),
        field: String(change.field ?? 'unknown'),
        value,
        phoneNumberId: typeof metadata.phone_number_id === 'string' ? metadata.phone_number_id : null,
        displayPhoneNumber: typeof metadata.display_phone_number === 'string' ? metadata.display_phone_number : null,
        contacts: list<MetaContact>(value.contacts, (x) => isObject(x) && typeof x.wa_id === 'string'),
        messages: list<MetaMessage>(value.messages, (x) => isObject(x) && typeof x.id === 'string' && typeof x.from === 'string'),
        statuses: list<MetaStatus>(value.statuses, (x) => isObject(x) && typeof x.id === 'string' && typeof x.status === 'string'),
      });
    });
  });
  return changes;
}

/** Meta timestamps are unix seconds as strings. */
export function metaTime(timestamp: string | number | undefined, fallback = new Date()): Date {
  const seconds = Number(timestamp);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : fallback;
}

/** One line for people, for the live feed. */
export function messageSummary(message: MetaMessage): { text: string | null; summary: string } {
  switch (message.type) {
    case 'text':
      return { text: message.text?.body ?? null, summary: message.text?.body ?? '' };
    case 'interactive': {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      return { text: reply?.title ?? null, summary: reply ? `[button] ${reply.title}` : '[interactive]' };
    }
    case 'button':
      return { text: message.button?.text ?? null, summary: `[button] ${message.button?.text ?? ''}` };
    case 'location': {
      const l = message.location;
      return { text: null, summary: l ? `[location] ${l.name ?? ''} ${l.latitude},${l.longitude}`.trim() : '[location]' };
    }
    case 'image':
      return { text: message.image?.caption ?? null, summary: `[image] ${message.image?.caption ?? ''}`.trim() };
    default:
      return { text: null, summary: `[${message.type}]` };
  }
}
