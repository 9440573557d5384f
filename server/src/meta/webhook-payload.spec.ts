import { describe, expect, it } from 'vitest';
import { changesOf, parseWebhookBody } from './webhook-payload.js';
import { unstorableText } from '../lib/storable.js';

describe(parseWebhookBody.name, () => {
  it('parses a body with nothing to replace exactly as JSON.parse does', () => {
    const raw = JSON.stringify({ entry: [{ id: '1', changes: [{ field: 'messages', value: { messages: [{ id: 'wamid.1', from: '55', type: 'text', text: { body: 'Olá 😀 \\u0000 as text' } }] } }] }] });
    expect(parseWebhookBody(Buffer.from(raw))).toEqual(JSON.parse(raw));
  });

  it('puts U+FFFD in place of NUL and unpaired surrogates, in values and keys, at any depth', () => {
    const raw = String.raw`{"entry":[{"changes":[{"value":{"contacts":[{"profile":{"name":"Ana\u0000"}}],"messages":[{"text":{"body":"Oi\u0000 \ud83d \ud83d\ude00"},"odd\u0000key":"\udc00"}]}}]}]}`;
    const parsed = parseWebhookBody(raw) as any;
    const value = parsed.entry[0].changes[0].value;
    expect(value.contacts[0].profile.name).toBe('Ana\uFFFD');
    expect(value.messages[0].text.body).toBe('Oi\uFFFD \uFFFD 😀');
    expect(value.messages[0]['odd\uFFFDkey']).toBe('\uFFFD');
    const strings: string[] = [];
    JSON.stringify(parsed, (key, v) => { strings.push(key); if (typeof v === 'string') strings.push(v); return v; });
    expect(strings.filter((s) => unstorableText(s) !== null)).toEqual([]);
  });

  it('keeps what changesOf reads', () => {
    const raw = String.raw`{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"7"},"messages":[{"id":"wamid.1","from":"55","type":"text","text":{"body":"a\u0000"}}]}}]}]}`;
    const [change] = changesOf(parseWebhookBody(raw));
    expect(change).toMatchObject({ phoneNumberId: '7', messages: [{ id: 'wamid.1', text: { body: 'a\uFFFD' } }] });
  });

  it('throws on malformed JSON, as JSON.parse does', () => {
    expect(() => parseWebhookBody('{"entry": [')).toThrow(SyntaxError);
  });
});
