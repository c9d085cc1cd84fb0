// Time for work that waits days (certificate renewal, upload expiry): the real clock in the
// server, a hand-moved one in tests, so renewal 30 days before expiry is tested without waiting.

export interface Clock {
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    // The schedule alone must not keep a stopping process alive.
    timer.unref();
    return () => clearInterval(timer);
  },
};
