import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from './signature.js';

describe('signPayload', () => {
  it('returns sha256= and the hex HMAC-SHA256 of the exact bytes with the app secret', () => {
    const body = '{"object":"whatsapp_business_account","entry":[]}';
    expect(signPayload(body, 's3cret')).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
    expect(signPayload(Buffer.from(body), 's3cret')).toBe(signPayload(body, 's3cret'));
  });
});

describe('verifySignature', () => {
  const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[]}]}');
  const header = signPayload(raw, 'app-secret');

  it('accepts the signature of these bytes with this secret', () => {
    expect(verifySignature(raw, header, 'app-secret')).toBe(true);
    expect(verifySignature(raw.toString(), header.toUpperCase().replace('SHA256=', 'sha256='), 'app-secret')).toBe(true);
  });

  it('rejects another secret, changed bytes, or re-serialised JSON', () => {
    expect(verifySignature(raw, header, 'other-secret')).toBe(false);
    expect(verifySignature(Buffer.from(raw.toString().replace('102290129340398', '102290129340399')), header, 'app-secret')).toBe(false);
    expect(verifySignature(JSON.stringify(JSON.parse(raw.toString()), null, 1), header, 'app-secret')).toBe(false);
  });

  it('rejects a missing, repeated, unprefixed, truncated, overlong or non-hex header without throwing', () => {
    const hex = header.slice('sha256='.length);
    for (const bad of [undefined, null, '', [header, header], hex, 'sha1=' + hex, header.slice(0, -2), header + '00', 'sha256=' + 'z'.repeat(64)]) {
      expect(verifySignature(raw, bad as string, 'app-secret')).toBe(false);
    }
  });
});
