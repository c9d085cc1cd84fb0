// The onion service's identity: the hidden-service directory tor fills on its first start
// (hs_ed25519_secret_key, hs_ed25519_public_key, hostname) and keeps using afterwards, which is
// what keeps the address stable. Backing up is reading the secret key; rotating is removing the
// keys so that tor makes new ones (a new address) at its next start.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { TorPaths } from './torrc.js';

/** A v3 onion address: 56 base32 characters (rend-spec-v3 §6) and ".onion". */
export const onionAddressPattern = /^[a-z2-7]{56}\.onion$/;

export function isOnionAddress(text: string): boolean {
  return onionAddressPattern.test(text);
}

/** The address tor wrote into the hidden-service directory, or undefined before it has. */
export function readOnionAddress(paths: TorPaths): string | undefined {
  try {
    const text = readFileSync(paths.hostnameFile, 'utf8').trim().toLowerCase();
    return isOnionAddress(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The directories tor insists are private (it refuses a group- or world-readable HiddenServiceDir). */
export function prepareTorDirectories(paths: TorPaths): void {
  for (const dir of [paths.root, paths.dataDirectory, paths.hiddenServiceDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone, and the umask may have widened a new one.
    chmodSync(dir, 0o700);
  }
}

export interface KeyBackup {
  onionAddress: string;
  /** The file's name in the hidden-service directory: a restore puts it back under this name. */
  fileName: string;
  keyBase64: string;
}

/** The secret key file, for the admin to keep somewhere safe; undefined when there is none yet. */
export function readKeyBackup(paths: TorPaths): KeyBackup | undefined {
  const onionAddress = readOnionAddress(paths);
  if (!onionAddress || !existsSync(paths.secretKeyFile)) return undefined;
  return { onionAddress, fileName: 'hs_ed25519_secret_key', keyBase64: readFileSync(paths.secretKeyFile).toString('base64') };
}

/** Removes the onion key and address; tor makes new ones at its next start. */
export function removeOnionKeys(paths: TorPaths): void {
  for (const file of [paths.secretKeyFile, paths.publicKeyFile, paths.hostnameFile]) rmSync(file, { force: true });
}
