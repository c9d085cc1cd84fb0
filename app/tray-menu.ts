// The tray menu as data: built from the server's state and the app's settings, turned into an
// Electron Menu by tray.ts. Plain function, no Electron, so it is tested on its own.
import { describeServerState, isServerActive, type ServerState } from './server-state.js';

export type TrayAction = 'open' | 'copy-address' | 'start-server' | 'stop-server' | 'toggle-tor' | 'toggle-autostart' | 'quit';

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
  const certificate = certificateLine(server);
  if (certificate) items.push({ kind: 'info', label: certificate });
  if (server.phase === 'failed' || server.phase === 'restarting') items.push({ kind: 'info', label: shorten(server.error, 70) });
  items.push(
    { kind: 'separator' },
    { kind: 'action', action: 'open', label: 'Open Hearth', enabled: true },
    { kind: 'action', action: 'copy-address', label: 'Copy server address', enabled: server.phase === 'running' },
    { kind: 'separator' },
    isServerActive(server)
      ? { kind: 'action', action: 'stop-server', label: 'Stop server', enabled: true }
      : { kind: 'action', action: 'start-server', label: 'Start server', enabled: server.phase !== 'stopping' },
    torItem(server),
    { kind: 'checkbox', action: 'toggle-autostart', label: 'Start at login', checked: app.autostart, enabled: app.autostartAvailable },
    { kind: 'separator' },
    { kind: 'action', action: 'quit', label: 'Quit Hearth', enabled: true },
  );
  return items;
}

/**
 * The Tor switch: ticked while the onion service is on (tor.enabled), usable while the server
 * runs and Tor is not in the middle of stopping.
 */
function torItem(server: ServerState): TrayMenuItem {
  const tor = server.phase === 'running' ? server.status.tor : undefined;
  return { kind: 'checkbox', action: 'toggle-tor', label: 'Tor onion service', checked: tor?.enabled ?? false, enabled: tor !== undefined && tor.state !== 'stopping' };
}

/** What a click on "Tor onion service" asks the server for, or undefined when it cannot now. */
export function torToggle(server: ServerState): { enabled: boolean } | undefined {
  const tor = server.phase === 'running' ? server.status.tor : undefined;
  return tor && tor.state !== 'stopping' ? { enabled: !tor.enabled } : undefined;
}

/**
 * A certificate that needs the admin (expired, renewal failed, expiring soon), from the status'
 * warnings (server/services/certs); apps stop connecting once it has expired.
 */
function certificateLine(server: ServerState): string | undefined {
  if (server.phase !== 'running') return undefined;
  const ids = new Set(server.status.warnings.map((warning) => warning.id));
  if (ids.has('certificate-expired')) return 'Certificate expired: open Hearth to renew it';
  if (ids.has('certificate-renewal-failed')) return 'Certificate renewal failed: open Hearth';
  if (ids.has('certificate-expiring')) return 'Certificate expires soon: open Hearth';
  return undefined;
}

/** The address to give clients: the server's domain, when it is running. */
export function serverAddress(server: ServerState): string | undefined {
  return server.phase === 'running' ? server.status.domain : undefined;
}

function shorten(text: string, max: number): string {
  const line = text.split('\n')[0]!;
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
