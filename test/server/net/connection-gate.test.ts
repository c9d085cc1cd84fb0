import { describe, expect, it } from 'vitest';
import { ByteRateLimit } from '../../../server/net/byte-rate-limit.js';
import { ConnectionGate, type Admission } from '../../../server/net/connection-gate.js';

describe('the connection gate', () => {
  it('refuses more connections from one address than allowed, and admits again after one closes', () => {
    const gate = new ConnectionGate({ maxPerAddress: 2, maxUnauthenticated: 100 });
    const first = gate.admit('192.0.2.1') as Admission;
    gate.admit('192.0.2.1');
    expect(gate.admit('192.0.2.1')).toBe('too many connections from your address');
    expect(typeof gate.admit('192.0.2.2')).toBe('object');
    first.release();
    expect(typeof gate.admit('192.0.2.1')).toBe('object');
  });

  it('counts only connections that have not signed in against the handshake limit', () => {
    const gate = new ConnectionGate({ maxPerAddress: 100, maxUnauthenticated: 2 });
    const a = gate.admit('192.0.2.1') as Admission;
    gate.admit('192.0.2.2');
    expect(gate.admit('192.0.2.3')).toBe('too many connections are signing in; try again shortly');
    a.authenticated();
    expect(typeof gate.admit('192.0.2.3')).toBe('object');
    // Releasing twice, or after signing in, never frees a second slot.
    a.release();
    a.release();
    expect(gate.admit('192.0.2.4')).toBe('too many connections are signing in; try again shortly');
  });
});

describe('the byte rate limit', () => {
  it('lets a burst through, then asks the reader to wait in proportion to the debt', () => {
    const clock = { now: 0 };
    const limit = new ByteRateLimit(1000, 2000, () => clock.now);
    expect(limit.take(2000)).toBe(0);
    expect(limit.take(500)).toBe(500);
    clock.now += 500;
    expect(limit.take(0)).toBe(0);
    clock.now += 1000;
    expect(limit.take(1000)).toBe(0);
  });
});
