// Keeps one child process running: starts it, restarts it after a crash with a growing pause
// (1 s, 2 s, 4 s ... up to a minute; a run that lasted a while starts the count afresh), and
// stops it cleanly: a graceful request first, SIGTERM if that is not possible, SIGKILL if the
// process is still there after the timeout. Every line it prints goes to `onLine`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Backoff {
  /** Pause before the first restart. */
  initialMs: number;
  /** Longest pause between restarts. */
  maxMs: number;
  /** A run at least this long was not a crash loop: the next crash waits initialMs again. */
  stableAfterMs: number;
}

export const defaultBackoff: Backoff = { initialMs: 1000, maxMs: 60_000, stableAfterMs: 60_000 };

/** The pause before restart number `crashes` (1 for the first crash in a row). */
export function restartDelay(crashes: number, backoff: Backoff = defaultBackoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, crashes - 1));
}

export type SupervisorEvent =
  | { type: 'spawned'; pid: number }
  /** The process ended; `expected` when stop() asked for it. */
  | { type: 'exited'; code: number | null; signal: NodeJS.Signals | null; expected: boolean }
  | { type: 'restart-scheduled'; delayMs: number; crashes: number }
  /** The program could not be started at all (missing, not executable): no more restarts. */
  | { type: 'spawn-failed'; error: NodeJS.ErrnoException };

export interface SupervisorOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<Backoff>;
  /** How long a stopping process may take before it is killed (default 10 s). */
  stopTimeoutMs?: number;
  /** Each line of the process's standard output and error. */
  onLine?(line: string): void;
  /** Runs before every start, the restarts included (e.g. to remove files a killed process left). */
  beforeSpawn?(): void;
  now?(): number;
}

export class ProcessSupervisor {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private startedAt = 0;
  private crashCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private readonly backoff: Backoff;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = { ...defaultBackoff, ...options.backoff };
    this.now = options.now ?? Date.now;
  }

  /** The running process's id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Crashes in a row (reset by a stable run and by start()). */
  get crashes(): number {
    return this.crashCount;
  }

  /** A restart is waiting for its pause to end. */
  get restartPending(): boolean {
    return this.restartTimer !== undefined;
  }

  on(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the process; resolves with its pid once it runs, rejects when it cannot be started. */
  start(): Promise<number> {
    if (this.child?.pid !== undefined) return Promise.resolve(this.child.pid);
    this.stopping = false;
    this.crashCount = 0;
    this.clearRestart();
    return this.spawnChild();
  }

  /**
   * Stops the process and any restart to come. `graceful` asks it to exit (e.g. over tor's
   * control port); without one, or when it fails, the process gets SIGTERM. Resolves once it is gone.
   */
  async stop(graceful?: () => Promise<void>): Promise<void> {
    this.stopping = true;
    this.clearRestart();
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return;
    let asked = false;
    if (graceful) {
      try {
        await Promise.race([graceful(), exited, sleep(2000).then(() => Promise.reject(new Error('no answer')))]);
        asked = true;
      } catch {
        // fall back to the signal
      }
    }
    if (!asked && this.child === child) child.kill('SIGTERM');
    const timeout = setTimeout(() => {
      if (this.child === child) child.kill('SIGKILL');
    }, this.options.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timeout);
  }

  /** Kills the process as if it had crashed: it is started again after the usual pause. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  private spawnChild(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.options.beforeSpawn?.();
      const child = spawn(this.options.command, this.options.args, {
        cwd: this.options.cwd,
        env: this.options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      let spawned = false;
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (spawned) return; // a kill() that failed: 'exit' still follows or already came
        if (this.child === child) this.child = undefined;
        this.emit({ type: 'spawn-failed', error });
        reject(error);
      });
      this.child = child;
      this.exited = new Promise<void>((done) => child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        this.onExit(code, signal);
        done();
      }));
      child.once('spawn', () => {
        spawned = true;
        this.startedAt = this.now();
        this.emit({ type: 'spawned', pid: child.pid! });
        resolve(child.pid!);
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.options.onLine?.(line));
      }
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.stopping;
    this.emit({ type: 'exited', code, signal, expected });
    if (expected) return;
    this.crashCount = this.now() - this.startedAt >= this.backoff.stableAfterMs ? 1 : this.crashCount + 1;
    const delayMs = restartDelay(this.crashCount, this.backoff);
    this.emit({ type: 'restart-scheduled', delayMs, crashes: this.crashCount });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      // A failure to start again is reported as spawn-failed; nothing more to do here.
      this.spawnChild().catch(() => {});
    }, delayMs);
    this.restartTimer.unref();
  }

  private clearRestart(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private emit(event: SupervisorEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
