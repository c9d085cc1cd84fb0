// Counting for the benchmark: latency percentiles, and a ledger of deliveries that tells which
// expected messages never arrived (lost), which arrived twice, and which nobody sent.

export interface LatencySummary {
  count: number;
  /** Milliseconds; NaN when there are no samples. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The nearest-rank percentile of sorted values: the smallest value with at least p% of the
 * values at or below it, so it is always one of the measured values (p50 of 1,2,3,4 is 2).
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** Latency samples in milliseconds, kept in a growing typed array (no per-sample objects). */
export class LatencySamples {
  private values = new Float64Array(1024);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.size).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      count: this.size,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: this.size ? sorted[this.size - 1]! : Number.NaN,
      mean: this.size ? sum / this.size : Number.NaN,
    };
  }
}

export type Arrival = 'delivered' | 'duplicate' | 'unexpected';

/**
 * Every delivery the scenario expects, keyed by what identifies it (a message number, with the
 * receiver for fan-out). A delivery still pending when the scenario ends is lost.
 */
export class DeliveryLedger {
  private readonly pending = new Map<string, number>();
  private readonly arrived = new Set<string>();
  readonly latencies = new LatencySamples();
  expected = 0;
  duplicates = 0;
  unexpected = 0;

  /** A delivery that must happen; `sentAt` in milliseconds (performance.now()). */
  expect(key: string, sentAt: number): void {
    if (this.pending.has(key) || this.arrived.has(key)) throw new Error(`delivery ${key} is already expected`);
    this.pending.set(key, sentAt);
    this.expected++;
  }

  arrive(key: string, at: number): Arrival {
    const sentAt = this.pending.get(key);
    if (sentAt !== undefined) {
      this.pending.delete(key);
      this.arrived.add(key);
      this.latencies.add(at - sentAt);
      return 'delivered';
    }
    if (this.arrived.has(key)) {
      this.duplicates++;
      return 'duplicate';
    }
    this.unexpected++;
    return 'unexpected';
  }

  get delivered(): number {
    return this.arrived.size;
  }

  /** Deliveries expected and not (yet) arrived. */
  get lost(): number {
    return this.pending.size;
  }

  /** A few of the missing keys, for the report. */
  lostKeys(limit = 10): string[] {
    const keys: string[] = [];
    for (const key of this.pending.keys()) {
      if (keys.length >= limit) break;
      keys.push(key);
    }
    return keys;
  }
}

/**
 * Waits until `done()` or until `progress()` has not changed for `stallMs` (the server stopped
 * delivering: what is missing then is lost), polling every 20 ms.
 */
export async function settle(done: () => boolean, progress: () => number, stallMs: number): Promise<void> {
  let last = progress();
  let lastChange = Date.now();
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = progress();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= stallMs) {
      return;
    }
  }
}
