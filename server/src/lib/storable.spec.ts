import { describe, expect, it } from 'vitest';
import { storableText, unstorableDate, unstorableText } from './storable.js';

describe('storable', () => {
  describe(unstorableText.name, () => {
    it('accepts every character a UTF-8 database stores: emoji (surrogate pairs), RTL, controls, the empty string', () => {
      for (const text of ['', 'Olá', '😀👍🏽', 'مرحبا עברית \u202E', '\u0001\u001f\u007f\r\n', '\uFFFD\uFFFF']) expect(unstorableText(text)).toBeNull();
    });

    it('names a NUL and where it is', () => {
      expect(unstorableText('ab\u0000c')).toBe('contains a NUL character (U+0000) at offset 2, which cannot be stored');
    });

    it('names an unpaired surrogate, high or low, and where it is', () => {
      expect(unstorableText('a\uD83D')).toBe('contains an unpaired surrogate (U+D83D) at offset 1, which is not a Unicode character');
      expect(unstorableText('😀\uDE00x')).toMatch(/U\+DE00\) at offset 2/);
    });

    it('names whichever comes first', () => {
      expect(unstorableText('\uD800\u0000')).toMatch(/surrogate/);
      expect(unstorableText('\u0000\uD800')).toMatch(/NUL/);
    });
  });

  describe(storableText.name, () => {
    it('puts U+FFFD in place of each NUL and unpaired surrogate, and leaves the rest alone', () => {
      expect(storableText('a\u0000b\uD83D 😀')).toBe('a\uFFFDb\uFFFD 😀');
      expect(storableText('Olá')).toBe('Olá');
      expect(unstorableText(storableText('\u0000\uDC00\uD800'))).toBeNull();
    });
  });

  describe(unstorableDate.name, () => {
    it('accepts 1970-01-01 to 9999-12-31, and refuses what is outside or invalid', () => {
      expect(unstorableDate(new Date('1970-01-01T00:00:00.000Z'))).toBeNull();
      expect(unstorableDate(new Date('9999-12-31T23:59:59.999Z'))).toBeNull();
      expect(unstorableDate(new Date('1969-12-31T23:59:59.999Z'))).toBe('is outside 1970-01-01 to 9999-12-31');
      expect(unstorableDate(new Date('0000-01-01T00:00:00.000Z'))).toBe('is outside 1970-01-01 to 9999-12-31');
      expect(unstorableDate(new Date(Date.UTC(200_000, 0, 1)))).toBe('is outside 1970-01-01 to 9999-12-31');
      expect(unstorableDate(new Date(Number.NaN))).toBe('is not a valid date');
    });
  });
});
