// The server side of the end-to-end tests (test/e2e/): the real Hearth in this process, run like
// `hearth serve` runs it, from the config file in its data directory, on ephemeral loopback ports.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config/load.js';
import { preparePassword, type Role } from '../../server/core/storage/accounts.js';
import { startServer, type HearthServer } from '../../server/main.js';
import { silentLogger } from '../../server/util/log.js';
import { defaultPassword } from './server.js';

/** A new, empty temporary data directory, hearth-e2e-<label>-XXXXXX. */
export function temporaryDataDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `hearth-e2e-${label}-`));
}

/** Removes a data directory from temporaryDataDir(), if it was made (for `afterAll`). */
export function removeDataDir(dataDir: string | undefined): void {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

export interface StartOptions {
  /**
   * Serve the test CA's certificate (HEARTH_TEST_CERT, for localhost, conference.localhost and
   * upload.localhost; default true). False leaves the certificate to Hearth, which starts with a
   * self-signed one.
   */
  testCertificate?: boolean;
  /**
   * Let Hearth restart itself, as `hearth serve` does (default false): the admin page then offers
   * "Restart Hearth now", which restarts it in place like restart().
   */
  restartable?: boolean;
}

/** A Hearth started by startHearthFromDataDir(). */
export interface RunningHearth {
  /** The server running now: a new one after each restart. */
  readonly server: HearthServer;
  /** How many times it was restarted, by restart() or from the admin page. */
  readonly restarts: number;
  /** The port a listener (c2s, https, admin…) listens on. */
  port(name: string): number;
  /** Stops the server and starts it again from the config file (as saved now), on the same ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Adds an account directly in storage, as the setup wizard or the Users page would. */
  addAccount(username: string, role: Role, password?: string): void;
}

/**
 * Writes `config` as hearth.json in the data directory and runs Hearth from it, with overrides
 * for tests only: listening on 127.0.0.1, every port ephemeral (kept across restarts), the test
 * certificate (unless testCertificate is false), and a wrong password costing 50 ms, not a second.
 */
export async function startHearthFromDataDir(dataDir: string, config: Record<string, unknown>, options: StartOptions = {}): Promise<RunningHearth> {
  const { testCertificate = true, restartable = false } = options;
  writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify(config));
  // 0 until the first start; then the ports it got, so that a restarted server is where clients
  // and the admin page expect it.
  const ports: Record<string, number> = { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 };
  const tls = testCertificate ? { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY } : undefined;
  let server: HearthServer;
  let restarts = 0;

  async function start(): Promise<void> {
    const loaded = loadConfig({ dataDir, overrides: { bind: '127.0.0.1', ports, ...(tls ? { tls } : {}) } });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    server = await startServer(loaded.config, {
      log: silentLogger,
      authFailureDelayMs: 50,
      configFile: loaded.file,
      ...(restartable ? { restart: () => void restart() } : {}),
    });
    for (const listener of server.listeners) ports[listener.name] = listener.port;
  }

  async function restart(): Promise<void> {
    await server.stop();
    restarts++;
    await start();
  }

  await start();
  return {
    get server() {
      return server;
    },
    get restarts() {
      return restarts;
    },
    port: (name) => server.listeners.find((l) => l.name === name)!.port,
    restart,
    stop: () => server.stop(),
    addAccount(username, role, password = defaultPassword) {
      const prepared = preparePassword(password);
      if (!prepared.ok) throw new Error(prepared.reason);
      server.storage.accounts.create(username, prepared.prepared, role);
    },
  };
}
