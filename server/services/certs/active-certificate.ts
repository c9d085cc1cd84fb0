// Which certificate Hearth starts with: the files named in the configuration (tls.certFile and
// tls.keyFile, managed by another tool such as certbot), else the one Hearth manages (imported or
// from ACME, in <dataDir>/certs/current/), else the self-signed one made at first start.
import { X509Certificate } from 'node:crypto';
import type { CertificateSource } from '../../control/contract.js';
import { coversName } from './certificate-info.js';
import { readManaged, type ManagedMeta } from './managed-store.js';
import { loadCertificate, type LoadedCertificate } from './self-signed.js';

export interface ActiveCertificate {
  certificate: LoadedCertificate;
  source: CertificateSource;
  meta?: ManagedMeta | undefined;
}

export async function loadActiveCertificate(options: {
  domain: string;
  dataDir: string;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  extraNames?: readonly string[] | undefined;
}): Promise<ActiveCertificate> {
  if (options.certFile && options.keyFile) return { certificate: await loadCertificate(options), source: 'files' };
  const managed = readManaged(options.dataDir);
  // One for another domain (the domain was chosen anew during setup) is not used.
  if (managed && coversName(new X509Certificate(managed.cert), options.domain)) {
    const { meta, ...certificate } = managed;
    return { certificate, source: meta.source, meta };
  }
  return { certificate: await loadCertificate({ domain: options.domain, dataDir: options.dataDir, extraNames: options.extraNames }), source: 'self-signed' };
}
