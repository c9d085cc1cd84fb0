// XEP-0185 dialback keys: derived from a secret, checked without storing them.
import { describe, expect, it } from 'vitest';
import { DialbackKeys } from '../../../server/s2s/dialback-key.js';

describe('dialback keys', () => {
  const keys = new DialbackKeys(Buffer.from('s3cr3tf0rd14lb4ck'));

  it('are the keys of XEP-0220 Example 1 for its secret, domains and stream ID', () => {
    expect(keys.generate('montague.example', 'capulet.example', 'D60000229F')).toBe('b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3');
  });

  it('verify only for the same receiving server, originating server and stream', () => {
    const key = keys.generate('montague.example', 'capulet.example', 'D60000229F');
    expect(keys.verify('montague.example', 'capulet.example', 'D60000229F', key)).toBe(true);
    expect(keys.verify('montague.example', 'capulet.example', 'D60000229F', `  ${key}\n`)).toBe(true);
    expect(keys.verify('evil.example', 'capulet.example', 'D60000229F', key)).toBe(false);
    expect(keys.verify('montague.example', 'capulet.example', 'other-stream', key)).toBe(false);
    expect(keys.verify('montague.example', 'capulet.example', 'D60000229F', key.slice(1))).toBe(false);
    expect(new DialbackKeys(Buffer.from('another secret')).verify('montague.example', 'capulet.example', 'D60000229F', key)).toBe(false);
  });
});
