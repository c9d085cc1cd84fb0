// The server runs in a worker process (utilityProcess.fork of dist/server/worker.js), so a crash
// in it never takes the tray and window down. This supervisor starts it with the data directory,
// relays control requests and events (server/control/ipc-transport.ts), restarts it after a
// crash as restartPolicy says, and stops it gracefully: a `stop` message, then a kill if it has
// not exited in time.
import { utilityProcess, type UtilityProcess } from 'electron';
import type { ControlResult, RequestName } from '../server/control/contract.js';
import { parseWorkerMessage, type WorkerEvent, type WorkerRequest } from '../server/control/ipc-transport.js';
import { defaultRestartPolicy, restartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import type { ServerState } from './server-state.js';
import { serverV8Flags } from '../server/node-flags.js';

export interface ServerProcessOptions {
  /** dist/server/worker.js */
  workerPath: string;
  /** Electron's userData directory: the server's data directory. */
  dataDir: string;
  policy?: RestartPolicyOptions;
  /** How long a stopping worker may take before it is killed. */
  stopTimeoutMs?: number;
  /** How long a request may wait for its answer. */
  requestTimeoutMs?: number;
  now?: () => number;
}

interface Pending {
  resolve(result: ControlResult<unknown>): void;
  timer: NodeJS.Timeout;
}

export class ServerProcess {
  private child: UtilityProcess | undefined;
  private startedAt = 0;
  private quickCrashes = 0;
  private lastError: { error: string; permanent: boolean } | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Set while a stop is under way; cleared as soon as the worker has exited. */
  private stopping: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly stateListeners = new Set<(state: ServerState) => void>();
  private readonly eventListeners = new Set<(event: WorkerEvent) => void>();
  private current: ServerState = { phase: 'stopped' };
  private readonly now: () => number;

  constructor(private readonly options: ServerProcessOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): ServerState {
    return this.current;
  }

  onState(listener: (state: ServerState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Control events from the server, plus `error` events from the supervisor itself. */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Starts the worker; a start by hand after a failure begins a fresh crash count. */
  start(): void {
    if (this.child || this.stopping) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.quickCrashes = 0;
    this.spawn();
  }

  /** Stops gracefully; resolves when the worker has exited (killed after stopTimeoutMs). */
  stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) {
      if (this.current.phase !== 'failed') this.setState({ phase: 'stopped' });
      return Promise.resolve();
    }
    this.stopping ??= new Promise<void>((resolve) => {
      this.setState({ phase: 'stopping' });
      const killTimer = setTimeout(() => child.kill(), this.options.stopTimeoutMs ?? 10_000);
      child.once('exit', () => {
        clearTimeout(killTimer);
        resolve();
      });
      this.post({ type: 'stop' });
    });
    return this.stopping;
  }

  /** A control request; the answer is always a ControlResult, also when the server is down. */
  request<N extends RequestName>(name: N, input: unknown): Promise<ControlResult<unknown>> {
    if (this.current.phase !== 'running' || !this.child) {
      return Promise.resolve({ ok: false, error: notRunningMessage(this.current) });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: 'The server did not answer in time.' });
      }, this.options.requestTimeoutMs ?? 30_000);
      this.pending.set(id, { resolve, timer });
      this.post({ type: 'request', id, name, input });
    });
  }

  private spawn(): void {
    this.lastError = undefined;
    this.setState({ phase: 'starting' });
    const child = utilityProcess.fork(this.options.workerPath, ['--data', this.options.dataDir], {
      serviceName: 'Hearth server',
      stdio: 'inherit',
      // V8's flags for the server (server/node-flags.ts: a young generation of 1 MiB semi-spaces,
      // not 16). Node's own --v8-pool-size is left out: Electron makes the V8 platform itself.
      execArgv: [...serverV8Flags],
    });
    this.child = child;
    this.startedAt = this.now();
    child.on('message', (message: unknown) => this.onMessage(message));
    child.once('exit', (code: number) => this.onExit(child, code));
  }

  private onMessage(raw: unknown): void {
    const message = parseWorkerMessage(raw);
    if (!message) return;
    switch (message.type) {
      case 'ready':
        this.setState({ phase: 'running', status: message.status });
        break;
      case 'restarting':
        this.setState({ phase: 'starting' });
        break;
      case 'response': {
        const pending = this.pending.get(message.id);
        if (!pending) break;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve(message.result);
        break;
      }
      case 'event':
        this.onWorkerEvent(message);
        break;
      case 'fatal':
        this.lastError = { error: message.error, permanent: message.permanent };
        break;
    }
  }

  private onWorkerEvent(event: WorkerEvent): void {
    const state = this.current;
    if (state.phase === 'running') {
      if (event.name === 'status') this.setState({ phase: 'running', status: event.payload });
      else if (event.name === 'users.changed') this.setState({ phase: 'running', status: { ...state.status, ...event.payload } });
    }
    this.emit(event);
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, error: 'The server stopped before it answered.' });
      this.pending.delete(id);
    }
    if (this.stopping) {
      this.stopping = undefined;
      this.setState({ phase: 'stopped' });
      return;
    }
    const error = this.lastError?.error ?? `The server stopped unexpectedly (exit code ${code}).`;
    const decision = this.lastError?.permanent ? { restart: false as const, quickCrashes: this.quickCrashes + 1 } : restartPolicy(this.quickCrashes, this.now() - this.startedAt, this.options.policy ?? defaultRestartPolicy);
    this.quickCrashes = decision.quickCrashes;
    if (decision.restart) {
      this.setState({ phase: 'restarting', delayMs: decision.delayMs, error });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.spawn();
      }, decision.delayMs);
    } else {
      this.setState({ phase: 'failed', error });
      this.emit({ type: 'event', name: 'error', payload: { message: `Hearth's server could not start: ${error}` } });
    }
  }

  private post(message: WorkerRequest): void {
    this.child?.postMessage(message);
  }

  private setState(state: ServerState): void {
    this.current = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  private emit(event: WorkerEvent): void {
    for (const listener of [...this.eventListeners]) listener(event);
  }
}

function notRunningMessage(state: ServerState): string {
  switch (state.phase) {
    case 'starting':
      return 'The server is still starting; try again in a moment.';
    case 'stopping':
      return 'The server is stopping.';
    case 'restarting':
      return 'The server stopped unexpectedly and is about to start again.';
    case 'failed':
      return `The server could not start: ${state.error}`;
    default:
      return 'The server is stopped. Start it from the tray menu.';
  }
}

export function setupServerProcess(options: ServerProcessOptions): ServerProcess {
  return new ServerProcess(options);
}
