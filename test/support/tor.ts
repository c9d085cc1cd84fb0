// Debian's tor for the Tor tests (.ci/run installs it). There is no internet here, so tor never
// finishes bootstrapping; what it does locally (control port, onion key, SOCKS port) is real.
import { spawnSync } from 'node:child_process';
import type { TorStatus } from '../../server/control/contract.js';
import type { TorService } from '../../server/services/tor/tor-service.js';

export const torBinary = process.env.HEARTH_TOR ?? 'tor';

export function torInstalled(): boolean {
  return spawnSync(torBinary, ['--version'], { stdio: 'ignore', timeout: 10_000 }).error === undefined;
}

/** Skips the test without tor, except under CI=true, where a missing tor is a failure. */
export function needTor(skip: (note: string) => never): void {
  if (torInstalled()) return;
  if (process.env.CI === 'true') throw new Error(`tor is not installed (no "${torBinary}" program); .ci/run installs it with apt-get install tor`);
  skip('tor is not installed (apt-get install tor); skipped outside CI');
}

/** Resolves with the first status for which `match` is true (the current one included). */
export function torStatusWhere(tor: TorService, match: (status: TorStatus) => boolean, ms = 20_000): Promise<TorStatus> {
  return new Promise((resolve, reject) => {
    if (match(tor.status())) return resolve(tor.status());
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for tor; it is ${JSON.stringify(tor.status())}`));
    }, ms);
    const stop = tor.onChange((status) => {
      if (!match(status)) return;
      clearTimeout(timer);
      stop();
      resolve(status);
    });
  });
}

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, ms = 10_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
