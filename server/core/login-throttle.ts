// Brute-force protection for sign-ins (issue 11): failed attempts are counted per network address
// and per account; each failure is answered after a growing delay, and too many in a short time
// lock the address (or the account) out for a while.
//
// The records (address, account, time) are the only place Hearth keeps IP addresses, and only for
// failures. They live in memory, never on disk, and are forgotten after `retentionHours`.
import { isIPv6 } from 'node:net';

export interface LoginThrottleOptions {
  /** Failures from one address within `lockMinutes` that lock it out for `lockMinutes`. */
  maxFailuresPerAddress: number;
  /** Failures on one account within `lockMinutes` that lock the account (from every address). */
  maxFailuresPerAccount: number;
  lockMinutes: number;
  /** How long a failure is remembered at all; five times the address limit within it also locks. */
  retentionHours: number;
  /** Never throttle loopback clients (this computer): only when the admin asks for it. */
  exemptLoopback: boolean;
  /** Pause before the first wrong-password answer; it doubles with each recent failure. */
  baseDelayMs: number;
}

/** The longest pause before answering a wrong password. */
const maxDelayMs = 16_000;
/** Timestamps kept per key: enough for every threshold. */
const maxRecordsPerKey = 512;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly options: LoginThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until this address (and this account, when known) may try again; 0 when free. */
  lockedFor(address: string | undefined, username?: string): number {
    const keys = this.keysFor(address, username);
    let wait = 0;
    for (const { key, limit } of keys) wait = Math.max(wait, this.lockRemaining(key, limit));
    return wait;
  }

  /** Records a failed sign-in and returns how long to wait before answering it. */
  recordFailure(address: string | undefined, username?: string): number {
    const now = this.now();
    const keys = this.keysFor(address, username);
    for (const { key } of keys) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      if (list.length > maxRecordsPerKey) list.splice(0, list.length - maxRecordsPerKey);
      this.failures.set(key, list);
    }
    const recent = Math.max(1, ...keys.map(({ key }) => this.recentCount(key)));
    return Math.min(maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(recent - 1, 10));
  }

  /** The right password from this address: its (and the account's) failures are forgiven. */
  recordSuccess(address: string | undefined, username: string): void {
    for (const { key } of this.keysFor(address, username)) this.failures.delete(key);
  }

  /** Forgets failures older than the retention time (run periodically). */
  purge(): void {
    const oldest = this.now() - this.options.retentionHours * 3_600_000;
    for (const [key, list] of this.failures) {
      const kept = list.filter((at) => at > oldest);
      if (kept.length === 0) this.failures.delete(key);
      else this.failures.set(key, kept);
    }
  }

  /** What is held now, for the Privacy page: addresses and accounts with failures on record. */
  stats(): { addresses: number; accounts: number; failures: number } {
    let addresses = 0;
    let accounts = 0;
    let failures = 0;
    for (const [key, list] of this.failures) {
      if (key.startsWith('address:')) {
        addresses++;
        failures += list.length;
      } else accounts++;
    }
    return { addresses, accounts, failures };
  }

  private keysFor(address: string | undefined, username: string | undefined): Array<{ key: string; limit: number }> {
    const keys: Array<{ key: string; limit: number }> = [];
    const network = address === undefined ? undefined : addressKey(address);
    const exempt = network === undefined || (this.options.exemptLoopback && isLoopback(network));
    if (!exempt) keys.push({ key: `address:${network}`, limit: this.options.maxFailuresPerAddress });
    if (username !== undefined && !exempt) keys.push({ key: `account:${username}`, limit: this.options.maxFailuresPerAccount });
    return keys;
  }

  private recentCount(key: string): number {
    const since = this.now() - this.options.lockMinutes * 60_000;
    return (this.failures.get(key) ?? []).filter((at) => at > since).length;
  }

  private lockRemaining(key: string, limit: number): number {
    const list = this.failures.get(key);
    if (!list || list.length === 0) return 0;
    const now = this.now();
    const lockMs = this.options.lockMinutes * 60_000;
    const recent = list.filter((at) => at > now - lockMs);
    if (recent.length >= limit) return recent.at(-1)! + lockMs - now;
    // A slow, patient guesser: many failures over the day lock until the oldest of them ages out.
    const retentionMs = this.options.retentionHours * 3_600_000;
    const daily = list.filter((at) => at > now - retentionMs);
    if (key.startsWith('address:') && daily.length >= limit * 5) return Math.max(0, daily[0]! + retentionMs - now);
    return 0;
  }
}

/**
 * The unit an attacker controls: one IPv4 address, or an IPv6 /64 (a home or phone gets a whole
 * /64 and can pick any address in it).
 */
export function addressKey(address: string): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!isIPv6(plain)) return plain;
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}

/** Whether an address key (addressKey) is this computer: 127.0.0.0/8 or ::1. */
export function isLoopback(key: string): boolean {
  return key.startsWith('127.') || key === '0:0:0:0::/64';
}
