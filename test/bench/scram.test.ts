import { describe, expect, it } from 'vitest';
import { ScramClient } from '../../bench/client/scram.js';

describe('ScramClient', () => {
  // RFC 5802 §5: the example exchange for user "user" with password "pencil".
  it('computes the proof of the RFC 5802 example and checks the server signature', async () => {
    const client = new ScramClient('SCRAM-SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    expect(client.initial()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await client.respond('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(final).toBe('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    expect(client.verify('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).toBe(true);
    expect(client.verify('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toBe(false);
  });

  // RFC 7677 §3: the same for SCRAM-SHA-256.
  it('computes the proof of the RFC 7677 example', async () => {
    const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    const final = await client.respond('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(final).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(client.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).toBe(true);
  });

  it('refuses a server nonce that does not extend its own', async () => {
    const client = new ScramClient('SCRAM-SHA-1', 'user', 'pencil', 'abc');
    await expect(client.respond('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096')).rejects.toThrow(/nonce/);
  });

  it('escapes = and , in the username (RFC 5802 §5.1)', () => {
    expect(new ScramClient('SCRAM-SHA-1', 'a=b,c', 'pw', 'n').initial()).toBe('n,,n=a=3Db=2Cc,r=n');
  });
});
