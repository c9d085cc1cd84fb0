// "Start at login": Electron's login items on macOS and Windows; on Linux an XDG autostart
// entry (~/.config/autostart/hearth.desktop, https://specifications.freedesktop.org/autostart-spec/),
// which every desktop environment honours. Started at login, Hearth opens no window: it runs
// in the tray (`--hidden`).
import { app } from 'electron';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export const hiddenFlag = '--hidden';

export interface Autostart {
  /** This platform can start Hearth at login. */
  readonly available: boolean;
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

/** $XDG_CONFIG_HOME/autostart/hearth.desktop, else ~/.config/autostart/hearth.desktop. */
export function linuxAutostartFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(configHome, 'autostart', 'hearth.desktop');
}

/**
 * One argument of an Exec line (Desktop Entry spec, "The Exec key"): quoted when it has
 * reserved characters, with `"`, `` ` ``, `$` and `\` escaped inside the quotes, `%` doubled;
 * then the string-value escaping applies on top, which doubles every backslash again.
 */
export function desktopExecArgument(argument: string): string {
  const percentSafe = argument.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(percentSafe)) return percentSafe;
  const quoted = `"${percentSafe.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\');
}

export function linuxAutostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Hearth',
    "Comment=Your family's private chat server",
    `Exec=${command.map(desktopExecArgument).join(' ')}`,
    'Icon=hearth',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function setLinuxAutostart(file: string, enabled: boolean, command: string[]): void {
  if (enabled) {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, linuxAutostartEntry(command), { mode: 0o644 });
  } else {
    rmSync(file, { force: true });
  }
}

/** The entry exists and is not switched off (Hidden=true, or GNOME's own switch). */
export function isLinuxAutostartEnabled(file: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  return !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
}

/**
 * What starts this Hearth: the AppImage file itself when run from one (its mount point changes
 * at every start), else the executable — plus the app folder when running unpackaged.
 */
export function launchCommand(options: { execPath: string; env: NodeJS.ProcessEnv; packaged: boolean; appPath: string }): string[] {
  if (options.env.APPIMAGE) return [options.env.APPIMAGE, hiddenFlag];
  return options.packaged ? [options.execPath, hiddenFlag] : [options.execPath, options.appPath, hiddenFlag];
}

export function setupAutostart(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Autostart {
  if (platform === 'linux') {
    const file = linuxAutostartFile(env);
    return {
      available: true,
      isEnabled: () => isLinuxAutostartEnabled(file),
      setEnabled: (enabled) =>
        setLinuxAutostart(file, enabled, launchCommand({ execPath: process.execPath, env, packaged: app.isPackaged, appPath: app.getAppPath() })),
    };
  }
  if (platform === 'darwin' || platform === 'win32') {
    return {
      available: true,
      // Windows compares the arguments too: ask about the entry as it was made.
      isEnabled: () => app.getLoginItemSettings({ args: [hiddenFlag] }).openAtLogin,
      // `args` is for Windows; macOS reports a login start through wasOpenedAtLogin instead.
      setEnabled: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, args: [hiddenFlag] }),
    };
  }
  return { available: false, isEnabled: () => false, setEnabled: () => {} };
}

/** Started at login: no window, just the tray and the server. */
export function launchedAtLogin(argv: string[] = process.argv, platform: NodeJS.Platform = process.platform): boolean {
  if (argv.includes(hiddenFlag)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}
