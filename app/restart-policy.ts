// When the server worker crashes: restart it after a delay that doubles with each quick crash,
// forget old crashes once it has run long enough, and give up after too many quick ones (a
// server that dies at every start needs a person, not a tight loop). Plain function, no Electron.

export interface RestartPolicyOptions {
  /** Delay before the first restart. */
  initialDelayMs: number;
  /** The delay doubles per quick crash up to this. */
  maxDelayMs: number;
  /** A crash after this much uptime starts a new series (the server was fine for a while). */
  stableUptimeMs: number;
  /** After this many quick crashes in a row the supervisor stops trying and shows the error. */
  maxQuickCrashes: number;
}

export const defaultRestartPolicy: RestartPolicyOptions = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableUptimeMs: 60_000,
  maxQuickCrashes: 5,
};

export type RestartDecision =
  | { restart: true; delayMs: number; quickCrashes: number }
  | { restart: false; quickCrashes: number };

/**
 * What to do about a crash, given how many quick crashes came right before it and how long the
 * worker ran this time. Feed `quickCrashes` from the decision back in at the next crash.
 */
export function restartPolicy(
  previousQuickCrashes: number,
  uptimeMs: number,
  options: RestartPolicyOptions = defaultRestartPolicy,
): RestartDecision {
  const quickCrashes = uptimeMs >= options.stableUptimeMs ? 1 : previousQuickCrashes + 1;
  if (quickCrashes >= options.maxQuickCrashes) return { restart: false, quickCrashes };
  const delayMs = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (quickCrashes - 1));
  return { restart: true, delayMs, quickCrashes };
}
