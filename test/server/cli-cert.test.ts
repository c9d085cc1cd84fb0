// `hearth cert status|import|selfsigned|request`, running the built bin/hearth: on the data
// directory when Hearth is not running, through the running server's control API when it is
// (the new certificate is then in use at once), and an ACME request against a real pebble.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, serve, writeTestConfigFile, type ServeProcess } from '../support/cli.js';
import { startTestDnsServer } from '../support/dns-server.js';
import { requirePebble, skipWithoutPebble, startPebble } from '../support/pebble.js';
import { issueTestCertificate } from '../support/test-ca.js';

let dir: string;
let configFile: string;
let running: ServeProcess | undefined;

function edit(change: (config: Record<string, any>) => void): void {
  const next = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, any>;
  change(next);
  writeFileSync(configFile, JSON.stringify(next));
}

function fingerprintOn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function startHearth(): Promise<ServeProcess> {
  running = await serve(['--config', configFile]);
  // The admin port was 0 in the file; point the commands at the real one.
  edit((c) => (c.ports.admin = running!.ports.admin));
  return running;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-cert-'));
  configFile = writeTestConfigFile(dir);
  // Hearth manages the certificate itself (no tls.certFile).
  edit((c) => delete c.tls);
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('hearth cert', { timeout: 60_000 }, () => {
  it('works on the data directory when Hearth is not running', async () => {
    const none = await runCli(['cert', 'status', '--config', configFile]);
    expect(none).toMatchObject({ code: 3, stdout: 'Hearth is not running and has no certificate yet: it makes a self-signed one at its first start.\n' });

    const made = await runCli(['cert', 'selfsigned', '--config', configFile]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^Made a new self-signed certificate \(.+localhost\.crt\); Hearth uses it from its next start\.\nFingerprint \(SHA-256\): ([0-9A-F]{2}:){31}[0-9A-F]{2}\n$/);

    const status = await runCli(['cert', 'status', '--json', '--config', configFile]);
    expect(JSON.parse(status.stdout)).toMatchObject({ serverRunning: false, source: 'self-signed', trust: 'self-signed', certificate: { names: ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'] } });

    const good = await issueTestCertificate({ dir, name: 'good', dnsNames: ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'] });
    const other = await issueTestCertificate({ dir, name: 'other', dnsNames: ['localhost'] });
    const refused = await runCli(['cert', 'import', '--cert', good.certFile, '--key', other.keyFile, '--config', configFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^hearth: the private key does not belong to this certificate/);
    const imported = await runCli(['cert', 'import', '--cert', good.certFile, '--key', good.keyFile, '--chain', process.env.HEARTH_TEST_CA!, '--config', configFile]);
    expect(imported).toMatchObject({ code: 0, stdout: 'Imported: Hearth uses this certificate from its next start.\n' });

    const missing = await runCli(['cert', 'import', '--cert', join(dir, 'nope.pem'), '--key', good.keyFile, '--config', configFile]);
    expect(missing.stderr).toBe(`hearth: cannot read --cert ${join(dir, 'nope.pem')}: ENOENT\n`);
    const request = await runCli(['cert', 'request', '--acme-directory', 'https://acme.example/dir', '--config', configFile]);
    expect(request.code).toBe(1);
    expect(request.stderr).toMatch(/^hearth: Hearth is not running: start it first \(hearth serve\)/);

    // The imported certificate is what the server starts with.
    const hearth = await startHearth();
    expect(await fingerprintOn(hearth.ports.https!)).toBe(new X509Certificate(readFileSync(good.certFile)).fingerprint256);
  });

  it('changes the certificate of the running server at once', async () => {
    const hearth = await startHearth();
    const before = await fingerprintOn(hearth.ports.c2sTls!);
    const made = await runCli(['cert', 'selfsigned', '--config', configFile]);
    expect(made.stdout).toMatch(/^Made a new self-signed certificate: every listener of the running Hearth uses it now\./);
    const after = await fingerprintOn(hearth.ports.c2sTls!);
    expect(after).not.toBe(before);
    expect(made.stdout).toContain(`Fingerprint (SHA-256): ${after}`);

    const status = await runCli(['cert', 'status', '--config', configFile]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Certificate for localhost: self-signed, made by Hearth.');
    expect(status.stdout).toContain('  Monal (iPhone, Mac): Refuses self-signed certificates');
  });

  it.skipIf(skipWithoutPebble)('gets a certificate from an ACME authority for the running server', async () => {
    requirePebble();
    const dns = await startTestDnsServer();
    const hearth = await startHearth();
    const pebble = await startPebble({ httpPort: hearth.ports.http!, tlsPort: hearth.ports.https!, dnsServer: dns.address });
    try {
      const result = await runCli(['cert', 'request', '--acme-directory', pebble.directoryUrl, '--challenge', 'http-01', '--config', configFile]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('✓ Proving that localhost is yours');
      expect(result.stdout.trim().split('\n').pop()).toBe('Done: every listener uses the new certificate, and Hearth renews it by itself 30 days before it expires.');
      const status = JSON.parse((await runCli(['cert', 'status', '--json', '--config', configFile])).stdout) as { source: string; certificate: { fingerprintSha256: string; issuer: string } };
      expect(status.source).toBe('acme');
      expect(status.certificate.issuer).toMatch(/Pebble Intermediate/);
      expect(await fingerprintOn(hearth.ports.https!)).toBe(status.certificate.fingerprintSha256);
    } finally {
      await pebble.stop();
      await dns.stop();
    }
  });
});
