// The Electron main process: thin (DESIGN.md), one setupX() per concern. Everything is
// registered before a window opens; the server runs in its own worker process.
import { app, dialog, type Tray } from 'electron';
import { join } from 'node:path';
import { launchedAtLogin, setupAutostart } from './autostart.js';
import { setupIpc } from './ipc.js';
import { setupServerProcess, type ServerProcess } from './server-process.js';
import { setupSingleInstance } from './single-instance.js';
import { setupTray } from './tray.js';
import { registerAppScheme, setupWindows, type Windows } from './windows.js';

/** Where the built files are: the project folder in development, app.asar when packaged. */
export function appPaths(appPath: string) {
  return {
    workerPath: join(appPath, 'dist', 'server', 'worker.js'),
    preloadPath: join(appPath, 'dist', 'app', 'preload.cjs'),
    rendererDir: join(appPath, 'dist', 'renderer'),
    trayIconDir: join(appPath, 'build', 'tray'),
    windowIcon: join(appPath, 'build', 'icons', '256x256.png'),
  };
}

export interface DesktopApp {
  server: ServerProcess;
  windows: Windows;
  tray: Tray;
}

/** Held for the life of the app: a Tray that is garbage-collected disappears from the panel. */
let running: DesktopApp | undefined;

/** Starts the desktop app; resolves once everything is set up (undefined if another Hearth runs). */
export async function main(argv: string[] = process.argv): Promise<DesktopApp | undefined> {
  // The same data folder in development and packaged (where productName is "Hearth"); set
  // before anything reads it, the single-instance lock included.
  app.setPath('userData', join(app.getPath('appData'), 'Hearth'));
  registerAppScheme();

  let windows: Windows | undefined;
  let openWhenReady = !launchedAtLogin(argv);
  const showWindow = () => {
    if (windows) windows.show();
    else openWhenReady = true;
  };
  if (!setupSingleInstance(showWindow)) return undefined;

  // The window hides on close: closing every window must not quit the app (quit is in the tray).
  app.on('window-all-closed', () => {});

  await app.whenReady();
  const paths = appPaths(app.getAppPath());
  const server = setupServerProcess({ workerPath: paths.workerPath, dataDir: app.getPath('userData') });
  const ready = setupWindows({ rendererDir: paths.rendererDir, preloadPath: paths.preloadPath, iconPath: paths.windowIcon });
  setupIpc({ server, windows: ready });
  const tray = setupTray({ server, windows: ready, autostart: setupAutostart(), iconDir: paths.trayIconDir });
  setupQuit(server, ready);
  server.onState((state) => {
    if (state.phase === 'failed') {
      void dialog.showMessageBox({ type: 'error', title: 'Hearth', message: "Hearth's server could not start", detail: state.error });
    }
  });
  // macOS: clicking the dock icon opens the window.
  app.on('activate', showWindow);

  windows = ready;
  server.start();
  if (openWhenReady) ready.show();
  running = { server, windows: ready, tray };
  return running;
}

/** Quit stops the server gracefully first (stop message, kill after a timeout), then quits. */
function setupQuit(server: ServerProcess, windows: Windows): void {
  let serverStopped = false;
  app.on('before-quit', (event) => {
    windows.allowClose();
    if (serverStopped) return;
    event.preventDefault();
    void server.stop().finally(() => {
      serverStopped = true;
      app.quit();
    });
  });
}

// Run only as Electron's main process; tests import this file with `electron` replaced.
if (process.type === 'browser') {
  // Ctrl+C in the terminal that started it (npm run desktop) quits as the tray's Quit does.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());
  main().catch((error: unknown) => {
    dialog.showErrorBox('Hearth could not start', (error as Error).stack ?? String(error));
    app.exit(1);
  });
}
