// A message as a WhatsApp bubble shows it, read from what the API gives: a send body as it goes to
// Meta (Message.payload of our messages, the dry run's reply.payload) or a customer's message as
// Meta's webhook delivered it (Message.payload of inbound messages). Read defensively: payloads are
// JSON from outside, and a type the dashboard does not know still shows its name and text.

export type Bubble =
  | { kind: 'text'; text: string }
  | { kind: 'buttons'; text: string; buttons: string[] }
  | { kind: 'list'; text: string; button: string; sections: { title: string | null; rows: { title: string; description: string | null }[] }[] }
  | { kind: 'template'; name: string; language: string | null; text: string | null }
  | { kind: 'media'; mediaType: string; link: string | null; caption: string | null; filename: string | null }
  /** The customer tapped a reply button or picked a list row. */
  | { kind: 'choice'; text: string; description: string | null; from: 'button' | 'list' }
  | { kind: 'other'; label: string; text: string | null };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const MEDIA = new Set(['image', 'video', 'audio', 'document', 'sticker']);
const LABELS: Record<string, string> = {
  location: 'Location', contacts: 'Contact card', reaction: 'Reaction', unsupported: 'Unsupported message', order: 'Order', system: 'System notice',
};

/** A reply of the dry run whose payload could not be built (reply_text → text, ...), by the action type. */
const ACTION_KIND: Record<string, string> = { reply_text: 'text', reply_buttons: 'interactive', reply_list: 'interactive', reply_template: 'template', reply_media: 'image' };

/**
 * `payload`: the message body; `text`: what the API says people read (the template rendered, the
 * caption, the tapped title), used where the payload does not carry it; `type`: Message.type or the
 * dry run's action type, when the payload is missing.
 */
export function bubbleOf(payload: unknown, text: string | null = null, type: string | null = null): Bubble {
  const p = obj(payload);
  const kind = str(p?.type) ?? (type ? ACTION_KIND[type] ?? type : null) ?? 'text';
  switch (kind) {
    case 'text':
      return { kind: 'text', text: str(obj(p?.text)?.body) ?? text ?? '' };
    case 'interactive': {
      const i = obj(p?.interactive);
      const body = str(obj(i?.body)?.text) ?? text ?? '';
      const action = obj(i?.action);
      switch (i?.type) {
        case 'button':
          return { kind: 'buttons', text: body, buttons: arr(action?.buttons).map((b) => str(obj(obj(b)?.reply)?.title) ?? '').filter(Boolean) };
        case 'list':
          return {
            kind: 'list', text: body, button: str(action?.button) ?? 'Menu',
            sections: arr(action?.sections).map((s) => ({
              title: str(obj(s)?.title),
              rows: arr(obj(s)?.rows).map((r) => ({ title: str(obj(r)?.title) ?? '', description: str(obj(r)?.description) })),
            })),
          };
        case 'button_reply':
          return { kind: 'choice', text: str(obj(i.button_reply)?.title) ?? text ?? '', description: null, from: 'button' };
        case 'list_reply':
          return { kind: 'choice', text: str(obj(i.list_reply)?.title) ?? text ?? '', description: str(obj(i.list_reply)?.description), from: 'list' };
        default:
          return text ? { kind: 'text', text } : { kind: 'other', label: 'Interactive message', text: null };
      }
    }
    case 'button': // a template's quick-reply button, tapped
      return { kind: 'choice', text: str(obj(p?.button)?.text) ?? text ?? '', description: null, from: 'button' };
    case 'template': {
      const t = obj(p?.template);
      return { kind: 'template', name: str(t?.name) ?? 'template', language: str(obj(t?.language)?.code), text };
    }
    case 'location': {
      const l = obj(p?.location);
      const where = [str(l?.name), str(l?.address)].filter(Boolean).join(', ');
      return { kind: 'other', label: LABELS.location, text: where || (l ? `${l.latitude}, ${l.longitude}` : text) };
    }
    case 'reaction':
      return { kind: 'other', label: LABELS.reaction, text: str(obj(p?.reaction)?.emoji) ?? text };
    default: {
      if (MEDIA.has(kind)) {
        const m = obj(p?.[kind]);
        return { kind: 'media', mediaType: kind, link: str(m?.link), caption: str(m?.caption) ?? text, filename: str(m?.filename) };
      }
      return { kind: 'other', label: LABELS[kind] ?? kind.replace(/_/g, ' '), text };
    }
  }
}

export type TickState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'unknown';

/** WhatsApp's marks under one of our messages: a clock while queued, ✓ sent, ✓✓ delivered, blue ✓✓ read. */
export function tickOf(status: string): { state: TickState; label: string } {
  switch (status) {
    case 'queued':
    case 'sending': return { state: 'pending', label: status === 'queued' ? 'Queued' : 'Sending' };
    case 'sent': return { state: 'sent', label: 'Sent' };
    case 'delivered': return { state: 'delivered', label: 'Delivered' };
    case 'read': return { state: 'read', label: 'Read' };
    case 'failed': return { state: 'failed', label: 'Failed' };
    default: return { state: 'unknown', label: status === 'unknown' ? 'Outcome unknown' : status };
  }
}

/** A skipped reply's reason, as the dry run and the thread say it. */
export function skipReasonText(reason: string | null | undefined): string {
  if (!reason) return '';
  if (reason === 'window_closed') return "outside the customer's 24-hour window: only templates go";
  if (reason === 'reply_limit') return 'too many automated replies to this customer this hour';
  return reason;
}

export interface Span { text: string; bold?: boolean; italic?: boolean; strike?: boolean; mono?: boolean }

/**
 * WhatsApp's own formatting, as the customer will see it: *bold*, _italic_, ~strikethrough~ and
 * ```monospace```, not nested. Markers must hug a word on both sides ("2 * 3 * 4" stays as is).
 * Returns plain spans: the page renders them as text, never as HTML.
 */
export function markup(text: string): Span[] {
  const spans: Span[] = [];
  const pattern = /```([\s\S]+?)```|([*_~])(?=\S)([^\n]*?\S)\2(?![\p{L}\p{N}])/gu;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const start = m.index ?? 0;
    // An opening marker inside a word ("snake_case_name") is not formatting.
    if (m[2] && start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1])) continue;
    if (start > last) spans.push({ text: text.slice(last, start) });
    if (m[1] !== undefined) spans.push({ text: m[1], mono: true });
    else spans.push({ text: m[3], ...(m[2] === '*' ? { bold: true } : m[2] === '_' ? { italic: true } : { strike: true }) });
    last = start + m[0].length;
  }
  if (last < text.length) spans.push({ text: text.slice(last) });
  return spans;
}
