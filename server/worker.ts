// The server worker: what the Electron main process forks with `utilityProcess.fork` (and the
// tests with child_process.fork). Plain Node, never Electron (DESIGN.md): it reads the config
// from the data directory it is given, starts the server, and serves the control API over the
// parent's message channel (control/ipc-transport.ts).
//
//   node dist/server/worker.js --data DIR [--config FILE]
//
// Messages: `request` -> `response` (same id); control events -> `event`; `stop` -> graceful
// stop, exit 0; `ready` with the status once listening (again after an in-place restart);
// `fatal` then exit 1 when the server cannot start.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from './config/load.js';
import { eventNames, type RequestName } from './control/contract.js';
import { parentChannel, parseWorkerRequest, type MessageChannel } from './control/ipc-transport.js';
import { startServer, type HearthServer } from './main.js';
import { createLogger, type Logger } from './util/log.js';

export interface WorkerOptions {
  channel: MessageChannel;
  /** `--data DIR` (Electron's userData) and optionally `--config FILE`. */
  argv: string[];
  exit(code: number): void;
  /** Logs go to stderr by default, at the configured level. */
  log?: Logger;
}

export interface Worker {
  /** Stops the server (as a `stop` message does) and exits 0. */
  stop(): Promise<void>;
}

export function runWorker(options: WorkerOptions): Worker {
  const { channel, exit } = options;
  let log = options.log ?? createLogger('info', 'hearth-worker');
  let server: HearthServer | undefined;
  let unsubscribe: Array<() => void> = [];
  let phase: 'starting' | 'running' | 'restarting' | 'stopping' = 'starting';
  let stopRequested = false;
  let finished = false;
  // Start, restart and stop run one after another, never interleaved.
  let lifecycle: Promise<unknown> = Promise.resolve();

  const finish = async (code: number, message?: { error: string; permanent: boolean }) => {
    if (finished) return;
    finished = true;
    if (message) {
      log.error(message.error);
      await channel.send({ type: 'fatal', ...message });
    }
    exit(code);
  };

  const boot = async (): Promise<void> => {
    let args;
    try {
      args = parseArgs({ args: options.argv, options: { data: { type: 'string' }, config: { type: 'string' } } }).values;
    } catch (error) {
      return finish(1, { error: `the worker was started wrongly: ${(error as Error).message}`, permanent: true });
    }
    const loaded = loadConfig({ file: args.config, dataDir: args.data });
    if (!loaded.ok) return finish(1, { error: `The configuration has problems: ${loaded.errors.join('; ')}`, permanent: true });
    if (!options.log) log = createLogger(loaded.config.log.level, 'hearth');
    try {
      server = await startServer(loaded.config, { log, configFile: loaded.file, restart: () => void restart() });
    } catch (error) {
      return finish(1, { error: `The server could not start: ${(error as Error).message}`, permanent: false });
    }
    if (stopRequested) return;
    const running = server;
    unsubscribe = eventNames.map((name) =>
      running.control.subscribe(name, (payload) => void channel.send({ type: 'event', name, payload } as Parameters<MessageChannel['send']>[0])),
    );
    const status = await running.control.request('status', {});
    if (!status.ok) return finish(1, { error: `The server could not report its status: ${status.error}`, permanent: false });
    phase = 'running';
    await channel.send({ type: 'ready', status: status.value });
  };

  const shutdown = async (): Promise<void> => {
    for (const stop of unsubscribe) stop();
    unsubscribe = [];
    const running = server;
    server = undefined;
    await running?.stop();
  };

  const restart = () => {
    if (phase !== 'running' || stopRequested) return lifecycle;
    phase = 'restarting';
    void channel.send({ type: 'restarting' });
    lifecycle = lifecycle.then(async () => {
      await shutdown();
      if (!stopRequested) await boot();
    });
    return lifecycle;
  };

  const stop = (): Promise<void> => {
    if (!stopRequested) {
      stopRequested = true;
      phase = 'stopping';
      lifecycle = lifecycle.then(async () => {
        try {
          await shutdown();
          await finish(0);
        } catch (error) {
          await finish(1, { error: `The server did not stop cleanly: ${(error as Error).message}`, permanent: false });
        }
      });
    }
    return lifecycle.then(() => undefined);
  };

  channel.onMessage((raw) => {
    const message = parseWorkerRequest(raw);
    if (!message) return log.warn('ignored a malformed message from the main process');
    if (message.type === 'stop') return void stop();
    const { id } = message;
    if (phase !== 'running' || !server) {
      const error =
        phase === 'stopping' ? 'The server is stopping.' : phase === 'restarting' ? 'The server is restarting; try again in a moment.' : 'The server is still starting; try again in a moment.';
      return void channel.send({ type: 'response', id, result: { ok: false, error } });
    }
    server.control
      .request(message.name as RequestName, message.input as never)
      .catch((error: unknown) => {
        log.error(`the control request ${message.name} failed`, error);
        return { ok: false as const, error: 'The server failed to answer; its log has the details.' };
      })
      .then((result) => channel.send({ type: 'response', id, result }));
  });
  channel.onDisconnect(() => void stop());

  lifecycle = lifecycle.then(boot);
  return { stop };
}

// Run when this file is the process's entry: an Electron utility process (it has a parentPort)
// or a Node child started with fork() on this very file. Importing it does nothing.
const isEntry =
  Boolean((process as unknown as { parentPort?: unknown }).parentPort) ||
  (typeof process.send === 'function' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url));

if (isEntry) {
  const channel = parentChannel();
  if (!channel) {
    process.stderr.write('hearth worker: start me with utilityProcess.fork or child_process.fork; `hearth serve` runs the server on its own.\n');
    process.exit(2);
  }
  const worker = runWorker({ channel, argv: process.argv.slice(2), exit: (code) => process.exit(code) });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void worker.stop());
  process.on('uncaughtException', (error) => {
    process.stderr.write(`hearth worker: ${error.stack ?? error.message}\n`);
    void channel.send({ type: 'fatal', error: `The server failed: ${error.message}`, permanent: false }).finally(() => process.exit(1));
  });
}
