// The onion service: Hearth's own tor process, started and stopped at run time from the switch
// (tor.enabled). It writes the torrc (torrc.ts), keeps tor running (supervisor.ts), talks to it
// over the control port (control-port.ts) for its bootstrap progress and SOCKS port, and knows
// the onion address (onion-keys.ts). Everything the UI shows comes from status(); every change
// is announced to onChange listeners.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { TorState, TorStatus } from '../../control/contract.js';
import type { Logger } from '../../util/log.js';
import { findExecutable, missingTorMessage } from './binary.js';
import { parseBootstrapPhase, type BootstrapPhase } from './bootstrap.js';
import { TorControl } from './control-port.js';
import { federationRoute, type FederationPolicy, type FederationRoute } from './federation.js';
import { prepareTorDirectories, readKeyBackup, readOnionAddress, removeOnionKeys, type KeyBackup } from './onion-keys.js';
import { ProcessSupervisor, type Backoff, type SupervisorEvent } from './supervisor.js';
import { buildTorrc, torPaths, type HiddenServicePort, type TorPaths } from './torrc.js';

export interface TorSettings {
  enabled: boolean;
  binary: string;
  advertise: boolean;
  federation: FederationPolicy;
}

export interface TorServiceOptions {
  dataDir: string;
  settings: TorSettings;
  /** The onion ports and the local listeners they lead to, asked at every start of tor. */
  ports(): HiddenServicePort[];
  log: Logger;
  backoff?: Partial<Backoff>;
  /** How long tor may take to open its control port and make the onion key (default 20 s). */
  readyTimeoutMs?: number;
  /** How long a stopping tor may take before it is killed (default 10 s). */
  stopTimeoutMs?: number;
  /** For finding tor.binary on PATH (tests). */
  env?: NodeJS.ProcessEnv;
}

export type SetEnabledResult = { ok: true } | { ok: false; error: string };

const socksHost = '127.0.0.1';

export class TorService {
  readonly paths: TorPaths;
  private settings: TorSettings;
  private supervisor: ProcessSupervisor | undefined;
  private control: TorControl | undefined;
  private state: TorState = 'off';
  private bootstrap: BootstrapPhase | undefined;
  private onion: string | undefined;
  private socksPort: number | undefined;
  private lastError: string | undefined;
  /** tor's latest warning and error lines: the recent ones are said with an unexpected exit. */
  private problems: Array<{ text: string; at: number }> = [];
  /** Why Hearth killed its tor (it would not answer), said instead of "stopped unexpectedly". */
  private killReason: string | undefined;
  private restarts = 0;
  private crashed = false;
  private nextRestartAt: number | undefined;
  /** Bumped at every start of the process and at every stop: older attachments give up. */
  private generation = 0;
  private attached: Promise<void> | undefined;
  /** Start, stop and rotate run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(status: TorStatus) => void>();
  private closed = false;

  constructor(private readonly options: TorServiceOptions) {
    this.paths = torPaths(options.dataDir);
    this.settings = { ...options.settings };
    this.onion = readOnionAddress(this.paths);
  }

  status(): TorStatus {
    return {
      enabled: this.settings.enabled,
      state: this.state,
      running: this.supervisor?.running ?? false,
      ...(this.bootstrap ? { bootstrap: { ...this.bootstrap } } : {}),
      bootstrapped: this.state === 'running' && this.bootstrap?.progress === 100,
      ...(this.onion ? { onionAddress: this.onion } : {}),
      ...(this.socksPort !== undefined && this.state === 'running' ? { socksPort: this.socksPort } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      restarts: this.restarts,
      ...(this.nextRestartAt !== undefined ? { nextRestartAt: this.nextRestartAt } : {}),
      advertise: this.settings.advertise,
      federation: this.settings.federation,
    };
  }

  onChange(listener: (status: TorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The tor process's id while it runs. */
  get pid(): number | undefined {
    return this.supervisor?.pid;
  }

  /** The onion address, once tor has made the key (also while Tor is off: it stays the same). */
  get onionAddress(): string | undefined {
    return this.onion;
  }

  /** Whether the onion address should be published now: Tor is on, the admin chose to, and it is known. */
  get advertisedAddress(): string | undefined {
    return this.settings.enabled && this.settings.advertise && this.state !== 'off' && this.state !== 'failed' ? this.onion : undefined;
  }

  /** Tor's SOCKS5 endpoint while it runs: federation dials *.onion servers through it. */
  get socksEndpoint(): { host: string; port: number } | undefined {
    return this.state === 'running' && this.socksPort !== undefined ? { host: socksHost, port: this.socksPort } : undefined;
  }

  get federationPolicy(): FederationPolicy {
    return this.settings.federation;
  }

  /** How a server-to-server connection to `domain` should go under tor.federation (federation.ts). */
  federationRoute(domain: string): FederationRoute {
    return federationRoute(domain, this.settings.federation, this.socksEndpoint);
  }

  /** Starts tor when tor.enabled says so (at server start). Never throws: problems go into the status. */
  start(): Promise<void> {
    return this.serialize(async () => {
      if (this.settings.enabled && !this.supervisor) await this.launch();
    }).catch((error: unknown) => this.fail(`tor could not be started: ${(error as Error).message}`));
  }

  /** The switch: starts or stops tor now. Refused (and nothing changes) when tor is not installed. */
  setEnabled(enabled: boolean): Promise<SetEnabledResult> {
    return this.serialize(async (): Promise<SetEnabledResult> => {
      if (!enabled) {
        this.settings.enabled = false;
        this.lastError = undefined;
        await this.halt();
        return { ok: true };
      }
      if (!findExecutable(this.settings.binary, this.options.env)) {
        const error = missingTorMessage(this.settings.binary);
        this.lastError = error;
        this.emit();
        return { ok: false, error };
      }
      this.settings.enabled = true;
      if (!this.supervisor) await this.launch();
      return { ok: true };
    });
  }

  setOptions(change: { advertise?: boolean | undefined; federation?: FederationPolicy | undefined }): void {
    if (change.advertise !== undefined) this.settings.advertise = change.advertise;
    if (change.federation !== undefined) this.settings.federation = change.federation;
    this.emit();
  }

  /** A new onion key and address: tor stops, the key goes, and tor (when on) starts with a new one. */
  rotate(): Promise<{ previousOnionAddress?: string }> {
    return this.serialize(async () => {
      const previous = readOnionAddress(this.paths);
      const wasRunning = this.supervisor !== undefined;
      if (wasRunning) await this.halt();
      removeOnionKeys(this.paths);
      this.onion = undefined;
      this.options.log.info('the onion key was replaced: the onion service gets a new address');
      if (this.settings.enabled) await this.launch();
      else this.emit();
      return previous ? { previousOnionAddress: previous } : {};
    });
  }

  /** The secret key file of the onion service, or undefined before tor has made one. */
  backupKey(): KeyBackup | undefined {
    return readKeyBackup(this.paths);
  }

  /** Stops tor for good (the server is stopping); the saved switch is left as it is. */
  close(): Promise<void> {
    this.closed = true;
    return this.serialize(() => this.halt()).finally(() => this.listeners.clear());
  }

  private serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Writes the torrc and starts tor; resolves once its control port answers (or that failed). */
  private async launch(): Promise<void> {
    if (this.closed) return;
    const binary = findExecutable(this.settings.binary, this.options.env);
    if (!binary) return this.fail(missingTorMessage(this.settings.binary));
    const { paths } = this;
    try {
      prepareTorDirectories(paths);
      writeFileSync(paths.torrc, buildTorrc({ paths, ports: this.options.ports(), owningPid: process.pid }), { mode: 0o600 });
      writeFileSync(paths.defaultsTorrc, '', { mode: 0o600 });
    } catch (error) {
      return this.fail(`Hearth could not prepare tor's files in ${paths.root}: ${(error as Error).message}`);
    }
    const supervisor = new ProcessSupervisor({
      command: binary,
      args: ['-f', paths.torrc, '--defaults-torrc', paths.defaultsTorrc],
      cwd: paths.root,
      backoff: this.options.backoff,
      stopTimeoutMs: this.options.stopTimeoutMs,
      onLine: (line) => this.onTorLine(line),
      // Files a killed tor left would name a port nobody listens on, and an old cookie.
      beforeSpawn: () => {
        rmSync(paths.controlPortFile, { force: true });
        rmSync(paths.cookieFile, { force: true });
      },
    });
    supervisor.on((event) => this.onSupervisorEvent(supervisor, event));
    this.supervisor = supervisor;
    this.restarts = 0;
    this.crashed = false;
    this.lastError = undefined;
    this.problems = [];
    this.bootstrap = undefined;
    this.set('starting');
    try {
      await supervisor.start();
    } catch {
      return; // spawn-failed has said why
    }
    await this.attached;
  }

  private onSupervisorEvent(supervisor: ProcessSupervisor, event: SupervisorEvent): void {
    if (this.supervisor !== supervisor) return;
    switch (event.type) {
      case 'spawned': {
        const generation = ++this.generation;
        if (this.crashed) this.restarts++;
        this.nextRestartAt = undefined;
        this.options.log.info(`tor started${this.crashed ? ' again' : ''}`);
        this.set('starting');
        this.attached = this.attach(generation);
        break;
      }
      case 'exited':
        if (event.expected) break;
        this.generation++;
        this.crashed = true;
        this.dropControl();
        this.bootstrap = undefined;
        this.lastError =
          this.killReason ?? `tor stopped unexpectedly (${event.signal ? `signal ${event.signal}` : `exit code ${event.code}`})${this.recentProblems()}`;
        if (!this.killReason) this.options.log.warn(this.lastError);
        this.killReason = undefined;
        break;
      case 'restart-scheduled':
        this.nextRestartAt = Date.now() + event.delayMs;
        this.set('restarting');
        break;
      case 'spawn-failed':
        this.supervisor = undefined;
        this.fail(event.error.code === 'ENOENT' ? missingTorMessage(this.settings.binary) : `tor could not be started: ${event.error.code ?? event.error.message}`);
        break;
    }
  }

  /** Connects to the control port of the tor started as `generation`, and follows its bootstrap. */
  private async attach(generation: number): Promise<void> {
    const current = () => generation === this.generation && !this.closed;
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 20_000);
    let control: TorControl | undefined;
    try {
      const port = await waitFor(() => readControlPort(this.paths.controlPortFile), deadline, current);
      const cookie = await waitFor(() => readCookie(this.paths.cookieFile), deadline, current);
      control = await TorControl.connect(port);
      if (!current()) return control.close();
      await control.authenticate(cookie);
      // From here on tor ends with this connection: a Hearth that dies leaves no tor behind.
      await control.takeOwnership();
      control.onEvent((reply) => {
        const phase = parseBootstrapPhase(reply.lines[0]?.text ?? '');
        if (!phase || this.control !== control) return;
        const reached = phase.progress === 100 && this.bootstrap?.progress !== 100;
        this.bootstrap = phase;
        if (reached) this.options.log.info('tor is connected to the Tor network: the onion service can be reached');
        this.emit();
      });
      control.onClose(() => {
        if (this.control === control) this.control = undefined;
      });
      await control.setEvents(['STATUS_CLIENT']);
      const info = await control.getInfo('status/bootstrap-phase', 'net/listeners/socks');
      const onion = await waitFor(() => readOnionAddress(this.paths), deadline, current);
      if (!current()) return control.close();
      this.control = control;
      this.bootstrap = parseBootstrapPhase(info['status/bootstrap-phase'] ?? '') ?? this.bootstrap;
      this.socksPort = parseListenerPort(info['net/listeners/socks'] ?? '');
      if (onion !== this.onion) this.options.log.info(`the onion address is ${onion}`);
      this.onion = onion;
      this.set('running');
    } catch (error) {
      control?.close();
      if (!current()) return;
      // Not reachable over its control port: treat it as a crash, so it is started again after a pause.
      this.killReason = `tor started, but Hearth could not talk to it: ${(error as Error).message}`;
      this.options.log.warn(this.killReason);
      this.supervisor?.kill();
    }
  }

  /** Stops the process (control port SHUTDOWN, else SIGTERM, SIGKILL after the timeout). */
  private async halt(): Promise<void> {
    const supervisor = this.supervisor;
    const control = this.control;
    this.generation++;
    if (supervisor) {
      this.set('stopping');
      await supervisor.stop(control && !control.closed ? () => control.signal('SHUTDOWN') : undefined);
      this.options.log.info('tor stopped');
    }
    this.dropControl();
    this.supervisor = undefined;
    this.bootstrap = undefined;
    this.nextRestartAt = undefined;
    this.set('off');
  }

  private dropControl(): void {
    this.control?.close();
    this.control = undefined;
    this.socksPort = undefined;
  }

  private fail(error: string): void {
    this.lastError = error;
    this.options.log.error(error);
    this.set('failed');
  }

  private onTorLine(line: string): void {
    const match = /\[(debug|info|notice|warn|err)\]\s*(.*)$/.exec(line);
    const level = match?.[1] ?? 'notice';
    const text = scrubAddresses(match?.[2] ?? line).slice(0, 500);
    // Warnings that never explain an exit are left out of it.
    const harmless = /running Tor as root/.test(text);
    if ((level === 'warn' || level === 'err') && !harmless) this.problems = [...this.problems.slice(-2), { text, at: Date.now() }];
    if (level === 'err') this.options.log.error(`tor: ${text}`);
    else this.options.log.debug(`tor: ${text}`);
  }

  /** What tor complained about in the seconds before it exited (a bad setting, a full disk). */
  private recentProblems(): string {
    const recent = this.problems.filter((problem) => Date.now() - problem.at < 3000).map((problem) => problem.text);
    this.problems = [];
    return recent.length > 0 ? `: ${recent.join(' ')}` : '';
  }

  private set(state: TorState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    const status = this.status();
    for (const listener of [...this.listeners]) {
      try {
        listener(status);
      } catch {
        // one broken listener must not keep the others from hearing
      }
    }
  }
}

/** The port in tor's ControlPortWriteToFile file ("PORT=127.0.0.1:9051"). */
export function readControlPort(file: string): number | undefined {
  try {
    const match = /^PORT=[^\s]*:(\d+)\s*$/m.exec(readFileSync(file, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The control cookie: 32 bytes (control-spec §3.5), or undefined while tor has not written it. */
function readCookie(file: string): Buffer | undefined {
  try {
    const cookie = readFileSync(file);
    return cookie.length === 32 ? cookie : undefined;
  } catch {
    return undefined;
  }
}

/** The first port in a GETINFO net/listeners/* value: "127.0.0.1:9050" (quoted, space-separated). */
export function parseListenerPort(value: string): number | undefined {
  const match = /:(\d+)"?(?:\s|$)/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** IP addresses out of tor's messages: Hearth's logs and status carry none (DESIGN.md). */
export function scrubAddresses(text: string): string {
  return text
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '[address]')
    .replace(/\[?(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d+)?/gi, '[address]');
}

/** Polls `read` every 50 ms until it gives a value; rejects at the deadline or when `current` turns false. */
async function waitFor<T>(read: () => T | undefined, deadline: number, current: () => boolean): Promise<T> {
  for (;;) {
    if (!current()) throw new Error('tor was stopped');
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('tor did not get ready in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
