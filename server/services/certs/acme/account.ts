// The ACME account key (RFC 8555 §7.3): one per certificate authority, made on first use and kept
// in <dataDir>/certs/acme/, readable only by Hearth. The same key finds the same account again
// (§7.3.1: a newAccount request with a known key returns the existing account).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certsDir } from '../managed-store.js';
import { loadAcmeClient } from './acme-client.js';

/** The file of the account key for this directory: named after its host, unique per directory URL. */
export function accountKeyFile(dataDir: string, directoryUrl: string): string {
  const host = new URL(directoryUrl).hostname.replace(/[^a-z0-9.-]/gi, '_');
  const digest = createHash('sha256').update(directoryUrl).digest('hex').slice(0, 12);
  return join(certsDir(dataDir), 'acme', `${host}-${digest}.key`);
}

export async function loadOrCreateAccountKey(dataDir: string, directoryUrl: string): Promise<string> {
  const file = accountKeyFile(dataDir, directoryUrl);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  // ES256 (P-256): small and fast to sign with, accepted by every ACME authority.
  const acme = await loadAcmeClient();
  const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  mkdirSync(join(certsDir(dataDir), 'acme'), { recursive: true, mode: 0o700 });
  writeFileSync(file, key, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
