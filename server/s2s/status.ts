// What the admin sees of federation (the control API's status, the dashboard): how many links are
// up, and the last problem with each server. Only domain names and reasons are kept, in memory:
// never an address, never who was writing to whom.

export interface FederationLinkError {
  domain: string;
  /** Why the last attempt failed ("refused: its certificate is self-signed"). */
  error: string;
  /** When (ms since 1970). */
  at: number;
}

export interface FederationStatus {
  enabled: boolean;
  /** Authenticated links now: ours to other servers, and theirs to us. */
  outgoingLinks: number;
  incomingLinks: number;
  /** The other servers with a link up now, either way. */
  connectedDomains: string[];
  /** The latest failure per server, newest first; cleared when a link to it works again. */
  lastErrors: FederationLinkError[];
  /** s2s.insecureDomains: servers whose invalid certificate is accepted. */
  insecureDomains: string[];
}

/** At most this many servers' errors are remembered (the oldest go first). */
const maxRememberedErrors = 50;

export class FederationStatusTracker {
  private readonly errors = new Map<string, FederationLinkError>();

  constructor(private readonly now: () => number = Date.now) {}

  failed(domain: string, error: string): void {
    this.errors.delete(domain);
    this.errors.set(domain, { domain, error, at: this.now() });
    if (this.errors.size > maxRememberedErrors) this.errors.delete(this.errors.keys().next().value!);
  }

  succeeded(domain: string): void {
    this.errors.delete(domain);
  }

  lastErrors(): FederationLinkError[] {
    return [...this.errors.values()].reverse();
  }
}
