// When to renew: from 30 days before expiry (Let's Encrypt's certificates last 90 days and it
// advises renewing with a third left), checked every hour. A failed try is retried after 1 hour,
// then 2, 4, 8 … up to once a day, so a broken setup never hammers the authority (whose rate
// limits count failed validations) and a fixed one renews within a day.
import type { CertificateRenewal } from '../../control/contract.js';
import type { Clock } from '../../util/clock.js';

export interface RenewalPolicy {
  renewBeforeMs: number;
  checkEveryMs: number;
  firstRetryMs: number;
  maxRetryMs: number;
}

export const defaultRenewalPolicy: RenewalPolicy = {
  renewBeforeMs: 30 * 86_400_000,
  checkEveryMs: 3_600_000,
  firstRetryMs: 3_600_000,
  maxRetryMs: 86_400_000,
};

export type RenewalOutcome = { ok: true } | { ok: false; error: string };

export interface RenewalOptions {
  clock: Clock;
  policy?: Partial<RenewalPolicy>;
  /** Expiry of the certificate in use (ms since 1970). */
  expiresAt(): number | undefined;
  /** Hearth can renew the current certificate by itself (ACME, self-signed). */
  renewable(): boolean;
  renew(): Promise<RenewalOutcome>;
  /** After every try, so the status can be pushed. */
  onChange(): void;
}

export class RenewalScheduler {
  private readonly policy: RenewalPolicy;
  private stopTicking: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private nextAttemptAt: number | undefined;
  private lastRenewedAt: number | undefined;

  constructor(private readonly options: RenewalOptions) {
    this.policy = { ...defaultRenewalPolicy, ...options.policy };
  }

  start(): void {
    this.stopTicking ??= this.options.clock.every(this.policy.checkEveryMs, () => void this.check());
    void this.check();
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
  }

  /** When renewal is due for the certificate in use. */
  renewAt(): number | undefined {
    const expiresAt = this.options.expiresAt();
    return expiresAt === undefined ? undefined : expiresAt - this.policy.renewBeforeMs;
  }

  /** Renews when due (and not waiting after a failure); resolves when that try is over. */
  check(): Promise<void> {
    if (this.running) return this.running;
    const now = this.options.clock.now();
    const renewAt = this.renewAt();
    if (!this.options.renewable() || renewAt === undefined || now < renewAt) return Promise.resolve();
    if (this.nextAttemptAt !== undefined && now < this.nextAttemptAt) return Promise.resolve();
    this.running = this.attempt().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** A new certificate was put in place by hand: start afresh. */
  reset(): void {
    this.failures = 0;
    this.lastError = undefined;
    this.nextAttemptAt = undefined;
  }

  state(): CertificateRenewal {
    const renewAt = this.renewAt();
    return {
      automatic: this.options.renewable(),
      ...(renewAt !== undefined ? { renewAt } : {}),
      ...(this.nextAttemptAt !== undefined ? { nextAttemptAt: this.nextAttemptAt } : {}),
      failures: this.failures,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastRenewedAt !== undefined ? { lastRenewedAt: this.lastRenewedAt } : {}),
    };
  }

  private async attempt(): Promise<void> {
    let outcome: RenewalOutcome;
    try {
      outcome = await this.options.renew();
    } catch (error) {
      outcome = { ok: false, error: (error as Error).message };
    }
    const now = this.options.clock.now();
    if (outcome.ok) {
      this.reset();
      this.lastRenewedAt = now;
    } else {
      this.failures += 1;
      this.lastError = outcome.error;
      this.nextAttemptAt = now + Math.min(this.policy.firstRetryMs * 2 ** (this.failures - 1), this.policy.maxRetryMs);
    }
    this.options.onChange();
  }
}
