// Idle memory: the server's RSS with 0, 1,000 and 5,000 (by default) authenticated sessions that
// sent initial presence and then do nothing, and what each extra session costs.
import { describeMemoryMap, readMemoryMap } from '../memory-map.js';
import { readProcessUsage } from '../process-usage.js';
import { closeAll, connectAll, sleep, startPhase, type ScenarioContext } from './context.js';
import { emptyResult, type ScenarioResult } from './result.js';
import type { BenchSession } from '../client/session.js';

export interface IdleOptions {
  /** Session counts to measure at, ascending (0 is the server alone). */
  sizes: readonly number[];
  usernames: readonly string[];
  /** Pause before each reading, so the server has finished with the logins. */
  settleMs: number;
}

export async function idleScenario(context: ScenarioContext, options: IdleOptions): Promise<ScenarioResult> {
  const result = emptyResult();
  const sizes = [...options.sizes].sort((a, b) => a - b);
  if (sizes.at(-1)! > options.usernames.length) throw new Error(`${sizes.at(-1)} sessions need as many accounts, there are ${options.usernames.length}`);
  const sessions: BenchSession[] = [];
  const readings: Array<{ sessions: number; rssKiB: number }> = [];
  try {
    for (const size of sizes) {
      const phase = startPhase(context.pid);
      sessions.push(...(await connectAll(context, options.usernames.slice(sessions.length, size))));
      result.phases[`connect to ${size}`] = phase.stop();
      await sleep(options.settleMs);
      const lost = sessions.filter((s) => !s.open).length;
      if (lost > 0) result.notes.push(`${lost} idle sessions were closed by the server before the reading at ${size}`);
      const usage = context.pid === undefined ? undefined : readProcessUsage(context.pid);
      const rssKiB = usage?.rssKiB ?? Number.NaN;
      readings.push({ sessions: size, rssKiB });
      result.figures[`idle.rss.${size}`] = rssKiB / 1024;
      result.figures[`idle.private.${size}`] = (usage?.privateKiB ?? Number.NaN) / 1024;
      const parts = context.pid === undefined ? undefined : readMemoryMap(context.pid);
      if (parts) result.notes.push(`resident at ${size.toLocaleString('en')} sessions: ${describeMemoryMap(parts)}`);
      context.progress(`  ${size} idle sessions: RSS ${(rssKiB / 1024).toFixed(1)} MiB`);
    }
  } finally {
    await closeAll(sessions);
  }
  result.figures['idle.kibPerSession'] = kibPerSession(readings);
  const growth = memoryGrowth(readings);
  if (Number.isFinite(growth)) result.figures['idle.growth'] = growth;
  return result;
}

/**
 * Whether memory grows at most linearly with the sessions (issue 12): the RSS above the
 * server alone, per session, at the largest count divided by the same at the next count. At most
 * 1 is linear (or better: one-time costs spread over more sessions); above 1, each session costs
 * more the more there are. NaN without a reading at 0 and two counts above it.
 */
export function memoryGrowth(readings: ReadonlyArray<{ sessions: number; rssKiB: number }>): number {
  const alone = readings.find((r) => r.sessions === 0);
  const loaded = readings.filter((r) => r.sessions > 0);
  if (!alone || loaded.length < 2) return Number.NaN;
  const [next, largest] = loaded.slice(-2) as [{ sessions: number; rssKiB: number }, { sessions: number; rssKiB: number }];
  const perSession = (r: { sessions: number; rssKiB: number }) => (r.rssKiB - alone.rssKiB) / r.sessions;
  return perSession(largest) / perSession(next);
}

/**
 * The marginal memory of one more session: the RSS slope between the two largest counts, so
 * what the server allocates once (caches, JIT, the first buffers) does not count per session.
 */
export function kibPerSession(readings: ReadonlyArray<{ sessions: number; rssKiB: number }>): number {
  if (readings.length < 2) return Number.NaN;
  const [smaller, larger] = readings.slice(-2) as [{ sessions: number; rssKiB: number }, { sessions: number; rssKiB: number }];
  if (larger.sessions === smaller.sessions) return Number.NaN;
  return (larger.rssKiB - smaller.rssKiB) / (larger.sessions - smaller.sessions);
}
