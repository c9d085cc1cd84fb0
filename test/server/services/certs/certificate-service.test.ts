// The certificates service in the running server, through the control API as the UI uses it:
// status for every name, a self-signed certificate made anew, an import served at once on every
// TLS port, refusals that leave the certificate in use alone, and configured files left alone.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertificateStatus, RequestInput, RequestName } from '../../../../server/control/contract.js';
import { issueTestCertificate } from '../../../support/test-ca.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

function fingerprintOn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('the certificates service', () => {
  let test: TestServer;
  let dir: string;
  const port = (name: string) => test.server.listeners.find((l) => l.name === name)!.port;
  const ask = async <N extends RequestName>(name: N, input: RequestInput<N>) => test.server.control.request(name, input);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-import-'));
    test = await startTestServer({ tls: {} });
  });
  afterAll(async () => {
    await test.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes the first-run self-signed certificate for every name, and who accepts it', async () => {
    const result = await ask('certs.status', {});
    expect(result.ok).toBe(true);
    const status = (result as { value: CertificateStatus }).value;
    expect(status).toMatchObject({ domain: 'localhost', source: 'self-signed', trust: 'self-signed', state: 'valid', renewal: { automatic: true, failures: 0 } });
    expect(status.certificate.fingerprintSha256).toBe(new X509Certificate(test.server.certificate.cert).fingerprint256);
    expect(status.certificate.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(status.hosts).toEqual([
      { name: 'localhost', role: 'domain', covered: true },
      { name: 'conference.localhost', role: 'conference', covered: true },
      { name: 'upload.localhost', role: 'upload', covered: true },
      { name: 'proxy.localhost', role: 'proxy', covered: true },
    ]);
    expect(status.clients.map((c) => [c.client, c.verdict])).toEqual([
      ['Conversations', 'asks'],
      ['Gajim', 'asks'],
      ['Dino', 'asks'],
      ['Monal', 'refuses'],
      ['Siskin', 'refuses'],
    ]);
    expect(status.warnings.map((w) => w.id)).toEqual(['self-signed-certificate']);
    expect(status.ports).toEqual({ http: port('http'), https: port('https'), c2sTls: port('c2sTls') });
  });

  it('makes a new self-signed certificate on demand and serves it at once', async () => {
    const before = (await ask('certs.status', {})) as { ok: true; value: CertificateStatus };
    const result = await ask('certs.selfSigned', {});
    expect(result.ok).toBe(true);
    const after = (result as { value: CertificateStatus }).value;
    expect(after.source).toBe('self-signed');
    expect(after.certificate.fingerprintSha256).not.toBe(before.value.certificate.fingerprintSha256);
    expect(await fingerprintOn(port('c2sTls'))).toBe(after.certificate.fingerprintSha256);
    expect(await fingerprintOn(port('https'))).toBe(after.certificate.fingerprintSha256);
  });

  it('imports a good bundle, serves it on every TLS port, and keeps it across a restart', async () => {
    const files = await issueTestCertificate({ dir, name: 'good', dnsNames: ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'] });
    const result = await ask('certs.import', { certificate: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8'), chain: readFileSync(process.env.HEARTH_TEST_CA!, 'utf8') });
    expect(result).toMatchObject({ ok: true, value: { source: 'imported', trust: 'private', notes: [] } });
    const fingerprint = new X509Certificate(readFileSync(files.certFile)).fingerprint256;
    expect(await fingerprintOn(port('https'))).toBe(fingerprint);
    expect(await fingerprintOn(port('c2sTls'))).toBe(fingerprint);
    // And STARTTLS on the c2s port: a real client that trusts the test CA signs in.
    test.addUser('nan');
    const client = await test.connect('nan');
    await client.stop();
    expect(existsSync(join(test.dataDir, 'certs', 'current', 'fullchain.pem'))).toBe(true);
    // The dashboard no longer warns about a self-signed certificate.
    const status = await ask('status', {});
    expect(status.ok && status.value.warnings.map((w) => w.id)).not.toContain('self-signed-certificate');
    expect(status.ok && status.value.certificate).toMatchObject({ selfSigned: false, source: 'imported', renewalFailed: false });

    const restarted = await startTestServer({ tls: {} }, test.dataDir);
    try {
      expect(restarted.server.certs.status()).toMatchObject({ source: 'imported', certificate: { fingerprintSha256: fingerprint } });
    } finally {
      await restarted.server.stop();
    }
  });

  it('refuses a mismatched key, an expired certificate and wrong names, each with its message, and keeps the certificate in use', async () => {
    const inUse = await fingerprintOn(port('https'));
    const good = await issueTestCertificate({ dir, name: 'good2', dnsNames: ['localhost'] });
    const other = await issueTestCertificate({ dir, name: 'other', dnsNames: ['localhost'] });
    const expired = await issueTestCertificate({ dir, name: 'expired', dnsNames: ['localhost'], validity: 'expired' });
    const wrong = await issueTestCertificate({ dir, name: 'wrong', dnsNames: ['chat.example.org'] });
    const read = (file: string) => readFileSync(file, 'utf8');

    const mismatched = await ask('certs.import', { certificate: read(good.certFile), key: read(other.keyFile) });
    expect(mismatched).toEqual({ ok: false, error: expect.stringMatching(/^the private key does not belong to this certificate/) });
    const old = await ask('certs.import', { certificate: read(expired.certFile), key: read(expired.keyFile) });
    expect(old).toEqual({ ok: false, error: expect.stringMatching(/^this certificate expired on \d{4}-\d{2}-\d{2}/) });
    const elsewhere = await ask('certs.import', { certificate: read(wrong.certFile), key: read(wrong.keyFile) });
    expect(elsewhere).toEqual({ ok: false, error: "this certificate is for chat.example.org, not for localhost: it must name localhost, the server's domain" });
    const empty = await ask('certs.import', { certificate: ' ', key: read(good.keyFile) });
    expect(empty).toEqual({ ok: false, error: 'paste the certificate (the text that starts with -----BEGIN CERTIFICATE-----) or choose its file' });

    expect(await fingerprintOn(port('https'))).toBe(inUse);
  });

  it('refuses ACME requests with a bad address or names that are not the server’s', async () => {
    expect(await ask('certs.acme.request', { directoryUrl: 'http://acme.example/dir', agreeToTerms: true })).toEqual({
      ok: false,
      error: 'the ACME directory address must start with https://, such as https://acme-v02.api.letsencrypt.org/directory',
    });
    expect(await ask('certs.acme.request', { directoryUrl: 'https://acme.example/dir', agreeToTerms: false as true })).toMatchObject({ ok: false, error: expect.stringMatching(/agree to the certificate authority's terms/) });
    expect(await ask('certs.acme.request', { directoryUrl: 'https://acme.example/dir', agreeToTerms: true, names: ['localhost', 'evil.example'] })).toEqual({
      ok: false,
      error: "evil.example is not among this server's names (localhost, conference.localhost, upload.localhost, proxy.localhost)",
    });
  });
});

describe('a certificate from the configuration files', () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(() => test.stop());

  it('is shown with its files and left alone: import, self-signed and ACME say why not', async () => {
    const status = test.server.certs.status();
    expect(status).toMatchObject({ source: 'files', trust: 'private', configuredFiles: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY }, renewal: { automatic: false } });
    const refused = await test.server.control.request('certs.selfSigned', {});
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/^the certificate comes from the files in the configuration \(tls\.certFile .+\): renew or replace those/) });
  });
});
