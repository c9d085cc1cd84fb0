// XEP-0045 §7.2.14-7.2.15: the discussion history a device gets when it enters a room, limited by
// what it asks for (<history maxchars maxstanzas seconds since/>) and by the service's default.
import type { Element } from 'ltx';
import { parseDateTime } from '../mam.js';

export interface HistoryRequest {
  maxStanzas?: number;
  /** Characters of the complete stanzas (§7.2.14). */
  maxChars?: number;
  /** Only messages from this time on (ms); from `seconds` or `since`, whichever is later. */
  since?: number;
}

/** The <history/> of a join presence's <x/>; attributes that are not valid are ignored (§7.2.14 lets the service choose). */
export function parseHistoryRequest(x: Element | undefined, now: number): HistoryRequest {
  const history = x?.getChild('history');
  const request: HistoryRequest = {};
  if (!history) return request;
  const count = (name: string) => {
    const text = String(history.attrs[name] ?? '').trim();
    return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
  };
  request.maxStanzas = count('maxstanzas');
  request.maxChars = count('maxchars');
  const seconds = count('seconds');
  const since = typeof history.attrs.since === 'string' ? parseDateTime(history.attrs.since.trim()) : undefined;
  const bounds = [seconds === undefined ? undefined : now - seconds * 1000, since].filter((t): t is number => t !== undefined);
  if (bounds.length > 0) request.since = Math.max(...bounds);
  return request;
}

export interface HistoryEntry {
  timestamp: number;
  /** Length of the stanza as it is kept, for maxchars. */
  size: number;
}

/**
 * §7.2.14: "the smallest amount of traffic that meets any combination of the above criteria,
 * taking into account service-level and room-level defaults", and only whole stanzas: the newest
 * entries that fit every limit, in chronological order. `entries` are chronological.
 */
export function selectHistory<T extends HistoryEntry>(entries: readonly T[], request: HistoryRequest, serviceMax: number): T[] {
  const maxStanzas = Math.min(request.maxStanzas ?? serviceMax, serviceMax);
  const selected: T[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0 && selected.length < maxStanzas; i--) {
    const entry = entries[i]!;
    if (request.since !== undefined && entry.timestamp < request.since) break;
    if (request.maxChars !== undefined && chars + entry.size > request.maxChars) break;
    chars += entry.size;
    selected.push(entry);
  }
  return selected.reverse();
}

/** The recent messages of a room without an archive, kept in memory only. */
export class RecentMessages<T> {
  private readonly entries: T[] = [];

  constructor(private readonly capacity: number) {}

  add(entry: T): void {
    if (this.capacity === 0) return;
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  all(): readonly T[] {
    return this.entries;
  }

  find(match: (entry: T) => boolean): T | undefined {
    return this.entries.find(match);
  }
}
