// The uploaded bytes on disk: <dataDir>/uploads/<slot id>, written through <dataDir>/uploads/tmp.
// A file appears under its final name only once every byte has arrived and is synced, so a
// crash or a dropped connection never leaves half a file where downloads look. Paths are made
// from slot ids alone, checked against their exact shape: nothing a client sends is joined
// into a path.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { syncDirectory } from '../../util/sync-directory.js';

/** 32 random bytes in base64url (RFC 4648 §5): 43 characters, unguessable, safe in URLs and file names. */
export const slotIdPattern = /^[A-Za-z0-9_-]{43}$/;

export function newSlotId(): string {
  return randomBytes(32).toString('base64url');
}

export function isSlotId(text: string): boolean {
  return slotIdPattern.test(text);
}

/** Why an upload did not complete: a body longer or shorter than the slot, or the connection went. */
export class IncompleteUpload extends Error {
  constructor(
    readonly reason: 'too-long' | 'too-short' | 'aborted',
    readonly received: number,
  ) {
    super(`upload ${reason} after ${received} bytes`);
    this.name = 'IncompleteUpload';
  }
}

export class UploadFileStore {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'uploads');
    this.tmpDir = join(this.dir, 'tmp');
    // Owner-only, like the database: family photos are nobody else's business on this computer.
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  private pathOf(id: string): string {
    if (!isSlotId(id)) throw new Error('not a slot id');
    return join(this.dir, id);
  }

  /** The stored file's size, or undefined when it is not there. */
  sizeOf(id: string): number | undefined {
    try {
      const stat = statSync(this.pathOf(id));
      return stat.isFile() ? stat.size : undefined;
    } catch {
      return undefined;
    }
  }

  /** Where to read the stored file from (it exists: check with sizeOf first). */
  readPath(id: string): string {
    return this.pathOf(id);
  }

  /**
   * Writes `body` to a temporary file and, once exactly `size` bytes have come and are on disk,
   * moves it to its final name. Anything else (more bytes, fewer, a dropped connection) deletes
   * the temporary file and throws IncompleteUpload.
   */
  async receive(id: string, body: Readable, size: number): Promise<void> {
    const target = this.pathOf(id);
    const temporary = join(this.tmpDir, `${id}.${randomBytes(6).toString('hex')}`);
    const file = await open(temporary, 'wx', 0o600);
    let received = 0;
    try {
      let writeError: unknown;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > size) throw new IncompleteUpload('too-long', received);
          try {
            await file.write(chunk);
          } catch (error) {
            writeError = error;
            break;
          }
        }
      } catch (error) {
        if (error instanceof IncompleteUpload) throw error;
        // The request stream fails when the connection drops mid-body.
        throw new IncompleteUpload('aborted', received);
      }
      // The disk's own failure (full, gone): not the client's, and not hidden as one.
      if (writeError !== undefined) throw writeError;
      if (received < size) throw new IncompleteUpload('too-short', received);
      // On disk before it counts as uploaded (DESIGN.md: nothing acknowledged may be lost).
      await file.sync();
      await file.close();
      await rename(temporary, target);
      syncDirectory(this.dir);
    } catch (error) {
      await file.close().catch(() => {});
      await rm(temporary, { force: true });
      throw error;
    }
  }

  delete(id: string): void {
    rmSync(this.pathOf(id), { force: true });
  }

  /** Temporary files of uploads that were running when the server stopped: never complete now. */
  clearTemporary(): number {
    let removed = 0;
    for (const name of readdirSync(this.tmpDir)) {
      rmSync(join(this.tmpDir, name), { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /** Ids of the files on disk (anything else in the directory is not ours and stays). */
  storedIds(): string[] {
    return readdirSync(this.dir).filter(isSlotId);
  }
}
