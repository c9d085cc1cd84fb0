// A throwaway certificate authority for the test run. globalSetup makes it and points
// NODE_EXTRA_CA_CERTS at it before test workers start, so @xmpp/client verifies the server's
// certificate for real instead of switching verification off.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TestPki {
  caFile: string;
  /** The CA's private key, so tests can issue more certificates (issueTestCertificate). */
  caKeyFile: string;
  certFile: string;
  keyFile: string;
}

export async function createTestPki(dir: string, serverNames: string[]): Promise<TestPki> {
  mkdirSync(dir, { recursive: true });
  const notBeforeDate = new Date(Date.now() - 3_600_000);
  const notAfterDate = new Date(Date.now() + 7 * 86_400_000);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'Hearth test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: serverNames[0]! }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: serverNames.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  const pki = { caFile: join(dir, 'ca.pem'), caKeyFile: join(dir, 'ca.key'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
  writeFileSync(pki.caFile, ca.cert);
  writeFileSync(pki.caKeyFile, ca.private, { mode: 0o600 });
  writeFileSync(pki.certFile, server.cert);
  writeFileSync(pki.keyFile, server.private, { mode: 0o600 });
  return pki;
}

export interface TestCertificateOptions {
  /** Where the PEM files go, named <name>.pem and <name>.key. */
  dir: string;
  name: string;
  /** DNS names in the subjectAltName (the first is also the common name). */
  dnsNames: string[];
  /** "expired" ended yesterday; "valid" (the default) lasts a week. */
  validity?: 'valid' | 'expired';
  /** Signed by its own key instead of the test CA. */
  selfSigned?: boolean;
  /** Also for TLS clients (default true); false is a server-only certificate, as public CAs now issue. */
  clientAuth?: boolean;
}

/**
 * A certificate from the run's test CA (HEARTH_TEST_CA, HEARTH_TEST_CA_KEY), for another domain
 * than localhost, e.g. the two servers of a federation test; or a self-signed or expired one, to
 * see it refused. It is good for both TLS ends (serverAuth and clientAuth), as servers present
 * the same certificate when they connect to each other (XEP-0178).
 */
export async function issueTestCertificate(options: TestCertificateOptions): Promise<{ certFile: string; keyFile: string }> {
  mkdirSync(options.dir, { recursive: true });
  const expired = options.validity === 'expired';
  const notBeforeDate = new Date(Date.now() - (expired ? 10 : 1) * 86_400_000);
  const notAfterDate = new Date(Date.now() + (expired ? -86_400_000 : 7 * 86_400_000));
  const ca = options.selfSigned
    ? undefined
    : { key: readFileSync(process.env.HEARTH_TEST_CA_KEY!, 'utf8'), cert: readFileSync(process.env.HEARTH_TEST_CA!, 'utf8') };
  const generated = await selfsigned.generate([{ name: 'commonName', value: options.dnsNames[0]! }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ...(ca ? { ca } : {}),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: options.clientAuth ?? true },
      { name: 'subjectAltName', altNames: options.dnsNames.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  const files = { certFile: join(options.dir, `${options.name}.pem`), keyFile: join(options.dir, `${options.name}.key`) };
  writeFileSync(files.certFile, generated.cert);
  writeFileSync(files.keyFile, generated.private, { mode: 0o600 });
  return files;
}
