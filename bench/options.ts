// The benchmark's command line. Every size has a flag, and the same as an environment variable
// (--room-messages 500 or BENCH_ROOM_MESSAGES=500; the flag wins). --smoke shrinks all of them.
import { parseArgs } from 'node:util';

export const serverNames = ['hearth', 'prosody'] as const;
export type ServerName = (typeof serverNames)[number];
export const scenarioNames = ['idle', 'login', 'messages', 'groupchat', 'archive'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface Sizes {
  /** Logins in the login-rate scenario, how many run at once, and over how many accounts. */
  logins: number;
  loginConcurrency: number;
  loginUsers: number;
  /** Idle session counts at which the server's RSS is read. */
  idle: number[];
  /** Wait before each idle reading (ms). */
  settle: number;
  pairs: number;
  messages: number;
  window: number;
  /** Fixed-rate phase: messages per second, for this many seconds (rate 0 skips it). */
  rate: number;
  rateSeconds: number;
  occupants: number;
  roomSenders: number;
  roomMessages: number;
  roomWindow: number;
  /** Messages in the archive that is queried, how many contacts sent them, queries of each kind. */
  archive: number;
  archiveContacts: number;
  archiveWindow: number;
  queries: number;
  /** ...but each kind stops after this many seconds once it has 3 (Prosody's file archive takes seconds per query). */
  querySeconds: number;
  /** A phase gives up on missing deliveries after this long without progress (ms). */
  stall: number;
  /** Loopback source addresses (127.0.0.1 ... 127.0.0.N) the client connections are spread over. */
  sources: number;
}

export const fullSizes: Sizes = {
  logins: 2000,
  loginConcurrency: 20,
  loginUsers: 200,
  idle: [0, 1000, 5000],
  settle: 3000,
  pairs: 50,
  messages: 50_000,
  window: 10,
  rate: 200,
  rateSeconds: 10,
  occupants: 50,
  roomSenders: 10,
  roomMessages: 2000,
  roomWindow: 5,
  archive: 100_000,
  archiveContacts: 10,
  archiveWindow: 50,
  queries: 50,
  querySeconds: 60,
  stall: 10_000,
  sources: 4,
};

export const smokeSizes: Sizes = {
  logins: 20,
  loginConcurrency: 4,
  loginUsers: 10,
  idle: [0, 10, 20],
  settle: 300,
  pairs: 3,
  messages: 300,
  window: 5,
  rate: 200,
  rateSeconds: 1,
  occupants: 5,
  roomSenders: 2,
  roomMessages: 40,
  roomWindow: 3,
  archive: 400,
  archiveContacts: 2,
  archiveWindow: 20,
  queries: 5,
  querySeconds: 10,
  stall: 3000,
  sources: 2,
};

export interface BenchOptions extends Sizes {
  smoke: boolean;
  servers: ServerName[];
  scenarios: ScenarioName[];
  /** Sessions other than the login scenario's enable stream management (XEP-0198). */
  streamManagement: boolean;
  /** Write a V8 CPU profile of Hearth and print its hottest functions. */
  profile: boolean;
  /** Run Prosody with its stock Nagle setting (see bench/servers/prosody.ts). */
  prosodyNagle: boolean;
  /** Where Prosody keeps archives: its own files (as it ships) or SQLite. */
  prosodyStorage: 'internal' | 'sql';
  /** Where results are written. */
  out: string;
  /** Whether results/latest.md is replaced (not for smoke runs or chosen subsets). */
  updateLatest: boolean;
}

export const usage = `npm run bench -- [options]

Runs Hearth and then Prosody on loopback with the same features and load, and prints each figure
with the ratio Hearth/Prosody. Results go to bench/results/<date>.json and .md.

  --smoke                  tiny sizes: checks the harness end to end in well under a minute
  --servers hearth,prosody which servers, in this order
  --scenarios ${scenarioNames.join(',')}
  --no-sm                  sessions do not enable stream management (XEP-0198)
  --profile                profile Hearth (node --cpu-prof) and print its hottest functions
  --prosody-nagle          leave Nagle's algorithm on in Prosody, as it ships (adds ~45 ms per
                           TLS handshake on loopback; see bench/servers/prosody.ts)
  --prosody-storage sql    keep Prosody's archives in SQLite (needs lua-dbi-sqlite3) instead of
                           its own files (internal, the default, as it ships)
  --out DIR                where results go (default bench/results)

Sizes (default / --smoke), also as BENCH_<NAME> environment variables, e.g. BENCH_MESSAGES=10000:
${Object.keys(fullSizes)
  .map((key) => `  --${kebab(key).padEnd(22)} ${String(fullSizes[key as keyof Sizes]).padEnd(14)} ${String(smokeSizes[key as keyof Sizes])}`)
  .join('\n')}

Each connection needs a file descriptor in this process and one in the server: raise the limit
with \`ulimit -n 20000\` when the largest --idle count comes near it.`;

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export class UsageError extends Error {}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env, defaultOut = 'bench/results'): BenchOptions {
  const sizeFlags = Object.fromEntries(Object.keys(fullSizes).map((key) => [kebab(key), { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        smoke: { type: 'boolean' },
        servers: { type: 'string' },
        scenarios: { type: 'string' },
        'no-sm': { type: 'boolean' },
        profile: { type: 'boolean' },
        'prosody-nagle': { type: 'boolean' },
        'prosody-storage': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...sizeFlags,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) throw new UsageError('');
  const smoke = values.smoke === true || env.BENCH_SMOKE === '1';
  const sizes: Sizes = { ...(smoke ? smokeSizes : fullSizes) };
  let sizesChanged = false;
  for (const key of Object.keys(fullSizes) as Array<keyof Sizes>) {
    const flag = kebab(key);
    const text = (values as Record<string, unknown>)[flag] ?? env[`BENCH_${flag.toUpperCase().replace(/-/g, '_')}`];
    if (text === undefined) continue;
    sizesChanged = true;
    if (key === 'idle') {
      const counts = String(text).split(',').map((part) => Number(part.trim()));
      if (counts.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError(`--idle wants counts like 0,1000,5000, not "${text}"`);
      sizes.idle = [...new Set(counts)].sort((a, b) => a - b);
    } else {
      const value = Number(text);
      const min = key === 'rate' ? 0 : 1;
      if (!Number.isInteger(value) || value < min) throw new UsageError(`--${flag} wants a whole number of at least ${min}, not "${text}"`);
      sizes[key] = value;
    }
  }
  if (sizes.sources > 254) throw new UsageError('--sources: at most 254 loopback addresses');
  const prosodyStorage = values['prosody-storage'] ?? env.BENCH_PROSODY_STORAGE ?? 'internal';
  if (prosodyStorage !== 'internal' && prosodyStorage !== 'sql') throw new UsageError(`--prosody-storage is internal or sql, not "${prosodyStorage}"`);
  const servers = list(values.servers ?? env.BENCH_SERVERS, serverNames, 'servers');
  const scenarios = list(values.scenarios ?? env.BENCH_SCENARIOS, scenarioNames, 'scenarios');
  return {
    ...sizes,
    smoke,
    servers,
    scenarios,
    streamManagement: values['no-sm'] !== true,
    profile: values.profile === true,
    prosodyNagle: values['prosody-nagle'] === true,
    prosodyStorage,
    out: values.out ?? env.BENCH_OUT ?? defaultOut,
    updateLatest: !smoke && !sizesChanged && values['prosody-nagle'] !== true && prosodyStorage === 'internal' && servers.length === serverNames.length && scenarios.length === scenarioNames.length && values.out === undefined,
  };
}

function list<T extends string>(text: string | undefined, known: readonly T[], flag: string): T[] {
  if (text === undefined) return [...known];
  const items = text.split(',').map((item) => item.trim().toLowerCase());
  for (const item of items) if (!known.includes(item as T)) throw new UsageError(`--${flag}: "${item}" is not one of ${known.join(', ')}`);
  // The canonical order whatever the command line says, so runs line up.
  return known.filter((name) => items.includes(name));
}
