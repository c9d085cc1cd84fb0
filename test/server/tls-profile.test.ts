// The TLS profiles (config tls.profile, server/net/tls.ts) on the real server, checked by Debian's
// testssl.sh on the STARTTLS c2s port and the HTTPS port: Mozilla "intermediate" by default,
// "modern" when chosen. Findings are asserted by their testssl ids and severities.
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { findingOf, runTestssl, testsslInstalled, type TestsslFinding } from '../support/testssl.js';

const installed = testsslInstalled();
if (!installed && process.env.CI === 'true') {
  throw new Error('testssl is not installed; .ci/run installs it (apt-get install testssl.sh)');
}
const skipWithoutTestssl = !installed;

/** Resolves with the negotiated protocol, or rejects with the handshake's error. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      resolve(String(socket.getProtocol()));
      socket.end();
    });
    socket.once('error', reject);
  });
}

function httpsPort(server: TestServer): number {
  return server.server.listeners.find((l) => l.name === 'https')!.port;
}

describe('TLS handshakes with the default profile', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('refuses a renegotiation that a TLS 1.2 client starts', async () => {
    // Before tls.ts set SSL_OP_NO_RENEGOTIATION, testssl reported this as a DoS threat.
    const error = await new Promise<Error>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port('c2sTls'), rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        socket.renegotiate({ rejectUnauthorized: false }, (failure) => (failure ? resolve(failure) : reject(new Error('the server renegotiated'))));
      });
      socket.once('error', resolve);
    });
    expect(error.message).toMatch(/no renegotiation/);
  });

  it('stops at once after a client broke its HTTPS session by trying to renegotiate', async () => {
    // The HTTP server used to answer the TLS error with a 400 that could never be sent, and the
    // half-closed connection held server.stop() for two minutes (found by testssl's -R check).
    const other = await startTestServer();
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: httpsPort(other), rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        socket.renegotiate({ rejectUnauthorized: false }, () => resolve());
      });
      socket.once('error', () => resolve());
    });
    const started = Date.now();
    await other.stop();
    // Two minutes before the fix; a few hundred milliseconds after it.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a TLS 1.1 handshake', async () => {
    await expect(handshake(server.port('c2sTls'), { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/alert protocol version/);
  });
});

describe('TLS handshakes with the modern profile', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY, profile: 'modern' } });
  });
  afterAll(() => server.stop());

  it('refuses a TLS 1.2 handshake on HTTPS', async () => {
    await expect(handshake(httpsPort(server), { maxVersion: 'TLSv1.2' })).rejects.toThrow(/alert protocol version/);
  });

  it('completes a TLS 1.3 handshake on HTTPS', async () => {
    expect(await handshake(httpsPort(server), {})).toBe('TLSv1.3');
  });
});

/** Every finding above INFO, except testssl's note about its own OpenSSL build. */
function problems(findings: TestsslFinding[]): string[] {
  return findings
    .filter((f) => f.id !== 'engine_problem' && !['OK', 'INFO', 'DEBUG'].includes(f.severity))
    .map((f) => `${f.id} (${f.severity}): ${f.finding}`);
}

const profiles = [
  { profile: 'intermediate', tls12: 'offered' },
  { profile: 'modern', tls12: 'not offered' },
] as const;

describe.skipIf(skipWithoutTestssl).each(profiles)('testssl.sh on the $profile profile', ({ profile, tls12 }) => {
  let server: TestServer;
  const findings: Record<'c2s' | 'https', TestsslFinding[]> = { c2s: [], https: [] };

  beforeAll(async () => {
    server = await startTestServer({ tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY, profile } });
    // Both ports at once: each run is mostly waiting on handshakes.
    [findings.c2s, findings.https] = await Promise.all([
      runTestssl({ port: server.port('c2s'), xmppDomain: server.config.domain }),
      runTestssl({ port: httpsPort(server) }),
    ]);
  }, 180_000);
  afterAll(() => server?.stop());

  describe.each(['c2s', 'https'] as const)('on the %s port', (port) => {
    it('offers no SSL, TLS 1.0 or TLS 1.1', () => {
      for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) expect(findingOf(findings[port], id)?.finding, id).toBe('not offered');
    });

    it(`offers TLS 1.3, and TLS 1.2 ${tls12 === 'offered' ? 'too' : 'not at all'}`, () => {
      expect(findingOf(findings[port], 'TLS1_3')?.finding).toMatch(/^offered/);
      expect(findingOf(findings[port], 'TLS1_2')?.finding).toBe(tls12);
    });

    it('offers no NULL, anonymous, export, low, 3DES or CBC ciphers', () => {
      for (const id of ['cipherlist_NULL', 'cipherlist_aNULL', 'cipherlist_EXPORT', 'cipherlist_LOW', 'cipherlist_3DES_IDEA', 'cipherlist_AVERAGE']) {
        expect(findingOf(findings[port], id)?.finding, id).toBe('not offered');
      }
      expect(findingOf(findings[port], 'cipherlist_STRONG')).toMatchObject({ severity: 'OK', finding: 'offered' });
    });

    it('offers forward secrecy', () => {
      expect(findingOf(findings[port], 'PFS')).toMatchObject({ severity: 'OK', finding: 'offered' });
    });

    it('has no renegotiation weakness', () => {
      // TLS 1.3 has no renegotiation at all; testssl then reports secure_renego as not applicable.
      expect(findingOf(findings[port], 'secure_client_renego')?.severity).toBe('OK');
      expect(findingOf(findings[port], 'secure_renego')?.severity).toMatch(/^(OK|INFO)$/);
    });

    it('reports nothing worse than INFO', () => {
      expect(problems(findings[port])).toEqual([]);
    });
  });
});
