// A real coturn TURN server on loopback for tests (Debian's "coturn" package; .ci/run installs
// it), configured with use-auth-secret like a family's own, and its test client turnutils_uclient.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function coturnInstalled(): boolean {
  // Only a missing program sets `error` (ENOENT); the exit codes of these calls do not matter.
  const turnserver = spawnSync('turnserver', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  const client = spawnSync('turnutils_uclient', ['-h'], { stdio: 'ignore', timeout: 10_000 });
  return turnserver.error === undefined && client.error === undefined;
}

export interface Coturn {
  port: number;
  secret: string;
  realm: string;
  /** Allocates a relay with these credentials and relays a packet through it; true when coturn accepted them. */
  allocate(username: string, password: string, transport: 'udp' | 'tcp'): Promise<{ accepted: boolean; output: string }>;
  log(): string;
  stop(): Promise<void>;
}

export async function startCoturn(secret: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-coturn-'));
  const port = await freeTcpPort();
  const realm = 'hearth.test';
  // A small relay range picked at random, so parallel test workers rarely share one.
  const minPort = 50_000 + Math.floor(Math.random() * 150) * 100;
  const logFile = join(dir, 'turn.log');
  writeFileSync(
    join(dir, 'turnserver.conf'),
    [
      'listening-ip=127.0.0.1',
      'relay-ip=127.0.0.1',
      `listening-port=${port}`,
      `min-port=${minPort}`,
      `max-port=${minPort + 99}`,
      'use-auth-secret',
      `static-auth-secret=${secret}`,
      `realm=${realm}`,
      'fingerprint',
      'no-cli',
      'no-tls',
      'no-dtls',
      // uclient relays between its own two allocations, both on loopback.
      'allow-loopback-peers',
      `userdb=${join(dir, 'turndb')}`,
      `pidfile=${join(dir, 'turnserver.pid')}`,
      `log-file=${logFile}`,
      'simple-log',
      'no-stdout-log',
    ].join('\n'),
  );
  const child = spawn('turnserver', ['-c', join(dir, 'turnserver.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForStun(port, child);
  } catch (error) {
    const text = log();
    await stop();
    throw new Error(`${(error as Error).message}\n${text}`);
  }
  return {
    port,
    secret,
    realm,
    allocate: (username, password, transport) => allocate(port, username, password, transport),
    log,
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

/**
 * Sends STUN Binding requests (RFC 8489 §6) until coturn answers one: then it is listening.
 * Each attempt waits 100 ms for its answer; the whole wait is bounded.
 */
async function waitForStun(port: number, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with code ${child.exitCode}`);
      const transaction = randomBytes(12);
      const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
      const answered = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          resolve(false);
        }, 100);
        const onMessage = (message: Buffer) => {
          // A Binding success response (0x0101) to this transaction.
          if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transaction)) {
            clearTimeout(timer);
            socket.off('message', onMessage);
            resolve(true);
          }
        };
        socket.on('message', onMessage);
      });
      socket.send(request, port, '127.0.0.1');
      if (await answered) return;
    }
    throw new Error('turnserver did not answer STUN in time');
  } finally {
    socket.close();
  }
}

/** turnutils_uclient: two allocations relaying one message to each other (-y), no RTCP (-c). */
function allocate(port: number, username: string, password: string, transport: 'udp' | 'tcp'): Promise<{ accepted: boolean; output: string }> {
  const args = [...(transport === 'tcp' ? ['-t'] : []), '-u', username, '-w', password, '-p', String(port), '-y', '-c', '-n', '1', '127.0.0.1'];
  return new Promise((resolve) => {
    const child = spawn('turnutils_uclient', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ accepted: code === 0, output }));
  });
}
