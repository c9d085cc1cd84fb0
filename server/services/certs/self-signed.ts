// The first-run certificate: self-signed for the domain and its service names, made once and
// kept in the data directory. Proper certificates (import, ACME) come with the certificates issue.
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificatePair } from '../../net/tls.js';

export interface LoadedCertificate extends CertificatePair {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
  selfSigned: boolean;
}

/** Names a self-signed certificate for `domain` covers: the domain, Hearth's service hosts, and any extra ones. */
export function certificateNames(domain: string, extraNames: readonly string[] = []): string[] {
  return [domain, `conference.${domain}`, `upload.${domain}`, `proxy.${domain}`, ...extraNames];
}

/** The configured certificate, or the self-signed one (created now if missing or about to expire). */
export async function loadCertificate(options: {
  domain: string;
  dataDir: string;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** More names for the self-signed certificate (the onion address); a kept one without them is made anew. */
  extraNames?: readonly string[] | undefined;
  /** Make a new self-signed certificate even when the kept one is still good (regenerate on demand). */
  fresh?: boolean | undefined;
}): Promise<LoadedCertificate> {
  if (options.certFile && options.keyFile) {
    return {
      cert: readPem(options.certFile, 'tls.certFile'),
      key: readPem(options.keyFile, 'tls.keyFile'),
      certFile: options.certFile,
      keyFile: options.keyFile,
      selfSigned: false,
    };
  }
  const dir = join(options.dataDir, 'certs');
  const certFile = join(dir, `${options.domain}.crt`);
  const keyFile = join(dir, `${options.domain}.key`);
  if (!options.fresh && existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    if (!expiresWithin(cert, 14) && coversNames(cert, certificateNames(options.domain, options.extraNames))) {
      return { cert, key: readFileSync(keyFile, 'utf8'), certFile, keyFile, selfSigned: true };
    }
  }
  const pair = await generateSelfSigned(options.domain, 825, options.extraNames);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pair.key, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pair.cert);
  return { ...pair, certFile, keyFile, selfSigned: true };
}

export async function generateSelfSigned(domain: string, validDays = 825, extraNames: readonly string[] = []): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + validDays * 86_400_000);
  // Loaded when a certificate is made (the first start, a renewal): selfsigned and @peculiar/x509
  // are about 2.5 MiB of heap that a running server has no other use for (issue 12).
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: domain }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: certificateNames(domain, extraNames).map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function expiresWithin(pem: string, days: number): boolean {
  try {
    return new Date(new X509Certificate(pem).validTo).getTime() - Date.now() < days * 86_400_000;
  } catch {
    return true;
  }
}

/** Every name is among the certificate's DNS names. */
export function coversNames(pem: string, names: readonly string[]): boolean {
  try {
    const dnsNames = new Set((new X509Certificate(pem).subjectAltName ?? '').split(', ').filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4).toLowerCase()));
    return names.every((name) => dnsNames.has(name.toLowerCase()));
  } catch {
    return false;
  }
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
