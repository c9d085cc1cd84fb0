// Starts the real server on ephemeral loopback ports in a temporary data directory, and
// connects real @xmpp/client clients to it over real TLS.
import { client, xml, type Client, type Element } from '@xmpp/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../server/config/load.js';
import type { Config } from '../../server/config/schema.js';
import { preparePassword } from '../../server/core/storage/accounts.js';
import { startServer, type HearthServer, type ServerOptions } from '../../server/main.js';
import { silentLogger } from '../../server/util/log.js';
import { ScramSha256Mechanism } from './scram-sha-256-mechanism.js';

export const domain = 'localhost';

export interface TestServer {
  server: HearthServer;
  config: Config;
  dataDir: string;
  port(name: 'c2s' | 'c2sTls' | 'admin' | 's2s' | 's2sTls'): number;
  addUser(username: string, password?: string): void;
  connect(username: string, options?: ConnectOptions): Promise<Client>;
  stop(): Promise<void>;
}

export interface ConnectOptions {
  password?: string;
  resource?: string;
  mechanism?: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'PLAIN';
  /** Send initial presence after login (default true). */
  presence?: boolean;
  /** The server's domain (default localhost; TestServer.connect uses the server's own). */
  domain?: string;
  /** Connect from this loopback address (127.0.0.77) instead of 127.0.0.1, as if from another machine. */
  localAddress?: string;
}

export const defaultPassword = 'correct horse battery';

export function testConfig(dataDir: string, overrides: Record<string, unknown> = {}): Config {
  const result = parseConfig({
    domain,
    dataDir,
    bind: '127.0.0.1',
    ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
    tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
    // Every test client comes from 127.0.0.1: wrong-password tests sharing a server would lock
    // each other out. The throttle's own tests turn this back off.
    auth: { exemptLoopback: true },
    ...overrides,
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.config;
}

export async function startTestServer(overrides: Record<string, unknown> = {}, dataDir?: string, options: ServerOptions = {}): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-test-'));
  const config = testConfig(dir, overrides);
  const server = await startServer(config, { log: silentLogger, authFailureDelayMs: 50, ...options });
  const clients: Client[] = [];
  const port = (name: string) => server.listeners.find((l) => l.name === name)!.port;
  return {
    server,
    config,
    dataDir: dir,
    port,
    addUser(username, password = defaultPassword) {
      const prepared = preparePassword(password);
      if (!prepared.ok) throw new Error(prepared.reason);
      server.storage.accounts.create(username, prepared.prepared);
    },
    async connect(username, options = {}) {
      const xmpp = connectClient(port('c2s'), username, { domain: config.domain, ...options });
      clients.push(xmpp);
      await xmpp.start();
      if (options.presence !== false) await xmpp.send(xml('presence'));
      return xmpp;
    },
    async stop() {
      await Promise.all(clients.map((c) => stopQuietly(c)));
      await server.stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client that does not reconnect by itself, so a test sees exactly what happened. */
export function connectClient(port: number, username: string, options: ConnectOptions = {}): Client {
  const xmpp = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain: options.domain ?? domain,
    resource: options.resource,
    credentials: async (authenticate: (c: object, m: string) => Promise<void>, mechanisms: string[]) => {
      const mechanism = options.mechanism ?? 'SCRAM-SHA-1';
      if (!mechanisms.includes(mechanism)) throw new Error(`server did not offer ${mechanism}: ${mechanisms.join(' ')}`);
      await authenticate({ username, password: options.password ?? defaultPassword }, mechanism);
    },
  });
  xmpp.saslFactory.use('SCRAM-SHA-256', ScramSha256Mechanism);
  if (options.localAddress !== undefined) {
    // @xmpp/client has no option for it, but asks the connection for its socket parameters (net.connect's).
    const localAddress = options.localAddress;
    const connection = xmpp as unknown as { socketParameters(service: string): object | undefined };
    const socketParameters = connection.socketParameters.bind(xmpp);
    connection.socketParameters = (service) => ({ ...socketParameters(service), localAddress });
  }
  xmpp.reconnect.stop();
  xmpp.on('error', () => {});
  return xmpp;
}

export async function stopQuietly(xmpp: Client): Promise<void> {
  try {
    await Promise.race([xmpp.stop(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // already gone
  }
}

export { xml };

/** Resolves with the first stanza for which `match` is true, or rejects after `ms`. */
export function nextStanza(xmpp: Client, match: (stanza: Element) => boolean, ms = 5000) {
  return new Promise<Element>((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.off('stanza', listener);
      reject(new Error('timed out waiting for a stanza'));
    }, ms);
    const listener = (stanza: Element) => {
      if (!match(stanza)) return;
      clearTimeout(timer);
      xmpp.off('stanza', listener);
      resolve(stanza);
    };
    xmpp.on('stanza', listener);
  });
}
