// A throwaway certificate authority for the test run. globalSetup makes it and points
// NODE_EXTRA_CA_CERTS at it before test workers start, so @xmpp/client verifies the server's
// certificate for real instead of switching verification off.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TestPki {
  caFile: string;
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
  const pki = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
  writeFileSync(pki.caFile, ca.cert);
  writeFileSync(pki.certFile, server.cert);
  writeFileSync(pki.keyFile, server.private, { mode: 0o600 });
  return pki;
}
