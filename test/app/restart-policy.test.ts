import { describe, expect, it } from 'vitest';
import { defaultRestartPolicy, restartPolicy, type RestartPolicyOptions } from '../../app/restart-policy.js';

const policy: RestartPolicyOptions = { initialDelayMs: 1000, maxDelayMs: 8000, stableUptimeMs: 60_000, maxQuickCrashes: 6 };

/** Crashes one after another, each after `uptimeMs`; returns every decision. */
function crashes(count: number, uptimeMs: number, options = policy) {
  const decisions = [];
  let quick = 0;
  for (let i = 0; i < count; i++) {
    const decision = restartPolicy(quick, uptimeMs, options);
    decisions.push(decision);
    quick = decision.quickCrashes;
  }
  return decisions;
}

describe('restartPolicy', () => {
  it('restarts after the first crash with the initial delay', () => {
    expect(restartPolicy(0, 500, policy)).toEqual({ restart: true, delayMs: 1000, quickCrashes: 1 });
  });

  it('doubles the delay with each quick crash, up to the maximum', () => {
    expect(crashes(5, 2000).map((d) => d.restart && d.delayMs)).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('starts counting again after a crash that follows a stable run', () => {
    expect(restartPolicy(4, 60_000, policy)).toEqual({ restart: true, delayMs: 1000, quickCrashes: 1 });
    expect(restartPolicy(4, 59_999, policy)).toMatchObject({ restart: true, quickCrashes: 5 });
  });

  it('gives up after the configured number of quick crashes', () => {
    const decisions = crashes(6, 100);
    expect(decisions.slice(0, 5).every((d) => d.restart)).toBe(true);
    expect(decisions[5]).toEqual({ restart: false, quickCrashes: 6 });
  });

  it('by default gives up at the fifth quick crash after waiting 1, 2, 4 and 8 seconds', () => {
    const decisions = crashes(5, 100, defaultRestartPolicy);
    expect(decisions.map((d) => (d.restart ? d.delayMs : 'give up'))).toEqual([1000, 2000, 4000, 8000, 'give up']);
  });
});
