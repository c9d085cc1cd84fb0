// Hearth under test: a config file in the run's directory, accounts written into its database
// before it starts (as Prosody's are), then bench/hearth-process.js in its own process.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../server/config/load.js';
import { preparePassword } from '../../server/core/storage/accounts.js';
import { openStorage } from '../../server/core/storage/index.js';
import { hearthVersion } from '../../server/util/version.js';
import { serverNodeFlags } from '../../server/node-flags.js';
import type { BenchServer, ServerSetup } from './bench-server.js';

/**
 * Hearth's connection limits (issue 11) off, as Prosody's mod_limits is (not loaded here): a
 * benchmark from a few loopback addresses would otherwise measure the throttles. Versions of
 * Hearth before those limits do not know these settings; they are dropped for them.
 */
const noThrottling = { maxConnectionsPerAddress: 100_000, maxUnauthenticatedConnections: 100_000, c2sBytesPerSecond: 0 };

/** The configuration both servers get the equivalent of (see bench/servers/prosody.ts). */
export function hearthBenchConfig(setup: ServerSetup): Record<string, unknown> {
  return {
    domain: setup.domain,
    dataDir: join(setup.dir, 'data'),
    bind: setup.bind,
    adminBind: setup.bind,
    // Ephemeral ports: nothing clashes with other tests or a running Hearth.
    ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0 },
    tls: { certFile: setup.certFile, keyFile: setup.keyFile },
    log: { level: 'warn' },
    muc: {
      // Prosody's MUC has no per-occupant rate limit; Hearth's default (60 a minute) would make
      // the fan-out scenario measure the limiter.
      messagesPerMinute: 0,
      maxOccupants: Math.max(100, setup.maxOccupants),
    },
    limits: noThrottling,
    // Everything else at Hearth's defaults: archive kept 7 days (Prosody: archive_expires_after
    // "1w"), stream management, carbons, offline storage, PEP, ping, all on.
  };
}

/** The config without the noThrottling settings this version of Hearth does not know. */
function acceptedConfig(input: Record<string, unknown>): Record<string, unknown> {
  const known = Object.entries(noThrottling).filter(([key, value]) => parseConfig({ ...input, limits: { [key]: value } }).ok);
  return { ...input, limits: Object.fromEntries(known) };
}

export async function startHearth(setup: ServerSetup): Promise<BenchServer> {
  const entry = fileURLToPath(new URL('../hearth-process.js', import.meta.url));
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the benchmark first (tsc -p bench/tsconfig.json)`);
  mkdirSync(setup.dir, { recursive: true });
  const input = acceptedConfig(hearthBenchConfig(setup));
  const configFile = join(setup.dir, 'hearth.json');
  writeFileSync(configFile, JSON.stringify(input, null, 2));
  const parsed = parseConfig(input);
  if (!parsed.ok) throw new Error(`bench config rejected by Hearth: ${parsed.errors.join('; ')}`);
  createAccounts(parsed.config.dataDir, parsed.config.auth.scramIterations, setup.usernames, setup.password);

  // The same flags as `hearth serve` (server/node-flags.ts), so the benchmark measures what users run.
  const nodeArgs = [...serverNodeFlags, ...(process.env.BENCH_HEARTH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...(setup.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${setup.profileDir}`] : [])];
  const child = spawn(process.execPath, [...nodeArgs, entry, configFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: setup.dir });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-50_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
  };

  let ports: Record<string, number>;
  try {
    ports = await new Promise<Record<string, number>>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('Hearth did not start within 30 s')), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = /^ready (\{.*\})$/m.exec(out);
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line[1]!) as Record<string, number>);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Hearth exited (${code}) before listening`));
      });
    });
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }

  return {
    name: 'Hearth',
    version: hearthVersion,
    pid: child.pid!,
    host: setup.bind,
    port: ports.c2s!,
    domain: setup.domain,
    mucDomain: `conference.${setup.domain}`,
    log: () => log,
    stop,
  };
}

/**
 * Writes the accounts into a new database with Hearth's own repository (SCRAM-SHA-1 and -256
 * keys, never the password), in one transaction: thousands of `hearth user add` would take minutes.
 */
function createAccounts(dataDir: string, scramIterations: number, usernames: string[], password: string): void {
  const prepared = preparePassword(password);
  if (!prepared.ok) throw new Error(prepared.reason);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const storage = openStorage(dataDir, { scramIterations });
  try {
    storage.db.transaction(() => {
      for (const username of usernames) storage.accounts.create(username, prepared.prepared);
    })();
  } finally {
    storage.close();
  }
}
