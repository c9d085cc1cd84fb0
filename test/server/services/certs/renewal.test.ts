// The renewal schedule on a hand-moved clock: nothing before 30 days ahead of expiry, then a try;
// after failures, tries 1, 2, 4 … hours apart up to a day, and back to normal after a success.
import { describe, expect, it } from 'vitest';
import { RenewalScheduler, type RenewalOutcome } from '../../../../server/services/certs/renewal.js';
import { ManualClock } from '../../../support/manual-clock.js';

const hour = 3_600_000;
const day = 24 * hour;

function setup(outcomes: RenewalOutcome[]) {
  const clock = new ManualClock(Date.UTC(2027, 0, 1));
  const expiresAt = clock.now() + 90 * day;
  const tries: number[] = [];
  let changes = 0;
  const scheduler = new RenewalScheduler({
    clock,
    expiresAt: () => expiresAt,
    renewable: () => true,
    renew: async () => {
      tries.push(clock.now());
      return outcomes.shift() ?? { ok: true };
    },
    onChange: () => changes++,
  });
  return { clock, scheduler, expiresAt, tries, changes: () => changes };
}

describe('RenewalScheduler', () => {
  it('does nothing until 30 days before expiry, then renews once', async () => {
    const { clock, scheduler, expiresAt, tries } = setup([]);
    scheduler.start();
    clock.advanceTo(expiresAt - 31 * day);
    await scheduler.check();
    expect(tries).toEqual([]);
    expect(scheduler.state()).toMatchObject({ automatic: true, renewAt: expiresAt - 30 * day, failures: 0 });
    clock.advance(day + hour);
    await scheduler.check();
    expect(tries).toHaveLength(1);
    expect(scheduler.state().lastRenewedAt).toBe(tries[0]);
    scheduler.stop();
  });

  it('retries after 1, 2, 4 … hours, at most a day apart, and forgets the failures after a success', async () => {
    const failures = Array.from({ length: 7 }, () => ({ ok: false as const, error: 'port 80 is closed' }));
    const { clock, scheduler, expiresAt, tries } = setup(failures);
    clock.advanceTo(expiresAt - 29 * day);
    const gaps: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      await scheduler.check();
      const state = scheduler.state();
      if (state.failures === 0) break;
      expect(state.lastError).toBe('port 80 is closed');
      gaps.push((state.nextAttemptAt! - clock.now()) / hour);
      // Too early: nothing happens.
      clock.advance(state.nextAttemptAt! - clock.now() - 1);
      await scheduler.check();
      expect(tries).toHaveLength(attempt + 1);
      clock.advance(1);
    }
    expect(gaps).toEqual([1, 2, 4, 8, 16, 24, 24]);
    expect(tries).toHaveLength(8);
    expect(scheduler.state()).toMatchObject({ failures: 0 });
    expect(scheduler.state().lastError).toBeUndefined();
  });

  it('runs one renewal at a time', async () => {
    const { clock, scheduler, expiresAt, tries } = setup([]);
    clock.advanceTo(expiresAt - 10 * day);
    await Promise.all([scheduler.check(), scheduler.check(), scheduler.check()]);
    expect(tries).toHaveLength(1);
  });
});
