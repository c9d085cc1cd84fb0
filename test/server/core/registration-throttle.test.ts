import { describe, expect, it } from 'vitest';
import { RegistrationThrottle, registrationWindowMs } from '../../../server/core/registration-throttle.js';

function throttleAt(start = 1_000_000, exemptLoopback = false) {
  const clock = { now: start };
  return { throttle: new RegistrationThrottle({ maxPerAddressPerHour: 2, exemptLoopback }, () => clock.now), clock };
}

describe('the registration throttle', () => {
  it('lets an address make as many accounts as allowed in an hour, then refuses with policy-violation of type wait', () => {
    const { throttle } = throttleAt();
    expect(throttle.refusal('192.0.2.1')).toBeUndefined();
    throttle.record('192.0.2.1');
    throttle.record('192.0.2.1');
    const refusal = throttle.refusal('192.0.2.1');
    expect(refusal).toMatchObject({ condition: 'policy-violation', type: 'wait', text: 'too many accounts were made from your address; try again in 60 minutes' });
    expect(throttle.refusal('192.0.2.2')).toBeUndefined();
  });

  it('lets the address in again once its oldest new account is an hour old', () => {
    const { throttle, clock } = throttleAt();
    throttle.record('192.0.2.1');
    clock.now += 20 * 60_000;
    throttle.record('192.0.2.1');
    clock.now += 39 * 60_000;
    expect(throttle.waitFor('192.0.2.1')).toBe(60_000);
    clock.now += 60_000;
    expect(throttle.waitFor('192.0.2.1')).toBe(0);
  });

  it('forgets an address an hour after its last new account', () => {
    const { throttle, clock } = throttleAt();
    throttle.record('192.0.2.1');
    throttle.record('2001:db8:1:2::1');
    expect(throttle.stats()).toEqual({ addresses: 2 });
    clock.now += registrationWindowMs;
    expect(throttle.stats()).toEqual({ addresses: 0 });
  });

  it('counts an IPv6 /64 as one address', () => {
    const { throttle } = throttleAt();
    throttle.record('2001:db8:1:2::1');
    throttle.record('2001:db8:1:2:ffff::9');
    expect(throttle.refusal('2001:db8:1:2::77')).toBeDefined();
    expect(throttle.refusal('2001:db8:1:3::1')).toBeUndefined();
  });

  it('counts this computer too, unless loopback is exempt', () => {
    const strict = throttleAt().throttle;
    strict.record('127.0.0.1');
    strict.record('::ffff:127.0.0.1');
    expect(strict.refusal('127.0.0.1')).toBeDefined();

    const exempt = throttleAt(1_000_000, true).throttle;
    for (let i = 0; i < 5; i++) exempt.record('::1');
    expect(exempt.refusal('::1')).toBeUndefined();
    expect(exempt.stats()).toEqual({ addresses: 0 });
  });
});
