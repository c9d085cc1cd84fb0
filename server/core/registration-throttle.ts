// Registration throttling (issue 11): at most so many new accounts per network address in an
// hour, whichever way they are made — in-band registration (XEP-0077, with or without an
// invitation's token, XEP-0445) or the invitation page's web form. It stops one machine from
// filling the server with accounts through open registration or a many-use invitation link.
//
// Like the sign-in throttle it keeps addresses (an IPv4 address or an IPv6 /64, and the times
// accounts were made from it) in memory only, never on disk or in the log, and forgets each one
// an hour after the last account made from it.
import { StanzaError } from '../util/errors.js';
import { addressKey, isLoopback } from './login-throttle.js';

export interface RegistrationThrottleOptions {
  /** New accounts one address may make within an hour. */
  maxPerAddressPerHour: number;
  /** Never throttle this computer (loopback): only when the admin asks for it (auth.exemptLoopback). */
  exemptLoopback: boolean;
}

/** The window registrations are counted in, and how long an address is remembered. */
export const registrationWindowMs = 60 * 60_000;

export class RegistrationThrottle {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly options: RegistrationThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this address may make another account; 0 when it may now. */
  waitFor(address: string | undefined): number {
    const key = this.keyOf(address);
    if (key === undefined) return 0;
    this.forgetOld();
    const times = this.recent.get(key);
    if (!times || times.length < this.options.maxPerAddressPerHour) return 0;
    // The oldest registration in the window has to age out before another one fits.
    return times[times.length - this.options.maxPerAddressPerHour]! + registrationWindowMs - this.now();
  }

  /**
   * The refusal for an address over its limit, or undefined when it may register. RFC 6120
   * §8.3.3.12 policy-violation, of type wait: the same request succeeds later.
   */
  refusal(address: string | undefined): StanzaError | undefined {
    const waitMs = this.waitFor(address);
    if (waitMs <= 0) return undefined;
    const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
    return new StanzaError('policy-violation', `too many accounts were made from your address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, 'wait');
  }

  /** An account was made from this address. */
  record(address: string | undefined): void {
    const key = this.keyOf(address);
    if (key === undefined) return;
    this.forgetOld();
    const times = this.recent.get(key) ?? [];
    times.push(this.now());
    // Only the newest `max` times can ever matter.
    if (times.length > this.options.maxPerAddressPerHour) times.splice(0, times.length - this.options.maxPerAddressPerHour);
    this.recent.set(key, times);
  }

  /** What is held now, for the Privacy page: addresses with a registration in the last hour. */
  stats(): { addresses: number } {
    this.forgetOld();
    return { addresses: this.recent.size };
  }

  private keyOf(address: string | undefined): string | undefined {
    if (address === undefined) return undefined;
    const key = addressKey(address);
    return this.options.exemptLoopback && isLoopback(key) ? undefined : key;
  }

  /** Drops every address whose last registration is older than the window (a handful at most). */
  private forgetOld(): void {
    const oldest = this.now() - registrationWindowMs;
    for (const [key, times] of this.recent) {
      const kept = times.filter((at) => at > oldest);
      if (kept.length === 0) this.recent.delete(key);
      else if (kept.length !== times.length) this.recent.set(key, kept);
    }
  }
}
