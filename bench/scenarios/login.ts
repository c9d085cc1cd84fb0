// Login rate: connect, STARTTLS, SCRAM-SHA-1, bind, initial presence (confirmed by a ping round
// trip), then a clean logout; `concurrency` clients do this back to back.
import { performance } from 'node:perf_hooks';
import { LatencySamples } from '../stats.js';
import { connect, inParallel, startPhase, type ScenarioContext } from './context.js';
import { emptyResult, type ScenarioResult } from './result.js';

export interface LoginOptions {
  logins: number;
  concurrency: number;
  /** Accounts to log in with, in turn. */
  usernames: readonly string[];
}

export async function loginScenario(context: ScenarioContext, options: LoginOptions): Promise<ScenarioResult> {
  const result = emptyResult();
  const latencies = new LatencySamples();
  let failures = 0;
  const attempts = Array.from({ length: options.logins }, (_, i) => i);
  const phase = startPhase(context.pid);
  await inParallel(attempts, options.concurrency, async (i) => {
    const started = performance.now();
    try {
      // A bare login, as the issue defines it: no stream management here.
      const session = await connect(context, options.usernames[i % options.usernames.length]!, `login${i}`, { streamManagement: false });
      latencies.add(performance.now() - started);
      await session.close();
    } catch (error) {
      failures++;
      if (result.notes.length < 5) result.notes.push(`login ${i} failed: ${(error as Error).message}`);
    }
  });
  const cost = phase.stop();
  const summary = latencies.summary();
  result.phases.logins = cost;
  result.figures['login.rate'] = latencies.count / cost.wallSeconds;
  result.figures['login.p50'] = summary.p50;
  result.figures['login.p99'] = summary.p99;
  result.figures['login.failures'] = failures;
  return result;
}
