import { describe, expect, it } from 'vitest';
import { DeliveryLedger, LatencySamples, percentile, settle } from '../../bench/stats.js';

describe('percentile', () => {
  it('is the nearest-rank value, always one that was measured', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 75)).toBe(3);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([7], 99)).toBe(7);
  });

  it('puts p99 of 1..1000 at 990 and p50 at 500', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(990);
    expect(percentile(values, 50)).toBe(500);
  });

  it('is NaN without samples and refuses percentiles outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('LatencySamples', () => {
  it('summarises samples added in any order, beyond its first buffer', () => {
    const samples = new LatencySamples();
    // 3000 samples (more than the initial 1024), shuffled: 1..3000 ms.
    const values = Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 3000) + 1);
    for (const value of values) samples.add(value);
    expect(samples.summary()).toEqual({ count: 3000, p50: 1500, p99: 2970, max: 3000, mean: 1500.5 });
  });

  it('sorts numerically, not as text', () => {
    const samples = new LatencySamples();
    for (const value of [10, 9, 100, 2]) samples.add(value);
    expect(samples.summary().p50).toBe(9);
    expect(samples.summary().max).toBe(100);
  });
});

describe('DeliveryLedger', () => {
  it('measures each delivery from its send time', () => {
    const ledger = new DeliveryLedger();
    ledger.expect('a', 100);
    ledger.expect('b', 110);
    expect(ledger.arrive('b', 115)).toBe('delivered');
    expect(ledger.arrive('a', 130)).toBe('delivered');
    expect(ledger.latencies.summary()).toMatchObject({ count: 2, p50: 5, max: 30 });
    expect(ledger.lost).toBe(0);
  });

  it('counts a message that never arrived as lost and names it', () => {
    const ledger = new DeliveryLedger();
    for (const key of ['m1', 'm2', 'm3']) ledger.expect(key, 0);
    ledger.arrive('m1', 1);
    ledger.arrive('m3', 1);
    expect(ledger.lost).toBe(1);
    expect(ledger.lostKeys()).toEqual(['m2']);
    expect(ledger.delivered).toBe(2);
    expect(ledger.expected).toBe(3);
  });

  it('tells duplicates and messages nobody sent apart from deliveries', () => {
    const ledger = new DeliveryLedger();
    ledger.expect('m1', 0);
    expect(ledger.arrive('m1', 1)).toBe('delivered');
    expect(ledger.arrive('m1', 2)).toBe('duplicate');
    expect(ledger.arrive('m9', 2)).toBe('unexpected');
    expect(ledger).toMatchObject({ duplicates: 1, unexpected: 1, delivered: 1, lost: 0 });
    expect(ledger.latencies.count).toBe(1);
  });

  it('refuses to expect the same delivery twice', () => {
    const ledger = new DeliveryLedger();
    ledger.expect('m1', 0);
    expect(() => ledger.expect('m1', 0)).toThrow(/already expected/);
  });
});

describe('settle', () => {
  it('returns as soon as everything arrived', async () => {
    const started = Date.now();
    await settle(() => true, () => 0, 10_000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives up once nothing has progressed for the stall time', async () => {
    const started = Date.now();
    await settle(() => false, () => 42, 150);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(2000);
  });
});
