// Durable renames: after writing a temporary file and renaming it into place, the directory
// itself is synced so the rename survives a power cut, not only the file's bytes.
import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Best effort: not every platform lets a directory be opened for this. */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
