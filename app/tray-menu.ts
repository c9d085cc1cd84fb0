// The tray menu as data: built from the server's state and the app's settings, turned into an
// Electron Menu by tray.ts. Plain function, no Electron, so it is tested on its own.
import { describeServerState, isServerActive, type ServerState } from './server-state.js';

export type TrayAction = 'open' | 'copy-address' | 'start-server' | 'stop-server' | 'toggle-autostart' | 'quit';

export type TrayMenuItem =
  /** A line of information, not clickable. */
  | { kind: 'info'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean }
  | { kind: 'checkbox'; action: TrayAction; label: string; checked: boolean; enabled: boolean };

export interface TrayAppState {
  /** "Start at login" is on. */
  autostart: boolean;
  /** This platform can start Hearth at login. */
  autostartAvailable: boolean;
}

export function trayMenuModel(server: ServerState, app: TrayAppState): TrayMenuItem[] {
  const items: TrayMenuItem[] = [{ kind: 'info', label: describeServerState(server) }];
  if (server.phase === 'running') items.push({ kind: 'info', label: `Address: ${server.status.domain}` });
  if (server.phase === 'failed' || server.phase === 'restarting') items.push({ kind: 'info', label: shorten(server.error, 70) });
  items.push(
    { kind: 'separator' },
    { kind: 'action', action: 'open', label: 'Open Hearth', enabled: true },
    { kind: 'action', action: 'copy-address', label: 'Copy server address', enabled: server.phase === 'running' },
    { kind: 'separator' },
    isServerActive(server)
      ? { kind: 'action', action: 'stop-server', label: 'Stop server', enabled: true }
      : { kind: 'action', action: 'start-server', label: 'Start server', enabled: server.phase !== 'stopping' },
    { kind: 'checkbox', action: 'toggle-autostart', label: 'Start at login', checked: app.autostart, enabled: app.autostartAvailable },
    { kind: 'separator' },
    { kind: 'action', action: 'quit', label: 'Quit Hearth', enabled: true },
  );
  return items;
}

/** The address to give clients: the server's domain, when it is running. */
export function serverAddress(server: ServerState): string | undefined {
  return server.phase === 'running' ? server.status.domain : undefined;
}

function shorten(text: string, max: number): string {
  const line = text.split('\n')[0]!;
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
