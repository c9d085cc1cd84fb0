// Runs the real bin/hearth (the built output) as a separate process.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { domain } from './server.js';

export const hearthBin = join(import.meta.dirname, '..', '..', 'bin', 'hearth');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hearthBin, ...args], { env: { ...process.env, ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  ports: Record<string, number>;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `hearth serve` and resolves once at least `listenerCount` listeners have reported their
 * ports, the admin listener among them (the server logs it last, once every listener is up).
 */
export function serve(args: string[], listenerCount = 5, timeoutMs = 15_000): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hearthBin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ports: Record<string, number> = {};
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hearth serve did not start in time:\n${log}`));
    }, timeoutMs);
    const onText = (text: Buffer) => {
      log += text.toString();
      for (const match of log.matchAll(/listening for (\w+) on port (\d+)/g)) ports[match[1]!] = Number(match[2]);
      if (Object.keys(ports).length >= listenerCount && ports.admin !== undefined) {
        clearTimeout(timer);
        resolve({ child, ports, output: () => log, exited });
      }
    };
    child.stdout!.on('data', onText);
    child.stderr!.on('data', onText);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hearth serve exited with ${code}:\n${log}`));
    });
  });
}

/** Writes a config file for `hearth` processes: test certificate, loopback, ephemeral ports. */
export function writeTestConfigFile(dir: string): string {
  const file = join(dir, 'hearth.json');
  writeFileSync(
    file,
    JSON.stringify({
      domain,
      dataDir: join(dir, 'data'),
      bind: '127.0.0.1',
      ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
      tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
    }),
  );
  return file;
}
