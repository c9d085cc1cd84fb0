// What a server process costs, as the kernel accounts it (proc(5)): resident memory from
// /proc/<pid>/status and CPU time from /proc/<pid>/stat. Read from outside, so it measures
// Hearth and Prosody the same way, and the load generator's own work never counts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** VmRSS: resident set size in KiB. */
  rssKiB: number;
  /**
   * RssAnon: the part of the RSS that is the process's own (heap, stacks, malloc), in KiB. The
   * rest is mostly pages of the executable and libraries, shared with every process that runs
   * them and the first thing the kernel drops when memory runs short.
   */
  privateKiB: number;
  /** VmHWM: the highest RSS so far, in KiB. */
  peakRssKiB: number;
  /** utime + stime in seconds (user and system CPU time of all its threads). */
  cpuSeconds: number;
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime: 100 on Linux almost everywhere, but asked rather than assumed. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const value = Number(answer.stdout?.trim());
    clockTicks = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

export function readProcessUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKiB: kib('VmRSS'), privateKiB: kib('RssAnon'), peakRssKiB: kib('VmHWM'), cpuSeconds: parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond()) };
}

/**
 * utime and stime are fields 14 and 15 of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may itself contain spaces and parentheses, so fields are counted after the last ')'.
 */
export function parseCpuSeconds(stat: string, ticks: number): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** The load generator's own CPU use (this process), to show it is not the bottleneck. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The soft limit on open files of this process (from /proc/self/limits), or undefined if unknown. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return undefined;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return undefined;
  }
}
