// Where a server's resident memory is, from /proc/<pid>/smaps: the pages of its executable and of
// the libraries it maps (shared with every process running them, and the first the kernel drops
// when memory runs short), its malloc heap, and its other anonymous memory (for Hearth, V8's heap
// and the thread arenas). The idle scenario notes it beside each reading, so the table's RSS can be
// read for what holds it (issue 12: "with profiles, what holds them back").
import { readFileSync, readlinkSync } from 'node:fs';

export interface MemoryPart {
  name: string;
  kib: number;
}

const mappingLine = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/;

/** Resident KiB by kind of mapping, largest first; `executable` is the path of the program itself. */
export function summarizeSmaps(smaps: string, executable: string): MemoryPart[] {
  const parts = new Map<string, number>();
  let current: string | undefined;
  for (const line of smaps.split('\n')) {
    const mapping = mappingLine.exec(line);
    if (mapping) {
      current = partOf(mapping[1]!.trim(), executable);
      continue;
    }
    if (current !== undefined && line.startsWith('Rss:')) {
      parts.set(current, (parts.get(current) ?? 0) + Number(/(\d+) kB/.exec(line)?.[1] ?? 0));
    }
  }
  return [...parts].map(([name, kib]) => ({ name, kib })).sort((a, b) => b.kib - a.kib);
}

function partOf(path: string, executable: string): string {
  if (path === executable) return `the executable (${path})`;
  if (path === '[heap]') return 'malloc heap';
  if (path === '' || path.startsWith('[anon')) return 'other anonymous memory';
  if (path.startsWith('[')) return 'stacks and kernel pages';
  if (path.endsWith('.node')) return 'native addons';
  if (/\.so(\.|$)/.test(path)) return 'shared libraries';
  return 'other files';
}

/** The breakdown of a running process, or undefined when /proc cannot tell (another user's process). */
export function readMemoryMap(pid: number): MemoryPart[] | undefined {
  try {
    return summarizeSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8'), readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

/** "40.1 MiB the executable (/usr/bin/node), 31.2 MiB malloc heap, ..." (parts under 0.5 MiB left out). */
export function describeMemoryMap(parts: readonly MemoryPart[]): string {
  return parts
    .filter((part) => part.kib >= 512)
    .map((part) => `${(part.kib / 1024).toFixed(1)} MiB ${part.name}`)
    .join(', ');
}
