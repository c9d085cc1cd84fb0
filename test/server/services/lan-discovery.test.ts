// LAN discovery (multicast DNS). The real announcement test runs `hearth serve` and a
// bonjour-service browser inside a network namespace this test creates, whose only interface is
// its own loopback: no packet reaches the machine's real network. Locally it is skipped without
// `ip` or the right to make namespaces; under CI=true that is a failure.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lanHostName } from '../../../server/net/lan.js';
import { lanDiscoveryOff, setupLanDiscovery } from '../../../server/services/mdns/lan-discovery.js';
import { silentLogger } from '../../../server/util/log.js';
import { hearthBin } from '../../support/cli.js';
import { createLoopbackNamespace, netnsUnavailable, type LoopbackNamespace } from '../../support/netns.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const browseScript = join(repoRoot, 'test', 'support', 'mdns-browse.mjs');

describe('when LAN discovery stays quiet', () => {
  it('announces nothing when mdns.enabled is off', () => {
    expect(lanDiscoveryOff({ bind: '*', mdns: { enabled: false } })).toBe('mdns.enabled is off');
  });

  it('announces nothing when the server listens on this computer only', async () => {
    expect(lanDiscoveryOff({ bind: '127.0.0.1', mdns: { enabled: true } })).toMatch(/this computer only/);
    const discovery = setupLanDiscovery({ config: { domain: 'localhost', bind: '127.0.0.1', mdns: { enabled: true } }, log: silentLogger });
    await discovery.start({ c2s: 5222, https: 5281 });
    expect(discovery.announcedName).toBeUndefined();
    await discovery.close();
  });

  it('names the computer in .local the way DNS labels allow', () => {
    expect(lanHostName('Kitchen-PC')).toBe('kitchen-pc.local');
    expect(lanHostName('pi.fritz.box')).toBe('pi.local');
    expect(lanHostName('Mum’s Laptop')).toBe('mum-s-laptop.local');
  });
});

interface Announcement {
  event: 'up' | 'down' | 'browsing';
  type?: string;
  name?: string;
  host?: string;
  port?: number;
  txt?: Record<string, string>;
}

/** Collects the JSON lines a process prints, and waits for one that matches. */
function lines(child: ChildProcess) {
  const seen: Announcement[] = [];
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (data: Buffer) => {
    output += data.toString();
    const parts = output.split('\n');
    output = parts.pop()!;
    for (const part of parts) if (part.trim().startsWith('{')) seen.push(JSON.parse(part) as Announcement);
    for (const waiter of waiters.splice(0)) waiter();
  });
  return {
    seen,
    async waitFor(match: (a: Announcement) => boolean, what: string, ms = 10_000): Promise<Announcement> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; saw ${JSON.stringify(seen)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
    },
  };
}

/** Waits for `hearth serve` to report the ports of the listeners named. */
function listenerPorts(child: ChildProcess, names: string[], ms = 15_000): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    let log = '';
    const ports: Record<string, number> = {};
    const timer = setTimeout(() => reject(new Error(`hearth serve did not start:\n${log}`)), ms);
    const onData = (data: Buffer) => {
      log += data.toString();
      for (const match of log.matchAll(/listening for (\w+) on port (\d+)/g)) ports[match[1]!] = Number(match[2]);
      if (names.every((name) => ports[name] !== undefined)) {
        clearTimeout(timer);
        resolve(ports);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hearth serve exited with ${code}:\n${log}`)));
  });
}

const unavailable = netnsUnavailable();
const skip = unavailable !== undefined && process.env.CI !== 'true';

describe.skipIf(skip)('LAN discovery inside a network namespace', { timeout: 60_000 }, () => {
  let namespace: LoopbackNamespace | undefined;
  const processes: ChildProcess[] = [];
  let dir: string | undefined;

  afterEach(async () => {
    for (const child of processes.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    namespace?.destroy();
    namespace = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('announces the chat and HTTPS ports under this computer’s .local name, and withdraws them when Hearth stops', async () => {
    if (unavailable) throw new Error(`${unavailable}: the mDNS test needs it (it runs as root in CI)`);
    if (!existsSync(join(repoRoot, 'dist', 'server', 'cli.js'))) throw new Error('bin/hearth is not built: run `npm run build` first');
    namespace = createLoopbackNamespace();
    dir = mkdtempSync(join(tmpdir(), 'hearth-mdns-'));
    const configFile = join(dir, 'hearth.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        domain: 'localhost',
        dataDir: join(dir, 'data'),
        // Every interface of the namespace: there is only its loopback.
        bind: '*',
        ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
        tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
        mdns: { enabled: true },
      }),
    );

    const browser = namespace.spawn(process.execPath, [browseScript, 'xmpp-client', 'https'], { cwd: repoRoot });
    processes.push(browser);
    const found = lines(browser);
    await found.waitFor((a) => a.event === 'browsing', 'browser start');

    const server = namespace.spawn(process.execPath, [hearthBin, 'serve', '--config', configFile], { cwd: repoRoot });
    processes.push(server);
    const ports = await listenerPorts(server, ['c2s', 'https']);

    const chat = await found.waitFor((a) => a.event === 'up' && a.type === 'xmpp-client', 'announcement of _xmpp-client._tcp');
    expect(chat).toMatchObject({ port: ports.c2s, host: lanHostName(), txt: { domain: 'localhost' } });
    const https = await found.waitFor((a) => a.event === 'up' && a.type === 'https', 'announcement of _https._tcp');
    expect(https).toMatchObject({ port: ports.https, host: lanHostName(), txt: { path: '/invite/', domain: 'localhost' } });

    server.kill('SIGTERM');
    expect(await new Promise((resolve) => server.once('exit', resolve))).toBe(0);
    await found.waitFor((a) => a.event === 'down' && a.type === 'xmpp-client', 'withdrawal of _xmpp-client._tcp', 5000);
    await found.waitFor((a) => a.event === 'down' && a.type === 'https', 'withdrawal of _https._tcp', 5000);
  });
});
