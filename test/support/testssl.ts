// Debian's testssl.sh (package "testssl.sh", program `testssl`; .ci/run installs it) run against
// a listener on loopback, its findings read from the flat JSON file it writes (--jsonfile), never
// from its text output, which changes between versions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

export const testsslBinary = 'testssl';

export function testsslInstalled(): boolean {
  return spawnSync(testsslBinary, ['--version'], { stdio: 'ignore', timeout: 20_000 }).error === undefined;
}

/** One entry of testssl's flat JSON: `id` names the check, `severity` is its verdict. */
export interface TestsslFinding {
  id: string;
  severity: 'OK' | 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'WARN' | 'FATAL' | 'DEBUG';
  finding: string;
}

export interface TestsslTarget {
  port: number;
  /** STARTTLS on an XMPP c2s port, with this domain in the stream header's `to`. */
  xmppDomain?: string;
}

/**
 * Runs only the checks the profile is about: protocols (-p), cipher categories (-s), forward
 * secrecy (-f) and renegotiation (-R). `--fast` skips the per-cipher listings; the timeouts and
 * the overall limit keep a hung handshake from holding the suite.
 */
export async function runTestssl(target: TestsslTarget, timeoutMs = 120_000): Promise<TestsslFinding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-testssl-'));
  const jsonFile = join(dir, 'findings.json');
  const args = [
    '--quiet',
    '--color', '0',
    '--warnings', 'off',
    // The system's OpenSSL: Debian's package has no bundled binary, and the flag makes that explicit.
    '--openssl', '/usr/bin/openssl',
    '--nodns', 'min',
    '--connect-timeout', '5',
    '--openssl-timeout', '10',
    '--fast',
    '-p', '-s', '-f', '-R',
    '--jsonfile', jsonFile,
    ...(target.xmppDomain ? ['--starttls', 'xmpp', '--xmpphost', target.xmppDomain] : []),
    `127.0.0.1:${target.port}`,
  ];
  try {
    const { code, output } = await runCommand(testsslBinary, args, { timeoutMs });
    let findings: TestsslFinding[];
    try {
      findings = JSON.parse(readFileSync(jsonFile, 'utf8')) as TestsslFinding[];
    } catch {
      throw new Error(`testssl wrote no findings (exit ${code}):\n${output}`);
    }
    return findings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function findingOf(findings: TestsslFinding[], id: string): TestsslFinding | undefined {
  return findings.find((f) => f.id === id);
}
