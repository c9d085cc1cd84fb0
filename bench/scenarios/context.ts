// What every scenario is given, and the helpers they share: opening many sessions at once and
// measuring a phase (wall time, the server's CPU time, the load generator's own CPU time).
import { performance } from 'node:perf_hooks';
import { openSession, type BenchSession, type SessionOptions } from '../client/session.js';
import { ownCpuSeconds, readProcessUsage } from '../process-usage.js';

export interface ScenarioContext {
  /** Where the server listens and how to reach it (see BenchServer). */
  host: string;
  port: number;
  domain: string;
  mucDomain: string;
  /** The server's process id; undefined when it runs in this process (tests), then CPU is not measured. */
  pid: number | undefined;
  ca: Buffer;
  password: string;
  /** Source addresses to spread connections over (127.0.0.x), so ephemeral ports never run out. */
  localAddresses: string[];
  /** Sessions enable XEP-0198 like mobile clients do (the login scenario measures bare logins). */
  streamManagement: boolean;
  /** Progress lines for the operator (stderr). */
  progress(line: string): void;
}

let nextSource = 0;

export function sessionOptions(context: ScenarioContext, username: string, resource: string, more: Partial<SessionOptions> = {}): SessionOptions {
  const localAddress = context.localAddresses[nextSource++ % context.localAddresses.length];
  return {
    host: context.host,
    port: context.port,
    domain: context.domain,
    ca: context.ca,
    username,
    password: context.password,
    resource,
    localAddress,
    streamManagement: context.streamManagement,
    ...more,
  };
}

export function connect(context: ScenarioContext, username: string, resource: string, more: Partial<SessionOptions> = {}): Promise<BenchSession> {
  return openSession(sessionOptions(context, username, resource, more));
}

/** Runs `task` for every item, at most `concurrency` at a time; results keep the items' order. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** Logs in every user (resource "bench"), 50 at a time so the server is not flooded with handshakes. */
export function connectAll(context: ScenarioContext, usernames: readonly string[], concurrency = 50): Promise<BenchSession[]> {
  return inParallel(usernames, concurrency, (username) => connect(context, username, 'bench'));
}

export async function closeAll(sessions: readonly BenchSession[], concurrency = 200): Promise<void> {
  await inParallel(sessions, concurrency, (session) => session.close());
}

export interface PhaseCost {
  wallSeconds: number;
  /** The server's CPU time during the phase (NaN without a pid). */
  serverCpuSeconds: number;
  /** This process's CPU time during the phase. */
  generatorCpuSeconds: number;
}

/** A running measurement: start() before the phase, stop() after it. */
export function startPhase(pid: number | undefined): { stop(): PhaseCost } {
  const wall = performance.now();
  const server = pid === undefined ? Number.NaN : readProcessUsage(pid).cpuSeconds;
  const generator = ownCpuSeconds();
  return {
    stop: () => ({
      wallSeconds: (performance.now() - wall) / 1000,
      serverCpuSeconds: pid === undefined ? Number.NaN : readProcessUsage(pid).cpuSeconds - server,
      generatorCpuSeconds: ownCpuSeconds() - generator,
    }),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The next stanza on `session` for which `match` is true (others go to its listener as usual). */
export function nextStanza(session: BenchSession, match: (xml: string, name: string) => boolean, ms = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const previous = session.onStanza;
    const timer = setTimeout(() => {
      session.onStanza = previous;
      reject(new Error(`timed out waiting for a stanza on ${session.jid}`));
    }, ms);
    session.onStanza = (xml, name) => {
      if (match(xml, name)) {
        clearTimeout(timer);
        session.onStanza = previous;
        resolve(xml);
      } else {
        previous?.(xml, name);
      }
    };
  });
}
