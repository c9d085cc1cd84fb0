// The whole main process, wired as Electron runs it, with the `electron` module replaced by
// fakes: single instance, handlers before the window, tray, worker supervision, quitting.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, type DesktopApp } from '../../app/main.js';
import { fake, resetFakeElectron } from './fake-electron.js';
import { status, tor } from './fixtures.js';

vi.mock('electron', () => import('./fake-electron.js'));

beforeEach(() => resetFakeElectron());
afterEach(() => vi.useRealTimers());

async function launch(argv = ['/opt/Hearth/hearth']): Promise<DesktopApp> {
  const started = main(argv);
  fake.app.becomeReady();
  const desktop = await started;
  if (!desktop) throw new Error('the app did not start');
  return desktop;
}

const worker = () => fake.workers.at(-1)!;
const tray = () => fake.trays[0]!;
const labels = () => tray().menu.map((item) => item.label ?? '---');

describe('the desktop app', () => {
  it('keeps its data in userData/Hearth and runs the server worker there', async () => {
    await launch();
    expect(fake.paths.userData).toBe('/tmp/fake-appdata/Hearth');
    expect(fake.workers).toHaveLength(1);
    expect(worker().modulePath).toBe('/opt/hearth-app/dist/server/worker.js');
    expect(worker().args).toEqual(['--data', '/tmp/fake-appdata/Hearth']);
    expect(fake.schemes).toHaveLength(1);
  });

  it('registers the IPC handler and the app scheme before the window opens', async () => {
    let handlerWhenWindowOpened: boolean | undefined;
    let schemeWhenWindowOpened: boolean | undefined;
    fake.app.on('web-contents-created', () => {
      handlerWhenWindowOpened ??= fake.ipcHandlers.has('control');
      schemeWhenWindowOpened ??= fake.protocolHandlers.has('hearth');
    });
    await launch();
    expect(fake.windows).toHaveLength(1);
    expect(handlerWhenWindowOpened).toBe(true);
    expect(schemeWhenWindowOpened).toBe(true);
    expect(fake.windows[0]!.options.webPreferences).toMatchObject({ preload: '/opt/hearth-app/dist/app/preload.cjs', sandbox: true, contextIsolation: true });
  });

  it('opens no window when started at login, only the tray', async () => {
    await launch(['/opt/Hearth/hearth', '--hidden']);
    expect(fake.windows).toHaveLength(0);
    expect(fake.trays).toHaveLength(1);
  });

  it('opens the window when launched a second time (the way in without a tray)', async () => {
    await launch(['/opt/Hearth/hearth', '--hidden']);
    fake.app.emit('second-instance', {}, ['/opt/Hearth/hearth'], '/home/ann');
    expect(fake.windows).toHaveLength(1);
  });

  it('opens the window for a second launch that arrives before it is ready', async () => {
    const started = main(['/opt/Hearth/hearth', '--hidden']);
    fake.app.emit('second-instance', {}, ['/opt/Hearth/hearth'], '/home/ann');
    fake.app.becomeReady();
    await started;
    expect(fake.windows).toHaveLength(1);
  });

  it('quits at once when another Hearth already runs', async () => {
    fake.singleInstanceLock = false;
    await expect(main(['/opt/Hearth/hearth'])).resolves.toBeUndefined();
    expect(fake.quitCalls).toBe(1);
    expect(fake.workers).toHaveLength(0);
    expect(fake.trays).toHaveLength(0);
  });

  it('shows the server state in the tray menu and acts on it', async () => {
    await launch(['/opt/Hearth/hearth', '--hidden']);
    expect(labels()[0]).toBe('Hearth is starting…');
    worker().send({ type: 'ready', status: status() });
    expect(labels()[0]).toBe('Running: 2 of 4 people online');
    expect(tray().tooltip).toBe('Hearth — Running: 2 of 4 people online');

    tray().clickItem('Copy server address');
    expect(fake.clipboardText).toBe('kitchen-pc');

    tray().clickItem('Open Hearth');
    expect(fake.windows).toHaveLength(1);

    tray().clickItem('Stop server');
    expect(worker().posted).toEqual([{ type: 'stop' }]);
    expect(labels()[0]).toBe('Hearth is stopping…');
    worker().exit(0);
    expect(labels()[0]).toBe('The server is stopped');
    tray().clickItem('Start server');
    expect(fake.workers).toHaveLength(2);
  });

  it('switches Tor on from the tray, and shows why when it cannot', async () => {
    await launch(['/opt/Hearth/hearth', '--hidden']);
    worker().send({ type: 'ready', status: status({ tor: tor() }) });
    const item = () => tray().menu.find((i) => i.label === 'Tor onion service')!;
    expect(item()).toMatchObject({ type: 'checkbox', checked: false, enabled: true });

    tray().clickItem('Tor onion service');
    expect(worker().posted).toEqual([{ type: 'request', id: 1, name: 'tor.setEnabled', input: { enabled: true } }]);
    worker().send({ type: 'response', id: 1, result: { ok: false, error: 'Tor is not installed on this computer' } });
    await vi.waitFor(() => expect(fake.dialogs).toEqual([{ title: 'Tor could not start', content: 'Tor is not installed on this computer' }]));

    // The server's status event ticks it once Tor is on.
    worker().send({ type: 'event', name: 'status', payload: status({ tor: tor({ enabled: true, state: 'running' }) }) });
    expect(item().checked).toBe(true);
    tray().clickItem('Tor onion service');
    expect(worker().posted.at(-1)).toEqual({ type: 'request', id: 2, name: 'tor.setEnabled', input: { enabled: false } });
  });

  it('restarts a crashed worker as the policy says, and shows an error when it gives up', async () => {
    vi.useFakeTimers();
    await launch(['/opt/Hearth/hearth', '--hidden']);
    worker().exit(1);
    expect(labels()[0]).toBe('The server stopped unexpectedly; trying again in 1 s');
    vi.advanceTimersByTime(1000);
    expect(fake.workers).toHaveLength(2);
    for (const delay of [2000, 4000, 8000]) {
      worker().exit(1);
      vi.advanceTimersByTime(delay);
    }
    expect(fake.workers).toHaveLength(5);
    worker().send({ type: 'fatal', error: 'The server could not start: listen EADDRINUSE', permanent: false });
    worker().exit(1);
    expect(labels()[0]).toBe('The server could not start');
    expect(fake.dialogs).toEqual([expect.objectContaining({ type: 'error', detail: 'The server could not start: listen EADDRINUSE' })]);
  });

  it('stops the server gracefully before quitting, then closes the window for real', async () => {
    await launch();
    worker().send({ type: 'ready', status: status() });
    tray().clickItem('Quit Hearth');
    expect(worker().posted).toEqual([{ type: 'stop' }]);
    expect(fake.quitCalls).toBe(1);
    worker().exit(0);
    await vi.waitFor(() => expect(fake.quitCalls).toBe(2));
    expect(fake.windows[0]!.close()).toBe(true);
  });

  it('turns "Start at login" on and off from the tray', async () => {
    // On Linux this writes the XDG autostart entry: into a temporary config folder here.
    const configHome = mkdtempSync(join(tmpdir(), 'hearth-xdg-'));
    vi.stubEnv('XDG_CONFIG_HOME', configHome);
    try {
      await launch(['/opt/Hearth/hearth', '--hidden']);
      const item = () => tray().menu.find((i) => i.label === 'Start at login')!;
      expect(item().checked).toBe(false);
      tray().clickItem('Start at login');
      expect(item().checked).toBe(true);
      if (process.platform === 'linux') expect(existsSync(join(configHome, 'autostart', 'hearth.desktop'))).toBe(true);
      tray().clickItem('Start at login');
      expect(item().checked).toBe(false);
    } finally {
      vi.unstubAllEnvs();
      rmSync(configHome, { recursive: true, force: true });
    }
  });

  it('does not quit when its window is closed', async () => {
    await launch();
    expect(fake.app.listenerCount('window-all-closed')).toBe(1);
    expect(fake.windows[0]!.close()).toBe(false);
    expect(fake.quitCalls).toBe(0);
  });
});
