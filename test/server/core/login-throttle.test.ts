import { describe, expect, it } from 'vitest';
import { addressKey, LoginThrottle, type LoginThrottleOptions } from '../../../server/core/login-throttle.js';

const options: LoginThrottleOptions = {
  maxFailuresPerAddress: 3,
  maxFailuresPerAccount: 5,
  lockMinutes: 15,
  retentionHours: 24,
  exemptLoopback: false,
  baseDelayMs: 1000,
};

function throttleAt(start = 1_000_000, overrides: Partial<LoginThrottleOptions> = {}) {
  const clock = { now: start };
  return { throttle: new LoginThrottle({ ...options, ...overrides }, () => clock.now), clock };
}

describe('the sign-in throttle', () => {
  it('answers each recent failure after twice the pause of the one before', () => {
    const { throttle } = throttleAt();
    expect(throttle.recordFailure('192.0.2.1', 'alice')).toBe(1000);
    expect(throttle.recordFailure('192.0.2.1', 'alice')).toBe(2000);
    expect(throttle.recordFailure('192.0.2.1', 'bob')).toBe(4000);
  });

  it('locks an address out after too many failures, for lockMinutes after the last one', () => {
    const { throttle, clock } = throttleAt();
    for (let i = 0; i < 3; i++) throttle.recordFailure('192.0.2.1', `user${i}`);
    expect(throttle.lockedFor('192.0.2.1')).toBe(15 * 60_000);
    expect(throttle.lockedFor('192.0.2.2')).toBe(0);
    clock.now += 15 * 60_000;
    expect(throttle.lockedFor('192.0.2.1')).toBe(0);
  });

  it('locks an account tried from many addresses', () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < 5; i++) throttle.recordFailure(`192.0.2.${i}`, 'alice');
    expect(throttle.lockedFor('198.51.100.7', 'alice')).toBeGreaterThan(0);
    expect(throttle.lockedFor('198.51.100.7', 'bob')).toBe(0);
  });

  it('forgives an address its failures once it signs in', () => {
    const { throttle } = throttleAt();
    throttle.recordFailure('192.0.2.1', 'alice');
    throttle.recordFailure('192.0.2.1', 'alice');
    throttle.recordSuccess('192.0.2.1', 'alice');
    expect(throttle.recordFailure('192.0.2.1', 'alice')).toBe(1000);
  });

  it('locks a patient guesser who stays under the short-term limit all day', () => {
    const { throttle, clock } = throttleAt();
    for (let i = 0; i < 15; i++) {
      throttle.recordFailure('192.0.2.1', undefined);
      throttle.recordFailure('192.0.2.1', undefined);
      clock.now += 16 * 60_000;
    }
    expect(throttle.lockedFor('192.0.2.1')).toBeGreaterThan(0);
  });

  it('forgets failures after the retention time', () => {
    const { throttle, clock } = throttleAt();
    throttle.recordFailure('192.0.2.1', 'alice');
    expect(throttle.stats()).toEqual({ addresses: 1, accounts: 1, failures: 1 });
    clock.now += 24 * 3_600_000 + 1;
    throttle.purge();
    expect(throttle.stats()).toEqual({ addresses: 0, accounts: 0, failures: 0 });
  });

  it('leaves loopback alone only when told to', () => {
    const strict = throttleAt().throttle;
    for (let i = 0; i < 3; i++) strict.recordFailure('127.0.0.1', undefined);
    expect(strict.lockedFor('127.0.0.1')).toBeGreaterThan(0);

    const exempt = throttleAt(1_000_000, { exemptLoopback: true }).throttle;
    for (let i = 0; i < 3; i++) exempt.recordFailure('::1', 'alice');
    expect(exempt.lockedFor('::1', 'alice')).toBe(0);
  });

  it('treats an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });
});
