// The tray icon and its menu, rebuilt whenever the server's state changes. The menu's content
// comes from trayMenuModel (plain data, tested on its own); this file only maps it to Electron.
import { app, clipboard, dialog, Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { Autostart } from './autostart.js';
import type { ServerProcess } from './server-process.js';
import { describeServerState } from './server-state.js';
import { serverAddress, torToggle, trayMenuModel, type TrayAction, type TrayMenuItem } from './tray-menu.js';
import type { Windows } from './windows.js';

export interface TrayOptions {
  server: ServerProcess;
  windows: Windows;
  autostart: Autostart;
  /** build/tray, with the icons from build/make-icons.mjs. */
  iconDir: string;
  platform?: NodeJS.Platform;
}

/** macOS wants a black "template" image it tints itself; Linux panels a plain 32 px one. */
export function trayIconFile(iconDir: string, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return join(iconDir, 'trayTemplate.png');
  if (platform === 'linux') return join(iconDir, 'tray-linux.png');
  return join(iconDir, 'tray.png');
}

export function toMenuTemplate(items: TrayMenuItem[], run: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'info':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.label, enabled: item.enabled, click: () => run(item.action) };
      case 'checkbox':
        return { label: item.label, type: 'checkbox', checked: item.checked, enabled: item.enabled, click: () => run(item.action) };
    }
  });
}

export function setupTray(options: TrayOptions): Tray {
  const { server, windows, autostart } = options;
  const platform = options.platform ?? process.platform;
  const tray = new Tray(nativeImage.createFromPath(trayIconFile(options.iconDir, platform)));

  const run = (action: TrayAction) => {
    switch (action) {
      case 'open':
        windows.show();
        break;
      case 'copy-address': {
        const address = serverAddress(server.state);
        if (address) clipboard.writeText(address);
        break;
      }
      case 'start-server':
        server.start();
        break;
      case 'stop-server':
        void server.stop();
        break;
      case 'toggle-tor': {
        const change = torToggle(server.state);
        if (!change) break;
        // The server answers once tor runs (or has stopped); the `status` event updates the tick.
        void server.request('tor.setEnabled', change).then((result) => {
          if (!result.ok) dialog.showErrorBox(change.enabled ? 'Tor could not start' : 'Tor could not stop', result.error);
          refresh();
        });
        break;
      }
      case 'toggle-autostart':
        autostart.setEnabled(!autostart.isEnabled());
        refresh();
        break;
      case 'quit':
        app.quit();
        break;
    }
  };

  const refresh = () => {
    const state = server.state;
    const model = trayMenuModel(state, { autostart: autostart.available && autostart.isEnabled(), autostartAvailable: autostart.available });
    tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(model, run)));
    tray.setToolTip(`Hearth — ${describeServerState(state)}`);
  };

  // A click on the icon opens the window on Windows (and old X11 trays); on macOS a click opens
  // the menu, and Linux panels only ever open the menu.
  if (platform !== 'darwin') tray.on('click', () => windows.show());
  server.onState(refresh);
  refresh();
  return tray;
}
