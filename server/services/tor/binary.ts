// Finding the tor program (tor.binary: a name looked up on PATH, or a path), and the message for
// when it is not there: what to install on each system.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The program's full path, or undefined when there is no such executable file. */
export function findExecutable(binary: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)] : [''];
  const candidates = (path: string) => extensions.map((extension) => path + extension);
  if (isAbsolute(binary) || binary.includes('/') || (platform === 'win32' && binary.includes('\\'))) {
    return candidates(binary).find((file) => isExecutable(file, platform));
  }
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : delimiter);
  for (const dir of [...dirs, ...(commonDirs[platform] ?? [])]) {
    if (!dir) continue;
    const found = candidates(join(dir, binary)).find((file) => isExecutable(file, platform));
    if (found) return found;
  }
  return undefined;
}

/**
 * Where package managers put programs, also searched after PATH: an app started from the macOS
 * Finder or a desktop menu gets a short PATH without Homebrew's or /usr/local's bin.
 */
const commonDirs: Partial<Record<NodeJS.Platform, string[]>> = {
  darwin: ['/opt/homebrew/bin', '/usr/local/bin', '/opt/local/bin'],
  linux: ['/usr/bin', '/usr/sbin', '/usr/local/bin'],
  freebsd: ['/usr/local/bin'],
};

function isExecutable(file: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const torInstallHints = [
  'Debian, Ubuntu or Raspberry Pi OS: sudo apt install tor',
  'Fedora: sudo dnf install tor',
  'macOS with Homebrew: brew install tor',
  'Windows: download the Tor Expert Bundle from torproject.org, unpack it, and set tor.binary to the path of its tor.exe',
];

/** What to tell the admin when tor.binary is not an installed program. */
export function missingTorMessage(binary: string): string {
  const bareName = !/[\\/]/.test(binary);
  const where =
    binary === 'tor'
      ? 'Tor is not installed on this computer (there is no "tor" program on its PATH)'
      : bareName
        ? `Tor was not found: there is no "${binary}" program on this computer's PATH (the tor.binary setting)`
        : `Tor was not found at ${binary} (the tor.binary setting)`;
  return `${where}. Install it, then switch Tor on again. ${torInstallHints.join('. ')}.`;
}
