import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, generateApiKey, sha256Hex } from './secrets.js';

describe('secrets', () => {
  const key = randomBytes(32);

  it('encrypts with AES-256-GCM: a fresh IV each time, and the plain text comes back', () => {
    const a = encryptSecret('EAAG-token', key);
    const b = encryptSecret('EAAG-token', key);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain('EAAG');
    expect(decryptSecret(a, key)).toBe('EAAG-token');
  });

  it('refuses a tampered ciphertext or the wrong key', () => {
    const secret = encryptSecret('EAAG-token', key);
    const tampered = { ...secret, data: Buffer.from('x' + Buffer.from(secret.data, 'base64').toString('latin1').slice(1), 'latin1').toString('base64') };
    expect(() => decryptSecret(tampered, key)).toThrow();
    expect(() => decryptSecret(secret, randomBytes(32))).toThrow();
  });

  it('makes API keys whose hash, not the key, is what gets stored', () => {
    const { key: apiKey, prefix, hash } = generateApiKey();
    expect(apiKey.startsWith(prefix)).toBe(true);
    expect(hash).toBe(sha256Hex(apiKey));
    expect(hash).not.toContain(apiKey);
  });
});
