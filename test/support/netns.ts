// Network namespaces for tests that send multicast (mDNS): a namespace with nothing but its own
// loopback interface, so packets never reach the machine's real network. Needs `ip` and root
// (CAP_NET_ADMIN); without them tests skip locally and fail under CI=true.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface LoopbackNamespace {
  name: string;
  /** Starts `command` inside the namespace. */
  spawn(command: string, args: string[], options?: { cwd?: string }): ChildProcess;
  destroy(): void;
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  const probe = `hearth-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: Buffer };
    return code === 'ENOENT' ? 'the `ip` command is missing (Debian: apt-get install iproute2)' : `cannot create a network namespace: ${stderr?.toString().trim() || String(error)}`;
  }
}

/**
 * A namespace whose only interface is its loopback, up, with multicast on and a route for
 * 224.0.0.0/4 through it: mDNS works there and nowhere else.
 */
export function createLoopbackNamespace(): LoopbackNamespace {
  const name = `hearth-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', name);
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    ip('-n', name, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
  } catch (error) {
    ip('netns', 'del', name);
    throw error;
  }
  return {
    name,
    spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', name, command, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] }),
    destroy: () => {
      try {
        ip('netns', 'del', name);
      } catch {
        // already gone
      }
    },
  };
}
