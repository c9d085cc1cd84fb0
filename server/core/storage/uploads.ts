// File upload metadata (migration 6, XEP-0363): one row per slot an account asked for, which
// becomes a stored file once its PUT has brought every byte. The bytes themselves live in
// <dataDir>/uploads, named by the slot id (modules/http-upload/file-store.ts).
import type { Db } from './database.js';

export interface UploadRecord {
  /** The secret in the slot's URLs, and the file's name on disk. */
  id: string;
  /** The username of the account that asked for the slot. */
  owner: string;
  filename: string;
  size: number;
  /** As the client declared it in the slot request; undefined lets the PUT's Content-Type decide. */
  contentType: string | undefined;
  requestedAt: number;
  /** Undefined while the slot waits for its upload. */
  uploadedAt: number | undefined;
}

export interface NewUploadSlot {
  id: string;
  owner: string;
  filename: string;
  size: number;
  contentType: string | undefined;
  requestedAt: number;
}

export interface UploadUsage {
  /** Bytes of the stored files (slots still waiting for their upload do not count). */
  bytes: number;
  files: number;
  /** When the oldest stored file was uploaded. */
  oldestUploadedAt: number | undefined;
}

interface UploadRow {
  id: string;
  owner: string;
  filename: string;
  size: number;
  content_type: string | null;
  requested_at: number;
  uploaded_at: number | null;
}

function toRecord(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    owner: row.owner,
    filename: row.filename,
    size: row.size,
    contentType: row.content_type ?? undefined,
    requestedAt: row.requested_at,
    uploadedAt: row.uploaded_at ?? undefined,
  };
}

/** What a quota counts: a stored file, or a slot that can still be used (`liveSince`: requested after it). */
const counts = '(uploaded_at IS NOT NULL OR requested_at > @liveSince)';

export class UploadRepository {
  private readonly insert;
  private readonly selectById;
  private readonly markStored;
  private readonly remove;
  private readonly selectUsage;
  private readonly selectReserved;
  private readonly selectRequestsOf;
  private readonly selectStoredBefore;
  private readonly selectUnusedBefore;
  private readonly selectOfOwner;
  private readonly selectOrphans;
  private readonly selectStored;
  private readonly selectAllIds;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO uploads (id, owner, filename, size, content_type, requested_at) VALUES (@id, @owner, @filename, @size, @contentType, @requestedAt)',
    );
    this.selectById = db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE id = ?');
    this.markStored = db.prepare<[number, string | null, string]>('UPDATE uploads SET uploaded_at = ?, content_type = ? WHERE id = ? AND uploaded_at IS NULL');
    this.remove = db.prepare<[string]>('DELETE FROM uploads WHERE id = ?');
    this.selectUsage = db.prepare<[], { bytes: number | null; files: number; oldest: number | null }>(
      'SELECT SUM(size) AS bytes, COUNT(*) AS files, MIN(uploaded_at) AS oldest FROM uploads WHERE uploaded_at IS NOT NULL',
    );
    this.selectReserved = db.prepare<{ liveSince: number }, { bytes: number | null }>(`SELECT SUM(size) AS bytes FROM uploads WHERE ${counts}`);
    this.selectRequestsOf = db.prepare<{ owner: string; since: number; liveSince: number }, { size: number; requested_at: number }>(
      `SELECT size, requested_at FROM uploads WHERE owner = @owner AND requested_at > @since AND ${counts} ORDER BY requested_at`,
    );
    this.selectStoredBefore = db.prepare<[number], UploadRow>('SELECT * FROM uploads WHERE uploaded_at IS NOT NULL AND uploaded_at <= ? ORDER BY uploaded_at');
    this.selectUnusedBefore = db.prepare<[number], { id: string }>('SELECT id FROM uploads WHERE uploaded_at IS NULL AND requested_at <= ?');
    this.selectOfOwner = db.prepare<[string], { id: string }>('SELECT id FROM uploads WHERE owner = ?');
    this.selectOrphans = db.prepare<[], { id: string }>('SELECT id FROM uploads WHERE owner NOT IN (SELECT username FROM accounts)');
    this.selectStored = db.prepare<[], { size: number; uploaded_at: number }>('SELECT size, uploaded_at FROM uploads WHERE uploaded_at IS NOT NULL ORDER BY uploaded_at');
    this.selectAllIds = db.prepare<[], { id: string }>('SELECT id FROM uploads');
  }

  createSlot(slot: NewUploadSlot): void {
    this.insert.run({ ...slot, contentType: slot.contentType ?? null });
  }

  get(id: string): UploadRecord | undefined {
    const row = this.selectById.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** The slot's file is on disk: false when the slot is gone or was used already. */
  markUploaded(id: string, uploadedAt: number, contentType: string): boolean {
    return this.markStored.run(uploadedAt, contentType, id).changes === 1;
  }

  delete(id: string): boolean {
    return this.remove.run(id).changes === 1;
  }

  deleteMany(ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.remove.run(id);
    })();
  }

  usage(): UploadUsage {
    const row = this.selectUsage.get()!;
    return { bytes: row.bytes ?? 0, files: row.files, oldestUploadedAt: row.oldest ?? undefined };
  }

  /** Bytes the stored files and the slots requested after `liveSince` (still usable) take together. */
  reservedBytes(liveSince: number): number {
    return this.selectReserved.get({ liveSince })?.bytes ?? 0;
  }

  /** What an account asked for after `since` that still counts (stored, or a slot still usable), oldest first. */
  requestsOf(owner: string, since: number, liveSince: number): Array<{ size: number; requestedAt: number }> {
    return this.selectRequestsOf.all({ owner, since, liveSince }).map((row) => ({ size: row.size, requestedAt: row.requested_at }));
  }

  /** Stored files, oldest first, with their sizes and upload times. */
  storedFiles(): Array<{ size: number; uploadedAt: number }> {
    return this.selectStored.all().map((row) => ({ size: row.size, uploadedAt: row.uploaded_at }));
  }

  /** Stored files uploaded at or before `time`, oldest first. */
  storedBefore(time: number): UploadRecord[] {
    return this.selectStoredBefore.all(time).map(toRecord);
  }

  /** Slots requested at or before `time` that were never used. */
  unusedSlotsBefore(time: number): string[] {
    return this.selectUnusedBefore.all(time).map((row) => row.id);
  }

  ofOwner(owner: string): string[] {
    return this.selectOfOwner.all(owner).map((row) => row.id);
  }

  /** Slots and files of accounts that no longer exist (deleted while the server was not running). */
  orphans(): string[] {
    return this.selectOrphans.all().map((row) => row.id);
  }

  allIds(): string[] {
    return this.selectAllIds.all().map((row) => row.id);
  }
}
