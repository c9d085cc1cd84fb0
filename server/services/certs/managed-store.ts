// The certificate Hearth manages itself (imported, or issued by ACME), kept in
// <dataDir>/certs/current/: fullchain.pem, privkey.pem (owner-only) and certificate.json (where
// it came from, and the ACME settings renewal needs). Replacing it keeps the one before in
// certs/previous/, so a bad import can be undone by hand.
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AcmeChallengeType } from '../../control/contract.js';
import type { LoadedCertificate } from './self-signed.js';

export interface ManagedMeta {
  source: 'imported' | 'acme';
  installedAt: number;
  acme?: { directoryUrl: string; challenge: AcmeChallengeType; email?: string | undefined; names: string[] } | undefined;
}

export interface ManagedCertificate extends LoadedCertificate {
  meta: ManagedMeta;
}

export function certsDir(dataDir: string): string {
  return join(dataDir, 'certs');
}

function paths(dir: string) {
  return { cert: join(dir, 'fullchain.pem'), key: join(dir, 'privkey.pem'), meta: join(dir, 'certificate.json') };
}

/** The managed certificate, or undefined when there is none (or it cannot be read). */
export function readManaged(dataDir: string): ManagedCertificate | undefined {
  const files = paths(join(certsDir(dataDir), 'current'));
  if (!existsSync(files.cert) || !existsSync(files.key)) return undefined;
  try {
    const cert = readFileSync(files.cert, 'utf8');
    const key = readFileSync(files.key, 'utf8');
    new X509Certificate(cert);
    const meta = existsSync(files.meta) ? (JSON.parse(readFileSync(files.meta, 'utf8')) as ManagedMeta) : { source: 'imported' as const, installedAt: 0 };
    return { cert, key, certFile: files.cert, keyFile: files.key, selfSigned: false, meta };
  } catch {
    return undefined;
  }
}

/** Makes this the managed certificate; the one before moves to certs/previous/. */
export function writeManaged(dataDir: string, pair: { certificatePem: string; keyPem: string }, meta: ManagedMeta): ManagedCertificate {
  const base = certsDir(dataDir);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const next = join(base, 'current.new');
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { mode: 0o700 });
  const files = paths(next);
  writeFileSync(files.key, pair.keyPem, { mode: 0o600 });
  chmodSync(files.key, 0o600);
  writeFileSync(files.cert, pair.certificatePem);
  writeFileSync(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
  retireManaged(dataDir);
  // A directory rename: readers see the old set or the new one, never half of each.
  renameSync(next, join(base, 'current'));
  const current = paths(join(base, 'current'));
  return { cert: pair.certificatePem, key: pair.keyPem, certFile: current.cert, keyFile: current.key, selfSigned: false, meta };
}

/** Stops using the managed certificate (a self-signed one takes over); it is kept in certs/previous/. */
export function retireManaged(dataDir: string): void {
  const base = certsDir(dataDir);
  const current = join(base, 'current');
  if (!existsSync(current)) return;
  const previous = join(base, 'previous');
  rmSync(previous, { recursive: true, force: true });
  renameSync(current, previous);
}
