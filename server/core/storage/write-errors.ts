// What a failed database write means. A full disk (or a quota) is not a bug: the operator has to
// free space, and whoever sent the stanza has to hear that it was not kept (resource-constraint,
// RFC 6120 §8.3.3.18) rather than lose it silently. SQLite rolls the failed transaction back, so
// the database itself stays consistent (test/server/disk-full.test.ts).

/** SQLite's and the file system's codes for "no space left". */
const fullCodes = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

export function isStorageFull(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && fullCodes.has(code);
}

/** The operator's log line for a write that failed on a full disk; no content, no addresses. */
export function storageFullMessage(what: string): string {
  return `could not store ${what}: the disk holding the data directory is full; free some space (messages are refused with resource-constraint until then)`;
}

/**
 * One line per minute at most: a full disk fails every write, and a busy server would otherwise
 * fill what space is left with the same complaint.
 */
export class StorageFullReporter {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: (message: string) => void,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  report(what: string): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (and ${this.suppressed} more failed writes since the last report)` : '';
    this.lastAt = now;
    this.suppressed = 0;
    this.log(storageFullMessage(what) + more);
  }
}
