// Debian's pebble, Let's Encrypt's ACME test server, on loopback for the certificate tests
// (.ci/run installs it). Validation is real: pebble resolves names with the test DNS server
// (every name is 127.0.0.1) and connects to Hearth's HTTP port for HTTP-01 and its HTTPS port for
// TLS-ALPN-01. Its API speaks TLS with the test run's certificate for localhost, which the test
// CA signed and NODE_EXTRA_CA_CERTS makes trusted; the certificates it issues chain to a root made
// anew at each start, fetched from its management API (/roots/0).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const pebbleBinary = process.env.HEARTH_PEBBLE ?? 'pebble';

export function pebbleInstalled(): boolean {
  return spawnSync(pebbleBinary, ['-h'], { stdio: 'ignore', timeout: 10_000 }).error === undefined;
}

/** Without pebble the tests are skipped, except under CI=true, where a missing pebble fails them. */
export const skipWithoutPebble = !pebbleInstalled() && process.env.CI !== 'true';

/** Throws (failing the tests) when pebble is missing: only reached under CI=true. */
export function requirePebble(): void {
  if (!pebbleInstalled()) throw new Error(`pebble is not installed (no "${pebbleBinary}" program); .ci/run installs it with apt-get install pebble`);
}

export interface Pebble {
  directoryUrl: string;
  /** The root of the certificates pebble issues (PEM). */
  root(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** Where pebble connects for HTTP-01 and TLS-ALPN-01 (on 127.0.0.1, through the test DNS). */
  httpPort: number;
  tlsPort: number;
  /** host:port of the DNS server pebble asks. */
  dnsServer: string;
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-pebble-'));
  const [apiPort, managementPort] = [await freeTcpPort(), await freeTcpPort()];
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: process.env.HEARTH_TEST_CERT,
        privateKey: process.env.HEARTH_TEST_KEY,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  let output = '';
  const child = spawn(pebbleBinary, ['-config', config, '-dnsserver', options.dnsServer, '-strict=false'], {
    // No random sleeps before validating, no rejected nonces, and every order validated anew
    // (renewal must prove the names again, as it would with Let's Encrypt after 30 days).
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const directoryUrl = `https://localhost:${apiPort}/dir`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`pebble exited with code ${child.exitCode}:\n${output}`);
    }
    try {
      if ((await fetch(directoryUrl, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pebble did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    directoryUrl,
    async root() {
      const response = await fetch(`https://localhost:${managementPort}/roots/0`);
      if (!response.ok) throw new Error(`pebble's management API answered ${response.status}`);
      return response.text();
    },
    output: () => output,
    stop,
  };
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
