// What the desktop app knows about its server worker: the supervisor (server-process.ts) keeps
// it, the tray shows it. Plain types and functions, no Electron.
import type { Status } from '../server/control/contract.js';

export type ServerState =
  | { phase: 'starting' }
  | { phase: 'running'; status: Status }
  | { phase: 'stopping' }
  | { phase: 'stopped' }
  /** The worker crashed; it starts again after `delayMs`. */
  | { phase: 'restarting'; delayMs: number; error: string }
  /** The supervisor gave up (too many quick crashes, or a wrong configuration). */
  | { phase: 'failed'; error: string };

/** One line for the tray menu and tooltip. */
export function describeServerState(state: ServerState): string {
  switch (state.phase) {
    case 'starting':
      return 'Hearth is starting…';
    case 'running': {
      const { onlineUsers, registeredUsers } = state.status;
      const people = registeredUsers === 1 ? '1 person' : `${registeredUsers} people`;
      return `Running: ${onlineUsers} of ${people} online`;
    }
    case 'stopping':
      return 'Hearth is stopping…';
    case 'stopped':
      return 'The server is stopped';
    case 'restarting':
      return `The server stopped unexpectedly; trying again in ${Math.max(1, Math.round(state.delayMs / 1000))} s`;
    case 'failed':
      return 'The server could not start';
  }
}

/** True while the worker is up or on its way up: the tray offers "Stop server" then. */
export function isServerActive(state: ServerState): boolean {
  return state.phase === 'starting' || state.phase === 'running' || state.phase === 'restarting';
}
