// Certificates from an ACME authority, for real: Hearth on loopback asks Debian's pebble, which
// validates HTTP-01 on Hearth's HTTP port, TLS-ALPN-01 on its HTTPS port and DNS-01 through the
// test DNS server; the new certificate is then served on the c2s (STARTTLS), direct-TLS and HTTPS
// ports without a restart, and renewed when the injected clock reaches 30 days before expiry.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcmeJob, CertificateStatus } from '../../../../server/control/contract.js';
import { startTestDnsServer, type TestDnsServer } from '../../../support/dns-server.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { requirePebble, skipWithoutPebble, startPebble, type Pebble } from '../../../support/pebble.js';
import { startTestServer, type TestServer } from '../../../support/server.js';

const day = 86_400_000;

interface Peer {
  fingerprint: string;
  authorized: boolean;
  socket: TLSSocket;
}

function listenerPort(test: TestServer, name: string): number {
  return test.server.listeners.find((l) => l.name === name)!.port;
}

/** Reads from a plain socket until `until` has arrived. */
function readUntil(socket: Socket, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes(until)) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const streamHeader = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/** STARTTLS on the c2s port (RFC 6120 §5.4) by hand, checking the certificate against `ca` (or not at all). */
async function startTls(port: number, ca?: string): Promise<Peer> {
  const plain = netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => plain.once('connect', resolve).once('error', reject));
  plain.write(streamHeader);
  await readUntil(plain, '</stream:features>');
  plain.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await readUntil(plain, '<proceed');
  return secure((options) => tlsConnect({ socket: plain, ...options }), ca);
}

function directTls(port: number, ALPNProtocols: string[], ca?: string): Promise<Peer> {
  return secure((options) => tlsConnect({ host: '127.0.0.1', port, ALPNProtocols, ...options }), ca);
}

function secure(open: (options: { servername: string; ca?: string; rejectUnauthorized: boolean }) => TLSSocket, ca: string | undefined): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = open({ servername: 'localhost', ...(ca ? { ca } : {}), rejectUnauthorized: false });
    socket.once('secureConnect', () => resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, authorized: socket.authorized, socket }));
    socket.once('error', reject);
  });
}

function httpsPeer(port: number, ca: string): Promise<{ fingerprint: string; authorized: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    const request = httpsGet({ host: '127.0.0.1', port, path: '/.well-known/host-meta', servername: 'localhost', ca, agent: false }, (response) => {
      const socket = response.socket as TLSSocket;
      resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, authorized: socket.authorized, status: response.statusCode ?? 0 });
      response.resume();
    });
    request.on('error', reject);
  });
}

/** The job once it has finished (the service pushes every step; polling its status is enough here). */
async function finishedJob(test: TestServer, id: number, ms = 60_000): Promise<AcmeJob> {
  const deadline = Date.now() + ms;
  for (;;) {
    const job = test.server.certs.status().job;
    if (job && job.id === id && job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`the ACME request did not finish in time: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function request(test: TestServer, input: Record<string, unknown>): Promise<CertificateStatus> {
  const result = await test.server.control.request('certs.acme.request', { agreeToTerms: true, ...input } as never);
  if (!result.ok) throw new Error(result.error);
  return result.value as CertificateStatus;
}

describe.skipIf(skipWithoutPebble)('certificates from an ACME authority (pebble on loopback)', { timeout: 90_000 }, () => {
  let dns: TestDnsServer;
  let test: TestServer;
  let pebble: Pebble;
  let root: string;
  let hookDir: string;
  const clock = new ManualClock();

  beforeAll(async () => {
    requirePebble();
    dns = await startTestDnsServer();
    hookDir = mkdtempSync(join(tmpdir(), 'hearth-dns-hook-'));
    // The self-signed certificate at first, as at home; DNS-01 records are looked up on the test DNS server.
    test = await startTestServer({ tls: {}, acme: { dnsResolvers: [dns.address], dnsWaitMinutes: 1 } }, undefined, { certificates: { clock, dnsPollMs: 200 } });
    pebble = await startPebble({ httpPort: listenerPort(test, 'http'), tlsPort: listenerPort(test, 'https'), dnsServer: dns.address });
    root = await pebble.root();
  }, 60_000);

  afterAll(async () => {
    await test?.stop();
    await pebble?.stop();
    await dns?.stop();
    if (hookDir) rmSync(hookDir, { recursive: true, force: true });
  });

  it('starts with the self-signed certificate, which nobody vouches for', async () => {
    expect(test.server.certs.status()).toMatchObject({ source: 'self-signed', trust: 'self-signed' });
    const peer = await startTls(listenerPort(test, 'c2s'), root);
    expect(peer.authorized).toBe(false);
    peer.socket.destroy();
  });

  it('gets a certificate by HTTP-01 and serves it on the c2s and HTTPS ports without a restart', async () => {
    // A connection from before the change, which must keep going.
    const before = await startTls(listenerPort(test, 'c2s'));
    const selfSigned = new X509Certificate(test.server.certificate.cert).fingerprint256;
    expect(before.fingerprint).toBe(selfSigned);

    const started = await request(test, { directoryUrl: pebble.directoryUrl, challenge: 'http-01', email: 'admin@example.org' });
    expect(started.job).toMatchObject({ state: 'running', challenge: 'http-01', names: ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'] });
    const job = await finishedJob(test, started.job!.id);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('succeeded');
    // The authority lists the names' authorizations in an order of its own.
    const proving = job.steps.filter((step) => step.id.startsWith('prove:'));
    expect(proving.map((step) => step.id).sort()).toEqual(['prove:conference.localhost', 'prove:localhost', 'prove:proxy.localhost', 'prove:upload.localhost']);
    expect(job.steps.map((step) => (step.id.startsWith('prove:') ? 'prove' : step.id))).toEqual(['directory', 'account', 'order', 'prove', 'prove', 'prove', 'prove', 'finalize', 'install']);
    expect(job.steps.every((step) => step.state === 'done')).toBe(true);

    const status = test.server.certs.status();
    expect(status).toMatchObject({ source: 'acme', trust: 'private', state: 'valid', acme: { directoryUrl: pebble.directoryUrl, challenge: 'http-01', email: 'admin@example.org' } });
    expect(status.certificate.issuer).toMatch(/Pebble Intermediate CA/);
    expect(status.certificate.names.sort()).toEqual(['conference.localhost', 'localhost', 'proxy.localhost', 'upload.localhost']);
    expect(status.hosts.every((host) => host.covered)).toBe(true);
    expect(status.certificate.fingerprintSha256).not.toBe(selfSigned);

    const c2s = await startTls(listenerPort(test, 'c2s'), root);
    expect(c2s).toMatchObject({ fingerprint: status.certificate.fingerprintSha256, authorized: true });
    c2s.socket.destroy();
    const https = await httpsPeer(listenerPort(test, 'https'), root);
    expect(https).toMatchObject({ fingerprint: status.certificate.fingerprintSha256, authorized: true, status: 200 });

    // The old connection still speaks XMPP with the old certificate.
    before.socket.write(streamHeader);
    const features = await new Promise<string>((resolve) => {
      let text = '';
      before.socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('</stream:features>')) resolve(text);
      });
    });
    expect(features).toContain('mechanism');
    before.socket.destroy();
  });

  it('gets a certificate by TLS-ALPN-01 on the HTTPS port, served on the direct-TLS port too', async () => {
    const previous = test.server.certs.status().certificate.fingerprintSha256;
    const started = await request(test, { directoryUrl: pebble.directoryUrl, challenge: 'tls-alpn-01', names: ['localhost', 'conference.localhost'] });
    const job = await finishedJob(test, started.job!.id);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('succeeded');

    const status = test.server.certs.status();
    expect(status.acme).toMatchObject({ challenge: 'tls-alpn-01', names: ['localhost', 'conference.localhost'] });
    expect(status.certificate.fingerprintSha256).not.toBe(previous);
    expect(status.hosts.filter((host) => !host.covered).map((host) => host.name)).toEqual(['upload.localhost', 'proxy.localhost']);
    const direct = await directTls(listenerPort(test, 'c2sTls'), ['xmpp-client'], root);
    expect(direct).toMatchObject({ fingerprint: status.certificate.fingerprintSha256, authorized: true });
    direct.socket.destroy();
    const c2s = await startTls(listenerPort(test, 'c2s'), root);
    expect(c2s).toMatchObject({ fingerprint: status.certificate.fingerprintSha256, authorized: true });
    c2s.socket.destroy();
  });

  it('renews by itself when the clock reaches 30 days before expiry, and not before', async () => {
    const before = test.server.certs.status();
    expect(before.renewal).toMatchObject({ automatic: true, failures: 0, renewAt: before.certificate.notAfter - 30 * day });

    clock.advanceTo(before.certificate.notAfter - 31 * day);
    await test.server.certs.checkRenewal();
    expect(test.server.certs.status().certificate.fingerprintSha256).toBe(before.certificate.fingerprintSha256);

    // The hourly check runs when the clock moves past the renewal date.
    clock.advance(2 * day);
    const renewalStarted = clock.now();
    const deadline = Date.now() + 60_000;
    while (test.server.certs.status().certificate.fingerprintSha256 === before.certificate.fingerprintSha256) {
      if (Date.now() > deadline) throw new Error(`no renewal: ${JSON.stringify(test.server.certs.status().job)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = test.server.certs.status();
    expect(after.job).toMatchObject({ renewal: true, state: 'succeeded', challenge: 'tls-alpn-01' });
    expect(after.renewal).toMatchObject({ failures: 0, lastRenewedAt: expect.any(Number) });
    expect(after.renewal.lastRenewedAt).toBeGreaterThanOrEqual(renewalStarted);
    const https = await httpsPeer(listenerPort(test, 'https'), root);
    expect(https).toMatchObject({ fingerprint: after.certificate.fingerprintSha256, authorized: true });
  });

  it('shows the DNS-01 TXT record, waits until DNS has it, and only then asks the authority', async () => {
    const seen: AcmeJob[] = [];
    const stop = test.server.control.subscribe('certs', (status) => {
      if (status.job) seen.push(status.job);
    });
    try {
      const started = await request(test, { directoryUrl: pebble.directoryUrl, challenge: 'dns-01', names: ['localhost'] });
      // Like a person at the DNS provider's page: the record appears only after Hearth showed it.
      const deadline = Date.now() + 20_000;
      let records = test.server.certs.status().job?.dnsRecords;
      while (!records?.length) {
        if (Date.now() > deadline) throw new Error('no TXT record was shown');
        await new Promise((resolve) => setTimeout(resolve, 50));
        records = test.server.certs.status().job?.dnsRecords;
      }
      expect(records).toEqual([{ name: '_acme-challenge.localhost', type: 'TXT', value: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), visible: false }]);
      expect(test.server.certs.status().job!.steps.find((step) => step.id === 'dns-check')).toMatchObject({ state: 'active' });
      dns.setTxt(records[0]!.name, [records[0]!.value]);

      const job = await finishedJob(test, started.job!.id);
      expect(job.error).toBeUndefined();
      expect(job.state).toBe('succeeded');
      expect(job.dnsRecords![0]!.visible).toBe(true);
      // The authority was told to check only after the record could be seen.
      const proving = seen.findIndex((j) => j.steps.some((step) => step.id === 'prove:localhost' && step.state === 'active'));
      const visible = seen.findIndex((j) => j.dnsRecords?.[0]?.visible);
      expect(visible).toBeGreaterThan(-1);
      expect(proving).toBeGreaterThan(visible);
    } finally {
      stop();
      dns.removeTxt('_acme-challenge.localhost');
    }
  });

  it('has the DNS hook create and remove the TXT record', async () => {
    // A hook as a DNS provider's script would be: it gets the action, the name and the value.
    const hook = join(hookDir, 'dns-hook.sh');
    writeFileSync(hook, `#!/bin/sh\necho "$1 $2 $3 $4" >> "${join(hookDir, 'calls')}"\n`);
    chmodSync(hook, 0o755);
    const { runDnsHook } = await import('../../../../server/services/certs/acme/dns-01.js');
    expect(await runDnsHook(hook, 'add', { name: '_acme-challenge.localhost', value: 'abc' }, 'localhost')).toEqual({ ok: true });
    expect(await runDnsHook(join(hookDir, 'missing'), 'add', { name: '_acme-challenge.localhost', value: 'abc' }, 'localhost')).toEqual({
      ok: false,
      error: `the DNS hook (acme.dnsHook: ${join(hookDir, 'missing')}) cannot be run: there is no such program`,
    });
    const failing = join(hookDir, 'failing.sh');
    writeFileSync(failing, '#!/bin/sh\necho "provider said no: bad token" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    expect(await runDnsHook(failing, 'remove', { name: '_acme-challenge.localhost', value: 'abc' }, 'localhost')).toEqual({
      ok: false,
      error: 'the DNS hook (acme.dnsHook) failed with exit code 3 while trying to remove the TXT record _acme-challenge.localhost: provider said no: bad token',
    });
  });

  it('explains in plain words when the authority cannot reach port 80', async () => {
    // A second pebble that validates HTTP-01 on a port where nothing listens.
    const unreachable = await startPebble({ httpPort: 1, tlsPort: 1, dnsServer: dns.address });
    try {
      const before = test.server.certs.status().certificate.fingerprintSha256;
      const started = await request(test, { directoryUrl: unreachable.directoryUrl, challenge: 'http-01', names: ['localhost'] });
      const job = await finishedJob(test, started.job!.id);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/^The certificate authority could not connect to localhost on port 80: forward port 80 on your router to port \d+ of this computer/);
      expect(job.steps.find((step) => step.id === 'prove:localhost')).toMatchObject({ state: 'failed' });
      // Nothing changed.
      expect(test.server.certs.status().certificate.fingerprintSha256).toBe(before);
    } finally {
      await unreachable.stop();
    }
  });

  it('says so when the directory address is wrong', async () => {
    const started = await request(test, { directoryUrl: pebble.directoryUrl.replace('/dir', '/nothing-here') });
    const job = await finishedJob(test, started.job!.id);
    expect(job).toMatchObject({ state: 'failed', error: expect.stringMatching(/^There is no ACME directory at https:\/\/localhost:\d+\/nothing-here \(it answered 404/) });
  });
});
