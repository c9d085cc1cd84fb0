import { describe, it, expect } from 'vitest';
import { Jid, parseJid, prepareDomainpart, prepareLocalpart, prepareResourcepart } from '../../../server/util/jid.js';

describe('parseJid', () => {
  it('splits a full JID into localpart, domainpart and resourcepart', () => {
    const jid = parseJid('juliet@example.com/balcony');
    expect([jid?.local, jid?.domain, jid?.resource]).toEqual(['juliet', 'example.com', 'balcony']);
  });

  it('accepts a domain-only JID', () => {
    const jid = parseJid('example.com');
    expect([jid?.local, jid?.domain, jid?.resource]).toEqual([undefined, 'example.com', undefined]);
  });

  it('takes everything after the first slash as the resource, including @ and /', () => {
    const jid = parseJid('juliet@example.com/foo@bar/baz');
    expect([jid?.local, jid?.domain, jid?.resource]).toEqual(['juliet', 'example.com', 'foo@bar/baz']);
  });

  it('treats an @ after the first slash as part of the resource, not a localpart', () => {
    const jid = parseJid('example.com/juliet@example.net');
    expect([jid?.local, jid?.domain, jid?.resource]).toEqual([undefined, 'example.com', 'juliet@example.net']);
  });

  it('refuses an empty localpart before an @', () => {
    expect(parseJid('@example.com')).toBeUndefined();
  });

  it('refuses an empty resourcepart after a slash', () => {
    expect(parseJid('juliet@example.com/')).toBeUndefined();
  });

  it('refuses an empty domainpart', () => {
    expect(parseJid('juliet@/balcony')).toBeUndefined();
  });

  it('refuses a second @ in the bare part', () => {
    expect(parseJid('a@b@example.com')).toBeUndefined();
  });

  it('lowercases the localpart and the domainpart but keeps the case of the resourcepart', () => {
    expect(parseJid('Juliet@Example.COM/Balcony')?.toString()).toBe('juliet@example.com/Balcony');
  });

  it('strips one trailing dot from the domainpart', () => {
    expect(parseJid('juliet@example.com./balcony')?.domain).toBe('example.com');
  });

  it('round-trips a prepared JID through toString', () => {
    const text = 'romeo@montague.example/orchard garden';
    expect(parseJid(text)?.toString()).toBe(text);
  });
});

describe('prepareLocalpart', () => {
  it('normalizes a decomposed character to NFC', () => {
    expect(prepareLocalpart('jose\u0301')).toBe('jos\u00e9');
  });

  it('maps fullwidth letters to their ASCII forms', () => {
    expect(prepareLocalpart('\uff2a\uff55\uff4c\uff49\uff45\uff54')).toBe('juliet');
  });

  it('lowercases non-ASCII letters', () => {
    expect(prepareLocalpart('ÉLODIE')).toBe('élodie');
  });

  it.each(['"', '&', "'", '/', ':', '<', '>', '@', ' '])('refuses the character %j', (c) => {
    expect(prepareLocalpart(`a${c}b`)).toBeUndefined();
  });

  it('refuses control characters', () => {
    expect(prepareLocalpart('a\u0007b')).toBeUndefined();
  });

  it('refuses non-ASCII spaces', () => {
    expect(prepareLocalpart('a\u00a0b')).toBeUndefined();
  });

  it('refuses unassigned code points', () => {
    expect(prepareLocalpart('a\u0378b')).toBeUndefined();
  });

  it('refuses noncharacters', () => {
    expect(prepareLocalpart('a\ufdd0b')).toBeUndefined();
  });

  it('refuses compatibility characters instead of folding them', () => {
    expect(prepareLocalpart('\ufb01sh')).toBeUndefined(); // LATIN SMALL LIGATURE FI
  });

  it('refuses an empty localpart', () => {
    expect(prepareLocalpart('')).toBeUndefined();
  });

  it('accepts 1023 bytes and refuses 1024', () => {
    expect(prepareLocalpart('a'.repeat(1023))).toBe('a'.repeat(1023));
    expect(prepareLocalpart('a'.repeat(1024))).toBeUndefined();
  });

  it('counts the length in UTF-8 bytes, not characters', () => {
    expect(prepareLocalpart('\u00e9'.repeat(512))).toBeUndefined(); // 1024 bytes, 512 characters
  });
});

describe('prepareResourcepart', () => {
  it('keeps case and inner spaces', () => {
    expect(prepareResourcepart('My Phone')).toBe('My Phone');
  });

  it('maps non-ASCII spaces to U+0020', () => {
    expect(prepareResourcepart('My\u2003Phone')).toBe('My Phone');
  });

  it('normalizes to NFC', () => {
    expect(prepareResourcepart('Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('accepts symbols and punctuation', () => {
    expect(prepareResourcepart('phone♥/1@home')).toBe('phone♥/1@home');
  });

  it('refuses control characters', () => {
    expect(prepareResourcepart('a\u0000b')).toBeUndefined();
  });

  it('refuses an empty resourcepart', () => {
    expect(prepareResourcepart('')).toBeUndefined();
  });

  it('refuses more than 1023 bytes', () => {
    expect(prepareResourcepart('r'.repeat(1023))).toBe('r'.repeat(1023));
    expect(prepareResourcepart('r'.repeat(1024))).toBeUndefined();
  });
});

describe('prepareDomainpart', () => {
  it('lowercases an ASCII domain', () => {
    expect(prepareDomainpart('EXAMPLE.com')).toBe('example.com');
  });

  it('returns an internationalized domain in lowercase Unicode form', () => {
    expect(prepareDomainpart('BÜCHER.example')).toBe('bücher.example');
  });

  it('converts an A-label to its U-label', () => {
    expect(prepareDomainpart('xn--bcher-kva.example')).toBe('bücher.example');
  });

  it('maps fullwidth letters in the domainpart', () => {
    expect(prepareDomainpart('\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com')).toBe('example.com');
  });

  it('accepts a dotted IPv4 address', () => {
    expect(prepareDomainpart('192.0.2.1')).toBe('192.0.2.1');
  });

  it('accepts an IPv6 literal and canonicalizes it', () => {
    expect(prepareDomainpart('[2001:DB8:0:0::1]')).toBe('[2001:db8::1]');
  });

  it('refuses an IPv6 address without brackets', () => {
    expect(prepareDomainpart('2001:db8::1')).toBeUndefined();
  });

  it('refuses a malformed IPv6 literal', () => {
    expect(prepareDomainpart('[2001:db8::g]')).toBeUndefined();
  });

  it('refuses numbers that a URL parser would read as an IPv4 address', () => {
    expect(prepareDomainpart('0x7f.1')).toBeUndefined();
  });

  it('refuses an all-numeric last label', () => {
    expect(prepareDomainpart('192.0.2')).toBeUndefined();
  });

  it('accepts a numeric label that is not the last', () => {
    expect(prepareDomainpart('123.example')).toBe('123.example');
  });

  it('refuses an empty label', () => {
    expect(prepareDomainpart('example..com')).toBeUndefined();
  });

  it('strips only one trailing dot', () => {
    expect(prepareDomainpart('example.com..')).toBeUndefined();
  });

  it.each(['exa mple.com', 'exa_mple.com', '-example.com', 'example-.com', 'ex%41mple.com', 'ex<ample.com'])(
    'refuses %j',
    (domain) => {
      expect(prepareDomainpart(domain)).toBeUndefined();
    },
  );

  it('refuses invalid Punycode', () => {
    expect(prepareDomainpart('xn--zz.example')).toBeUndefined();
  });

  it('accepts a 63-byte label and refuses a 64-byte one', () => {
    expect(prepareDomainpart(`${'a'.repeat(63)}.example`)).toBeDefined();
    expect(prepareDomainpart(`${'a'.repeat(64)}.example`)).toBeUndefined();
  });

  it('accepts a 1023-byte domainpart and refuses a 1024-byte one', () => {
    const base = Array(16).fill('a'.repeat(62)).join('.'); // 1007 bytes
    expect(prepareDomainpart(`${base}.${'b'.repeat(15)}`)).toBeDefined();
    expect(prepareDomainpart(`${base}.${'b'.repeat(16)}`)).toBeUndefined();
  });
});

describe('Jid', () => {
  it('compares equal when all parts are equal', () => {
    expect(parseJid('Juliet@Example.com/balcony')!.equals(parseJid('juliet@example.com/balcony')!)).toBe(true);
  });

  it('compares unequal when only the resource case differs', () => {
    expect(parseJid('juliet@example.com/Balcony')!.equals(parseJid('juliet@example.com/balcony')!)).toBe(false);
  });

  it('drops the resource in its bare form', () => {
    const full = parseJid('juliet@example.com/balcony')!;
    expect(full.bare.toString()).toBe('juliet@example.com');
    expect(full.bare.isBare).toBe(true);
    expect(full.isBare).toBe(false);
  });

  it('returns itself as the bare form when already bare', () => {
    const bare = parseJid('juliet@example.com')!;
    expect(bare.bare).toBe(bare);
  });

  it('writes the bare string without the resource', () => {
    expect(new Jid('juliet', 'example.com', 'balcony').toBareString()).toBe('juliet@example.com');
  });

  it('writes a domain JID with a resource', () => {
    expect(new Jid(undefined, 'example.com', 'admin').toString()).toBe('example.com/admin');
  });

  it('adds a resource to a bare JID', () => {
    expect(parseJid('juliet@example.com')!.withResource('chamber').toString()).toBe('juliet@example.com/chamber');
  });
});
