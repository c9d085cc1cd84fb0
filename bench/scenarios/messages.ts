// One-to-one messages between online pairs: first as fast as the server goes (each pair keeps a
// window in flight), then at half a fixed rate and at that rate, for latency under the same load
// on every server and for how the CPU cost grows when the rate doubles. Every message must arrive
// exactly once; the server's CPU time per 1,000 messages is the cost.
import { DeliveryLedger } from '../stats.js';
import { closeAll, connectAll, startPhase, type ScenarioContext } from './context.js';
import { emptyResult, type ScenarioResult } from './result.js';
import { closedLoop, fixedRate, type Flow } from './traffic.js';
import type { BenchSession } from '../client/session.js';

export interface MessagesOptions {
  pairs: number;
  /** Messages in the saturated phase, over all pairs. */
  messages: number;
  /** Messages in flight per pair in the saturated phase. */
  window: number;
  /** Messages a second in the fixed-rate phase, over all pairs (0 skips the phase). */
  rate: number;
  rateSeconds: number;
  /** Give up waiting for deliveries after this long without one. */
  stallMs: number;
  /** 2 x pairs accounts: senders first, then receivers. */
  usernames: readonly string[];
  /** Called once the sessions are up, before traffic starts (tests use it to break things). */
  onReady?: (sessions: { senders: BenchSession[]; receivers: BenchSession[] }) => void;
}

export async function messagesScenario(context: ScenarioContext, options: MessagesOptions): Promise<ScenarioResult> {
  const result = emptyResult();
  const sessions = await connectAll(context, options.usernames.slice(0, 2 * options.pairs));
  try {
    const senders = sessions.slice(0, options.pairs);
    const receivers = sessions.slice(options.pairs);
    options.onReady?.({ senders, receivers });

    const base = Math.floor(options.messages / options.pairs);
    const flows: Flow[] = senders.map((sender, i) => ({ sender, receiver: receivers[i]!, quota: base + (i < options.messages % options.pairs ? 1 : 0) }));
    const saturated = new DeliveryLedger();
    const phase = startPhase(context.pid);
    const run = await closedLoop(flows, { window: options.window, prefix: 'a', ledger: saturated, stallMs: options.stallMs });
    const cost = phase.stop();
    result.phases.saturated = cost;
    const latency = saturated.latencies.summary();
    result.figures['messages.rate'] = saturated.delivered / ((run.lastArrival - run.firstSent) / 1000);
    result.figures['messages.p50'] = latency.p50;
    result.figures['messages.p99'] = latency.p99;
    result.figures['messages.cpuPer1000'] = cost.serverCpuSeconds / (saturated.delivered / 1000);
    let lost = saturated.lost + saturated.duplicates;
    describeLosses(result, 'saturated', saturated, run.errors);

    if (options.rate > 0) {
      // Half the rate first, then the rate: CPU per message should not rise when the rate doubles.
      const cpuPer1000: number[] = [];
      for (const [rate, prefix] of [[options.rate / 2, 'h'], [options.rate, 'b']] as const) {
        const steady = new DeliveryLedger();
        const fixedPhase = startPhase(context.pid);
        const fixedRun = await fixedRate(flows, { rate, seconds: options.rateSeconds, prefix, ledger: steady, stallMs: options.stallMs });
        const fixedCost = fixedPhase.stop();
        result.phases[`fixed rate ${rate}/s`] = fixedCost;
        cpuPer1000.push(fixedCost.serverCpuSeconds / (Math.max(1, steady.delivered) / 1000));
        lost += steady.lost + steady.duplicates;
        describeLosses(result, `fixed rate ${rate}/s`, steady, fixedRun.errors);
        if (rate === options.rate) {
          const steadyLatency = steady.latencies.summary();
          result.figures['messages.fixed.p50'] = steadyLatency.p50;
          result.figures['messages.fixed.p99'] = steadyLatency.p99;
        }
      }
      // Without a server process to read (tests), there is no CPU time, and no growth to report.
      if (context.pid !== undefined && cpuPer1000[0]! > 0) result.figures['messages.cpuGrowth'] = cpuPer1000[1]! / cpuPer1000[0]!;
    }
    result.figures['messages.lost'] = lost;
  } finally {
    await closeAll(sessions);
  }
  return result;
}

/** Adds what went missing, doubled or bounced to the notes. */
export function describeLosses(result: ScenarioResult, phase: string, ledger: DeliveryLedger, errors: number): void {
  if (ledger.lost > 0) result.notes.push(`${phase}: ${ledger.lost} of ${ledger.expected} deliveries lost (e.g. ${ledger.lostKeys(5).join(', ')})`);
  if (ledger.duplicates > 0) result.notes.push(`${phase}: ${ledger.duplicates} deliveries arrived twice`);
  if (ledger.unexpected > 0) result.notes.push(`${phase}: ${ledger.unexpected} messages arrived that nobody sent`);
  if (errors > 0) result.notes.push(`${phase}: ${errors} messages bounced with an error`);
}
