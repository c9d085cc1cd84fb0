// Deleting uploads: files past upload.retentionDays, slots never used, what deleted accounts
// left, and everything on request. The file goes first, then its row: a crash in between leaves
// a row whose file is missing (downloads answer 404 and the next run removes it), never a file
// nobody can find to delete.
import type { UploadPurgeResult } from '../../core/events.js';
import type { UploadRepository } from '../../core/storage/uploads.js';
import type { UploadFileStore } from './file-store.js';
import { dayMs } from './quota.js';

export class UploadCleaner {
  constructor(
    private readonly uploads: UploadRepository,
    private readonly files: UploadFileStore,
    /** Slots with an upload running now: their rows must stay until it ends. */
    private readonly busy: ReadonlySet<string>,
  ) {}

  private deleteIds(ids: readonly string[]): UploadPurgeResult {
    let bytes = 0;
    let files = 0;
    const gone: string[] = [];
    for (const id of ids) {
      if (this.busy.has(id)) continue;
      const record = this.uploads.get(id);
      this.files.delete(id);
      gone.push(id);
      if (record?.uploadedAt !== undefined) {
        files++;
        bytes += record.size;
      }
    }
    this.uploads.deleteMany(gone);
    return { files, bytes };
  }

  /** Files uploaded `retentionDays` or more ago. */
  expire(retentionDays: number, now: number): UploadPurgeResult {
    return this.deleteIds(this.uploads.storedBefore(now - retentionDays * dayMs).map((record) => record.id));
  }

  /** Slots requested `slotLifetimeMs` or more ago that never got their upload. */
  dropUnusedSlots(slotLifetimeMs: number, now: number): number {
    const ids = this.uploads.unusedSlotsBefore(now - slotLifetimeMs);
    this.deleteIds(ids);
    return ids.length;
  }

  /** Everything of one account (deleted: its photos go with it). */
  deleteOwner(owner: string): UploadPurgeResult {
    return this.deleteIds(this.uploads.ofOwner(owner));
  }

  deleteAll(): UploadPurgeResult {
    return this.deleteIds(this.uploads.allIds());
  }

  /**
   * At start: half-written temporary files, accounts deleted while the server was not running
   * (the CLI deletes from the database), and files on disk without a stored row (a crash
   * between moving the file into place and recording it; the client was never told it worked).
   */
  recover(): { temporary: number; orphans: number; strays: number } {
    const temporary = this.files.clearTemporary();
    const orphans = this.deleteIds(this.uploads.orphans()).files;
    let strays = 0;
    for (const id of this.files.storedIds()) {
      if (this.uploads.get(id)?.uploadedAt === undefined) {
        this.files.delete(id);
        strays++;
      }
    }
    return { temporary, orphans, strays };
  }
}
