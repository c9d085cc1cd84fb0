// The quotas a slot request must fit in: bytes per account in any 24 hours, and bytes of all
// uploads together. Slots that can still be used count as taken, so many requests at once cannot
// get past a quota before their uploads arrive; expired unused ones free their share.
import type { UploadRepository } from '../../core/storage/uploads.js';
import { StanzaError } from '../../util/errors.js';
import { describeBytes } from '../../util/units.js';

export const dayMs = 24 * 60 * 60 * 1000;

export interface QuotaLimits {
  userDailyQuotaBytes: number;
  totalQuotaBytes: number;
  retentionDays: number;
}

export interface QuotaRefusal {
  error: StanzaError;
  /** When asking again can succeed (XEP-0363 §4 <retry stamp/>), if known. */
  retryAt?: number;
}

/**
 * When enough of `entries` (oldest first) has fallen out of its window, `lifetime` after `at`,
 * for `needed` bytes to be free again.
 */
function freedAt(entries: Array<{ size: number; at: number }>, needed: number, lifetime: number): number | undefined {
  let freed = 0;
  for (const entry of entries) {
    freed += entry.size;
    if (freed >= needed) return entry.at + lifetime;
  }
  return undefined;
}

export function checkQuotas(
  uploads: UploadRepository,
  request: { owner: string; size: number },
  limits: QuotaLimits,
  now: number,
  slotLifetimeMs: number,
): QuotaRefusal | undefined {
  const liveSince = now - slotLifetimeMs;

  const recent = uploads.requestsOf(request.owner, now - dayMs, liveSince);
  const usedToday = recent.reduce((sum, entry) => sum + entry.size, 0);
  if (usedToday + request.size > limits.userDailyQuotaBytes) {
    const retryAt = freedAt(
      recent.map((entry) => ({ size: entry.size, at: entry.requestedAt })),
      usedToday + request.size - limits.userDailyQuotaBytes,
      dayMs,
    );
    const left = Math.max(0, limits.userDailyQuotaBytes - usedToday);
    return {
      error: new StanzaError(
        'resource-constraint',
        `daily upload quota reached: each person may upload ${describeBytes(limits.userDailyQuotaBytes)} in 24 hours (upload.userDailyQuotaBytes), and ${describeBytes(left)} of it is left`,
      ),
      ...(retryAt !== undefined ? { retryAt } : {}),
    };
  }

  const reserved = uploads.reservedBytes(liveSince);
  if (reserved + request.size > limits.totalQuotaBytes) {
    const retentionMs = limits.retentionDays * dayMs;
    const retryAt = freedAt(
      uploads.storedFiles().map((file) => ({ size: file.size, at: file.uploadedAt })),
      reserved + request.size - limits.totalQuotaBytes,
      retentionMs,
    );
    return {
      error: new StanzaError(
        'resource-constraint',
        `the server's space for uploads is full: it keeps at most ${describeBytes(limits.totalQuotaBytes)} of files (upload.totalQuotaBytes), and files are deleted after ${limits.retentionDays} days`,
      ),
      ...(retryAt !== undefined ? { retryAt } : {}),
    };
  }
  return undefined;
}
