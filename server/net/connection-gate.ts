// Admission for new client connections (issue 11): at most so many at once from one address, and
// at most so many that have not signed in yet, so one machine cannot exhaust the server's sockets
// or memory with idle handshakes. Counts only: addresses are held while connected, never stored.
import { addressKey } from '../core/login-throttle.js';

export interface ConnectionGateLimits {
  maxPerAddress: number;
  maxUnauthenticated: number;
}

export interface Admission {
  /** The connection signed in: it no longer counts as unauthenticated. */
  authenticated(): void;
  /** The connection closed. */
  release(): void;
}

export class ConnectionGate {
  private readonly perAddress = new Map<string, number>();
  private unauthenticated = 0;

  constructor(private readonly limits: ConnectionGateLimits) {}

  /** An admission, or the reason the connection is refused. */
  admit(address: string | undefined): Admission | string {
    const key = address === undefined ? undefined : addressKey(address);
    if (key !== undefined && (this.perAddress.get(key) ?? 0) >= this.limits.maxPerAddress) return 'too many connections from your address';
    if (this.unauthenticated >= this.limits.maxUnauthenticated) return 'too many connections are signing in; try again shortly';
    if (key !== undefined) this.perAddress.set(key, (this.perAddress.get(key) ?? 0) + 1);
    this.unauthenticated++;
    return new GateAdmission(this, key);
  }

  /** GateAdmission's: a connection signed in. */
  signedIn(): void {
    this.unauthenticated--;
  }

  /** GateAdmission's: a connection from `key` closed. */
  left(key: string | undefined, signedIn: boolean): void {
    if (!signedIn) this.unauthenticated--;
    if (key === undefined) return;
    const count = (this.perAddress.get(key) ?? 1) - 1;
    if (count === 0) this.perAddress.delete(key);
    else this.perAddress.set(key, count);
  }
}

/**
 * One connection's place in the counts. A small object rather than two closures: every
 * connection holds one for as long as it is open (issue 12).
 */
class GateAdmission implements Admission {
  private signedIn = false;
  private released = false;

  constructor(
    private readonly gate: ConnectionGate,
    private readonly key: string | undefined,
  ) {}

  authenticated(): void {
    if (this.signedIn || this.released) return;
    this.signedIn = true;
    this.gate.signedIn();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.gate.left(this.key, this.signedIn);
  }
}
