import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  desktopExecArgument,
  isLinuxAutostartEnabled,
  launchCommand,
  launchedAtLogin,
  linuxAutostartFile,
  setLinuxAutostart,
  setupAutostart,
} from '../../app/autostart.js';
import { fake, resetFakeElectron } from './fake-electron.js';

vi.mock('electron', () => import('./fake-electron.js'));

let home: string;
beforeEach(() => {
  resetFakeElectron();
  home = mkdtempSync(join(tmpdir(), 'hearth-home-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the Linux autostart entry', () => {
  it('lives in ~/.config/autostart, or under XDG_CONFIG_HOME when that is set', () => {
    expect(linuxAutostartFile({ HOME: home })).toBe(join(home, '.config', 'autostart', 'hearth.desktop'));
    expect(linuxAutostartFile({ HOME: home, XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/autostart/hearth.desktop');
    expect(linuxAutostartFile({ HOME: home, XDG_CONFIG_HOME: 'relative' })).toBe(join(home, '.config', 'autostart', 'hearth.desktop'));
  });

  it('is written with a hidden start, creating the folder, and removed again', () => {
    const file = linuxAutostartFile({ HOME: home });
    setLinuxAutostart(file, true, ['/opt/Hearth/hearth', '--hidden']);
    expect(readFileSync(file, 'utf8')).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=Hearth',
        "Comment=Your family's private chat server",
        'Exec=/opt/Hearth/hearth --hidden',
        'Icon=hearth',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(isLinuxAutostartEnabled(file)).toBe(true);

    setLinuxAutostart(file, false, []);
    expect(existsSync(file)).toBe(false);
    expect(isLinuxAutostartEnabled(file)).toBe(false);
  });

  it('counts an entry switched off by the desktop as off', () => {
    const file = linuxAutostartFile({ HOME: home });
    setLinuxAutostart(file, true, ['/usr/bin/hearth']);
    writeFileSync(file, readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(isLinuxAutostartEnabled(file)).toBe(false);
    writeFileSync(file, '[Desktop Entry]\nHidden=true\n');
    expect(isLinuxAutostartEnabled(file)).toBe(false);
  });

  it('quotes Exec arguments with spaces and reserved characters as the Desktop Entry spec says', () => {
    expect(desktopExecArgument('/home/ann/Apps/Hearth.AppImage')).toBe('/home/ann/Apps/Hearth.AppImage');
    expect(desktopExecArgument('/home/ann/My Apps/Hearth.AppImage')).toBe('"/home/ann/My Apps/Hearth.AppImage"');
    // Quoting makes \$ \" \` \\ ; the string escaping of the file doubles each backslash again.
    expect(desktopExecArgument('/a/$HOME"x`y\\z')).toBe('"/a/\\\\$HOME\\\\"x\\\\`y\\\\\\\\z"');
    expect(desktopExecArgument('100%')).toBe('100%%');
  });

  it('starts the AppImage file itself, not its temporary mount', () => {
    const base = { execPath: '/tmp/.mount_HearthXyz/hearth', packaged: true, appPath: '/tmp/.mount_HearthXyz/resources/app.asar' };
    expect(launchCommand({ ...base, env: { APPIMAGE: '/home/ann/Hearth.AppImage' } })).toEqual(['/home/ann/Hearth.AppImage', '--hidden']);
    expect(launchCommand({ ...base, execPath: '/opt/Hearth/hearth', env: {} })).toEqual(['/opt/Hearth/hearth', '--hidden']);
    expect(launchCommand({ execPath: '/dev/electron', packaged: false, appPath: '/src/hearth', env: {} })).toEqual(['/dev/electron', '/src/hearth', '--hidden']);
  });

  it('is switched on and off through setupAutostart on Linux', () => {
    const autostart = setupAutostart('linux', { HOME: home });
    expect(autostart.available).toBe(true);
    expect(autostart.isEnabled()).toBe(false);
    autostart.setEnabled(true);
    expect(autostart.isEnabled()).toBe(true);
    const text = readFileSync(join(home, '.config', 'autostart', 'hearth.desktop'), 'utf8');
    // Unpackaged (the fake app), the app folder follows the executable.
    expect(text).toContain(`Exec=${desktopExecArgument(process.execPath)} /opt/hearth-app --hidden`);
    autostart.setEnabled(false);
    expect(autostart.isEnabled()).toBe(false);
  });
});

describe('start at login on macOS and Windows', () => {
  it.each(['darwin', 'win32'] as const)('uses Electron login items on %s', (platform) => {
    const autostart = setupAutostart(platform, { HOME: home });
    expect(autostart.isEnabled()).toBe(false);
    autostart.setEnabled(true);
    expect(fake.loginItem).toMatchObject({ openAtLogin: true, args: ['--hidden'] });
    expect(autostart.isEnabled()).toBe(true);
    autostart.setEnabled(false);
    expect(autostart.isEnabled()).toBe(false);
    expect(existsSync(join(home, '.config'))).toBe(false);
  });

  it('is not offered on other platforms', () => {
    expect(setupAutostart('freebsd', { HOME: home }).available).toBe(false);
  });

  it('recognises a start at login: --hidden, or macOS saying so', () => {
    expect(launchedAtLogin(['/opt/Hearth/hearth', '--hidden'], 'linux')).toBe(true);
    expect(launchedAtLogin(['/opt/Hearth/hearth'], 'linux')).toBe(false);
    fake.loginItem.wasOpenedAtLogin = true;
    expect(launchedAtLogin(['/Applications/Hearth.app/Contents/MacOS/Hearth'], 'darwin')).toBe(true);
  });
});
