#!/usr/bin/env node
// npm start: the desktop app when Electron can run here, otherwise the headless server with the
// admin link, saying why. `--desktop` and `--headless` force one (npm run desktop / headless).
// Other arguments go to `hearth serve` (e.g. --data DIR). Nothing is built or downloaded here:
// `npm start` builds first, and Electron's binary comes only from `npm install`.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Why the desktop app cannot run here, or undefined when it can. */
export function desktopUnavailableReason({ env = process.env, platform = process.platform, resolveElectron = defaultResolveElectron, appEntry = join(root, 'dist', 'app', 'main.js') } = {}) {
  let binary;
  try {
    binary = resolveElectron();
  } catch (error) {
    return `Electron's program is not installed (${firstLine(error)})`;
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return "Electron's program is not installed (node_modules/electron has no binary)";
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  if (!existsSync(appEntry)) return 'the desktop app is not built (dist/app/main.js is missing)';
  return undefined;
}

/**
 * The Electron binary's path, found the way the electron package finds it (its path.txt, or
 * ELECTRON_OVERRIDE_DIST_PATH) but without requiring the package: from Electron 45 on, that
 * require downloads the binary when it is missing, and npm start must never download anything.
 */
export function defaultResolveElectron() {
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron');
  if (!executable) throw new Error('node_modules/electron has no binary');
  return join(packageDir, 'dist', executable);
}

function firstLine(error) {
  return String(error instanceof Error ? error.message : error).split('\n')[0].trim();
}

function run(command, args) {
  const child = spawn(command, args, { stdio: 'inherit', cwd: root });
  // Ctrl+C reaches the child through the terminal; a SIGTERM sent to us is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (error) => {
    process.stderr.write(`hearth: could not start ${command}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main(argv) {
  const forceDesktop = argv.includes('--desktop');
  const forceHeadless = argv.includes('--headless');
  const rest = argv.filter((a) => a !== '--desktop' && a !== '--headless');
  const reason = forceHeadless ? undefined : desktopUnavailableReason();

  if (forceDesktop && reason) {
    process.stderr.write(`hearth: the desktop app cannot start: ${reason}.\nRun \`npm run headless\` to run the server and open the admin page in a browser.\n`);
    process.exit(1);
  }
  if (!forceHeadless && !reason) {
    run(defaultResolveElectron(), [root, ...rest]);
    return;
  }
  if (!forceHeadless) process.stdout.write(`Starting Hearth without the desktop app: ${reason}. The admin page opens in a browser instead.\n`);
  // bin/hearth runs as Node's script here, not as a program, so the flags it would give itself
  // come from server/node-flags.ts (dist/ is there: npm run headless has just built it).
  const { serverNodeFlags } = await import(pathToFileURL(join(root, 'dist', 'server', 'node-flags.js')).href);
  run(process.execPath, [...serverNodeFlags, join(root, 'bin', 'hearth'), 'serve', ...rest]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main(process.argv.slice(2));
