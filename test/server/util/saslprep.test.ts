import { describe, expect, it } from 'vitest';
import library from '@mongodb-js/saslprep';
import { saslprep } from '../../../server/util/saslprep.js';

describe('SASLprep', () => {
  it('gives printable ASCII back unchanged, as the full algorithm does', () => {
    for (let code = 0x20; code <= 0x7e; code++) {
      const text = `a${String.fromCharCode(code)}b`;
      expect(saslprep(text)).toBe(library(text));
    }
    expect(saslprep('')).toBe('');
  });

  it('maps and normalizes everything else (RFC 4013 §2.1, §2.2)', () => {
    expect(saslprep('I\u00ADX')).toBe('IX');
    expect(saslprep('user\u00A0name')).toBe('user name');
    expect(saslprep('\u2168')).toBe('IX');
  });

  it('refuses prohibited characters, ASCII controls among them (RFC 4013 §2.3)', () => {
    expect(() => saslprep('a\u0007b')).toThrow();
    expect(() => saslprep('tab\there')).toThrow();
  });
});
