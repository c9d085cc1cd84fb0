// What the scenarios need to know about a server under test, whichever it is.

export interface BenchServer {
  /** "Hearth" or "Prosody": the column in the results. */
  readonly name: string;
  readonly version: string;
  /** The server's process, for its RSS and CPU time (/proc/<pid>). */
  readonly pid: number;
  /** Where clients connect (STARTTLS on the client port). */
  readonly host: string;
  readonly port: number;
  readonly domain: string;
  /** The group chat service (XEP-0045). */
  readonly mucDomain: string;
  /** What the server logged, to explain a failure. */
  log(): string;
  stop(): Promise<void>;
}

/** One run's setup for a server: the same for Hearth and Prosody. */
export interface ServerSetup {
  /** A fresh directory for config, data and logs. */
  dir: string;
  domain: string;
  /** Loopback address the server listens on. */
  bind: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Accounts created before the server starts, all with `password`. */
  usernames: string[];
  password: string;
  /** Occupants one room must accept. */
  maxOccupants: number;
  /** Messages one account's archive must be able to hold. */
  archiveItems: number;
  /** Hearth only: write a V8 CPU profile (node --cpu-prof) into this directory. */
  profileDir?: string;
  /** Prosody only: keep its stock Nagle setting instead of TCP_NODELAY (see bench/servers/prosody.ts). */
  prosodyNagle?: boolean;
  /** Prosody only: where archives live, "internal" files (as it ships) or SQLite ("sql"). */
  prosodyStorage?: 'internal' | 'sql';
}
