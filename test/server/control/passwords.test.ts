import { describe, expect, it } from 'vitest';
import { generatePassword } from '../../../server/control/passwords.js';
import { preparePassword } from '../../../server/core/storage/accounts.js';

describe('generated passwords', () => {
  it('are at least 16 characters from an alphabet without look-alikes', () => {
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(password.replaceAll('-', '').length).toBeGreaterThanOrEqual(16);
      expect(password).toMatch(/^[a-km-np-z2-9]+(-[a-km-np-z2-9]+)+$/);
      expect(password).not.toMatch(/[01ilo]/);
      expect(preparePassword(password).ok).toBe(true);
    }
  });

  it('are never the same twice', () => {
    const seen = new Set(Array.from({ length: 1000 }, generatePassword));
    expect(seen.size).toBe(1000);
  });

  it('use every character of the alphabet about equally often', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of generatePassword().replaceAll('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(31);
    // 40,000 characters over 31 symbols: about 1290 each.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1000);
  });
});
