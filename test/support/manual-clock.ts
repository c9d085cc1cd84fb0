// A clock the test moves by hand (server/services/certs/clock.ts): renewal 30 days before expiry
// happens when the test says the days have passed, not after waiting them.
import type { Clock } from '../../server/util/clock.js';

export class ManualClock implements Clock {
  private readonly timers = new Set<{ every: number; next: number; fn: () => void }>();
  /** How far the test has moved time on. */
  private offset = 0;

  /**
   * Without `frozenAt` the clock runs with real time plus what the test added (certificates an
   * authority issues now are valid now); with it, time moves only when the test moves it.
   */
  constructor(private readonly frozenAt?: number) {}

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }

  /** Timers run only when the test moves time, never by themselves. */
  every(ms: number, fn: () => void): () => void {
    const timer = { every: ms, next: this.now() + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves time on; each timer that came due runs once (a sleeping laptop also misses ticks). */
  advance(ms: number): void {
    this.offset += ms;
    const now = this.now();
    for (const timer of [...this.timers]) {
      if (timer.next > now) continue;
      timer.next = now + timer.every;
      timer.fn();
    }
  }

  advanceTo(time: number): void {
    const now = this.now();
    if (time > now) this.advance(time - now);
  }
}
