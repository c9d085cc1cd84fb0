// The machine a run happened on, written with its results: figures mean little without it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { hearthVersion } from '../server/util/version.js';
import { prosodyVersion } from '../test/support/prosody.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  hearth: string;
  prosody: string;
  /** The 1-minute load average when the run started: anything else running skews the figures. */
  loadAtStart: number;
}

export function describeMachine(): Machine {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${distribution()}, Linux ${release()}`,
    node: process.version,
    hearth: `${hearthVersion}${gitRevision()}`,
    prosody: prosodyVersion() ?? 'not installed',
    loadAtStart: loadAverage(),
  };
}

function distribution(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * " (abc1234)", with "+changes" when the working tree differs from that commit; "" outside git.
 * BENCH_HEARTH_REVISION says it instead, for a run from an export of one commit (git archive).
 */
function gitRevision(): string {
  if (process.env.BENCH_HEARTH_REVISION) return ` (${process.env.BENCH_HEARTH_REVISION})`;
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return '';
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  return ` (${head.stdout.trim()}${status.stdout?.trim() ? '+changes' : ''})`;
}

export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}
