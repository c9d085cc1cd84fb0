// Hearth servers for federation tests: each with its own domain and a certificate from the run's
// test CA (valid for the domain and its component hosts, for both ends of TLS), listening for
// other servers on a loopback port, reaching the others through s2s.routes or a test DNS server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S2sResolver } from '../../server/s2s/resolver.js';
import { createLogger, type Logger } from '../../server/util/log.js';
import { startTestServer, type TestServer } from './server.js';
import { issueTestCertificate } from './test-ca.js';

/** Where the certificates of this test file go; removed by removeCertificates(). */
const certificateDir = mkdtempSync(join(tmpdir(), 'hearth-s2s-certs-'));

export function removeCertificates(): void {
  rmSync(certificateDir, { recursive: true, force: true });
}

/**
 * valid: from the test CA, for the domain, usable by both TLS ends; server-only: the same without
 * the clientAuth purpose, so peers cannot accept it for SASL EXTERNAL and dialback is used.
 */
export type CertificateKind = 'valid' | 'server-only' | 'self-signed' | 'expired' | 'wrong-name';

/** A certificate for `domain` (and conference., upload., proxy. under it), good or bad on purpose. */
export async function serverCertificate(domain: string, kind: CertificateKind = 'valid'): Promise<{ certFile: string; keyFile: string }> {
  const names = kind === 'wrong-name' ? ['someone-else.test'] : [domain, `conference.${domain}`, `upload.${domain}`, `proxy.${domain}`];
  return issueTestCertificate({
    dir: certificateDir,
    name: `${domain}-${kind}`,
    dnsNames: names,
    validity: kind === 'expired' ? 'expired' : 'valid',
    selfSigned: kind === 'self-signed',
    clientAuth: kind !== 'server-only',
  });
}

export interface FederatedServerOptions {
  domain: string;
  certificate?: CertificateKind;
  /** The s2s port (0: any free one). */
  s2sPort?: number;
  /** s2s.* settings (routes, insecureDomains, connectTimeoutSeconds ...); caFile defaults to the test CA. */
  s2s?: Record<string, unknown>;
  /** Other top-level settings. */
  overrides?: Record<string, unknown>;
  resolver?: S2sResolver;
  /** Receives the server's log lines (default: none are kept). */
  log?: Logger;
}

/** A logger that keeps every line (debug and up), to check what federation logs, and what it never logs. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger('debug', 'hearth', (level, name, message) => lines.push(`${level} ${name}: ${message}`)), { lines });
}

export async function startFederatedServer(options: FederatedServerOptions): Promise<TestServer> {
  const certificate = await serverCertificate(options.domain, options.certificate ?? 'valid');
  return startTestServer(
    {
      domain: options.domain,
      tls: certificate,
      ports: { c2s: 0, c2sTls: 0, s2s: options.s2sPort ?? 0, http: 0, https: 0, admin: 0, proxy65: 0 },
      s2s: { caFile: process.env.HEARTH_TEST_CA, connectTimeoutSeconds: 10, ...options.s2s },
      ...options.overrides,
    },
    undefined,
    { ...(options.resolver ? { s2sResolver: options.resolver } : {}), ...(options.log ? { log: options.log } : {}) },
  );
}

/** s2s.routes entries that lead to `domain` (and its group chat host) at 127.0.0.1:port. */
export function routesTo(domain: string, port: number): Record<string, string> {
  return { [domain]: `127.0.0.1:${port}`, [`conference.${domain}`]: `127.0.0.1:${port}` };
}
