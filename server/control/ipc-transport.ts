// The control API over a message channel: how the Electron main process talks to the server
// worker (DESIGN.md). The same messages travel over Electron's `process.parentPort` (a utility
// process) and Node's `process.send` (child_process.fork, used by the tests), so the worker
// never needs to know which one it has. The main process imports only the types from here.
import type { ControlEvents, ControlResult, EventName, Status } from './contract.js';

/** From the main process to the worker. */
export type WorkerRequest =
  /** A control API request (contract.ts); answered by a `response` with the same id. */
  | { type: 'request'; id: number; name: string; input: unknown }
  /** Stop gracefully (close listeners, sign clients out, close the database), then exit 0. */
  | { type: 'stop' };

/** A control API event, forwarded as the server emits it. */
export type WorkerEvent = { [E in EventName]: { type: 'event'; name: E; payload: ControlEvents[E] } }[EventName];

/** From the worker to the main process. */
export type WorkerMessage =
  /** The server is listening; sent again after every in-place restart. */
  | { type: 'ready'; status: Status }
  | { type: 'response'; id: number; result: ControlResult<unknown> }
  | WorkerEvent
  /** `server.restart` was asked for: the server stops and starts again with the saved settings. */
  | { type: 'restarting' }
  /**
   * The server cannot run; the worker exits with code 1 right after. `permanent` means trying
   * again cannot help (the configuration is wrong), so the supervisor should not retry.
   */
  | { type: 'fatal'; error: string; permanent: boolean };

export interface MessageChannel {
  /** Resolves once the message is handed over (so the worker may exit after a `fatal`). */
  send(message: WorkerMessage): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
  /** The parent went away (Node's IPC only: Electron ends its utility processes itself). */
  onDisconnect(listener: () => void): void;
}

/** Electron's `process.parentPort` in a utility process, as far as the worker uses it. */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** The channel to whoever started this process, or undefined when it was started on its own. */
export function parentChannel(proc: NodeJS.Process = process): MessageChannel | undefined {
  const parentPort = (proc as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      send(message) {
        parentPort.postMessage(message);
        // postMessage has no completion callback: give the message a turn to leave.
        return new Promise((resolve) => setTimeout(resolve, 20));
      },
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
      onDisconnect: () => {},
    };
  }
  if (typeof proc.send === 'function' && proc.connected) {
    return {
      send: (message) =>
        new Promise((resolve) => {
          if (!proc.connected) return resolve();
          // An error here means the parent is gone; the disconnect listener deals with that.
          proc.send!(message, undefined, {}, () => resolve());
        }),
      onMessage: (listener) => proc.on('message', listener),
      onDisconnect: (listener) => proc.once('disconnect', listener),
    };
  }
  return undefined;
}

/** A message from the main process, checked field by field, or undefined when it is malformed. */
export function parseWorkerRequest(message: unknown): WorkerRequest | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  if (m.type === 'stop') return { type: 'stop' };
  if (m.type === 'request' && Number.isSafeInteger(m.id) && typeof m.name === 'string') {
    return { type: 'request', id: m.id as number, name: m.name, input: m.input ?? {} };
  }
  return undefined;
}

/** A message from the worker, checked just enough to dispatch on (the main process trusts its own worker). */
export function parseWorkerMessage(message: unknown): WorkerMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return typeof m.status === 'object' && m.status !== null ? (m as WorkerMessage) : undefined;
    case 'response':
      return Number.isSafeInteger(m.id) && typeof m.result === 'object' && m.result !== null ? (m as WorkerMessage) : undefined;
    case 'event':
      return typeof m.name === 'string' ? (m as WorkerMessage) : undefined;
    case 'restarting':
      return { type: 'restarting' };
    case 'fatal':
      return { type: 'fatal', error: String(m.error ?? 'the server failed'), permanent: m.permanent === true };
    default:
      return undefined;
  }
}
