// The onion service with Debian's real tor on loopback. No internet: tor never finishes
// bootstrapping, but its control port, onion key, SOCKS port and process are all real.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TorService, type TorSettings } from '../../../../server/services/tor/tor-service.js';
import { isOnionAddress } from '../../../../server/services/tor/onion-keys.js';
import { silentLogger } from '../../../../server/util/log.js';
import { needTor, processAlive, torBinary, torStatusWhere, waitUntil } from '../../../support/tor.js';

let dataDir: string;
const services: TorService[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'hearth-tor-'));
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

function service(settings: Partial<TorSettings> = {}, options: { backoffMs?: number } = {}): TorService {
  const tor = new TorService({
    dataDir,
    settings: { enabled: false, binary: torBinary, advertise: false, federation: 'onions', ...settings },
    ports: () => [
      { virtualPort: 5222, host: '127.0.0.1', port: 15222 },
      { virtualPort: 5223, host: '127.0.0.1', port: 15223 },
      { virtualPort: 5269, host: '127.0.0.1', port: 15269 },
      { virtualPort: 443, host: '127.0.0.1', port: 15281 },
    ],
    log: silentLogger,
    backoff: { initialMs: options.backoffMs ?? 1000 },
    stopTimeoutMs: 5000,
  });
  services.push(tor);
  return tor;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the onion service with the real tor', { timeout: 30_000 }, () => {
  it('starts tor with the generated torrc, and learns the onion address and the SOCKS port', async ({ skip }) => {
    needTor(skip);
    const tor = service();
    expect(await tor.setEnabled(true)).toEqual({ ok: true });

    const status = await torStatusWhere(tor, (s) => s.state === 'running');
    expect(status).toMatchObject({ enabled: true, running: true, restarts: 0 });
    expect(isOnionAddress(status.onionAddress!)).toBe(true);
    expect(readFileSync(tor.paths.hostnameFile, 'utf8').trim()).toBe(status.onionAddress);
    expect(await canConnect(status.socksPort!)).toBe(true);
    expect(tor.socksEndpoint).toEqual({ host: '127.0.0.1', port: status.socksPort });

    const torrc = readFileSync(tor.paths.torrc, 'utf8');
    expect(torrc).toContain(`HiddenServiceDir "${tor.paths.hiddenServiceDir}"`);
    expect(torrc).toContain('HiddenServicePort 5222 127.0.0.1:15222');
    expect(torrc).toContain('HiddenServicePort 443 127.0.0.1:15281');
    expect(torrc).toContain('CookieAuthentication 1');
    expect(statSync(tor.paths.hiddenServiceDir).mode & 0o777).toBe(0o700);
    expect(statSync(tor.paths.root).mode & 0o777).toBe(0o700);
  });

  it('reads the bootstrap phase from the control port', async ({ skip }) => {
    needTor(skip);
    const tor = service({ enabled: true });
    await tor.start();
    const status = await torStatusWhere(tor, (s) => s.state === 'running' && s.bootstrap !== undefined);
    // Without internet it stays below 100 %, but tor says where it is.
    expect(status.bootstrap!.progress).toBeGreaterThanOrEqual(0);
    expect(status.bootstrap!.progress).toBeLessThan(100);
    expect(status.bootstrap!.tag).not.toBe('');
    expect(status.bootstrap!.summary).not.toBe('');
    expect(status.bootstrapped).toBe(false);
  });

  it('keeps the same onion address when tor starts again', async ({ skip }) => {
    needTor(skip);
    const first = service({ enabled: true });
    await first.start();
    const address = (await torStatusWhere(first, (s) => s.state === 'running')).onionAddress;
    await first.close();

    const second = service({ enabled: true });
    expect(second.onionAddress).toBe(address);
    await second.start();
    expect((await torStatusWhere(second, (s) => s.state === 'running')).onionAddress).toBe(address);
  });

  it('stops the tor process when switched off', async ({ skip }) => {
    needTor(skip);
    const tor = service();
    await tor.setEnabled(true);
    await torStatusWhere(tor, (s) => s.state === 'running');
    const pid = tor.pid!;
    expect(processAlive(pid)).toBe(true);

    expect(await tor.setEnabled(false)).toEqual({ ok: true });

    expect(tor.status()).toMatchObject({ enabled: false, state: 'off', running: false });
    expect(tor.status().socksPort).toBeUndefined();
    expect(tor.socksEndpoint).toBeUndefined();
    await waitUntil(() => !processAlive(pid), 5000, 'tor to exit');
    // The address stays known (and the key stays) for the next time Tor is switched on.
    expect(tor.status().onionAddress).toBeDefined();
  });

  it('starts tor again after a crash, after a pause, and says what happened', async ({ skip }) => {
    needTor(skip);
    const tor = service({ enabled: true }, { backoffMs: 300 });
    await tor.start();
    const before = await torStatusWhere(tor, (s) => s.state === 'running');
    const pid = tor.pid!;

    process.kill(pid, 'SIGKILL');

    const restarting = await torStatusWhere(tor, (s) => s.state === 'restarting');
    expect(restarting.lastError).toMatch(/^tor stopped unexpectedly \(signal SIGKILL\)/);
    expect(restarting.nextRestartAt).toBeGreaterThan(Date.now() - 1000);
    const after = await torStatusWhere(tor, (s) => s.state === 'running');
    expect(after.restarts).toBe(1);
    expect(tor.pid).not.toBe(pid);
    expect(after.onionAddress).toBe(before.onionAddress);
    expect(after.lastError).toBe(restarting.lastError);
  });

  it('gives the onion service a new address when the key is rotated', async ({ skip }) => {
    needTor(skip);
    const tor = service({ enabled: true });
    await tor.start();
    const before = (await torStatusWhere(tor, (s) => s.state === 'running')).onionAddress!;
    const backup = tor.backupKey()!;
    expect(backup.onionAddress).toBe(before);
    expect(backup.fileName).toBe('hs_ed25519_secret_key');
    expect(Buffer.from(backup.keyBase64, 'base64').equals(readFileSync(tor.paths.secretKeyFile))).toBe(true);

    expect(await tor.rotate()).toEqual({ previousOnionAddress: before });

    const after = await torStatusWhere(tor, (s) => s.state === 'running');
    expect(isOnionAddress(after.onionAddress!)).toBe(true);
    expect(after.onionAddress).not.toBe(before);
    expect(tor.backupKey()!.keyBase64).not.toBe(backup.keyBase64);
  });
});

describe('the onion service without tor', () => {
  it('explains how to install tor when the program is missing, and stays off', async () => {
    const tor = service({ binary: join(dataDir, 'no-such-tor') });

    const result = await tor.setEnabled(true);

    expect(result.ok).toBe(false);
    const error = (result as { error: string }).error;
    expect(error).toContain(`Tor was not found at ${join(dataDir, 'no-such-tor')} (the tor.binary setting)`);
    expect(error).toContain('sudo apt install tor');
    expect(error).toContain('sudo dnf install tor');
    expect(error).toContain('brew install tor');
    expect(error).toContain('Tor Expert Bundle');
    expect(tor.status()).toMatchObject({ enabled: false, state: 'off', running: false, lastError: error });
    expect(existsSync(join(dataDir, 'tor'))).toBe(false);
  });

  it('cannot run when tor.binary names no program, and says so', async () => {
    const tor = new TorService({
      dataDir,
      settings: { enabled: true, binary: 'hearth-no-such-tor', advertise: false, federation: 'onions' },
      ports: () => [],
      log: silentLogger,
      env: { PATH: dataDir },
    });
    services.push(tor);

    await tor.start();

    expect(tor.status()).toMatchObject({ enabled: true, state: 'failed', running: false });
    expect(tor.status().lastError).toMatch(/^Tor was not found: there is no "hearth-no-such-tor" program on this computer's PATH \(the tor.binary setting\)\. Install it/);
  });
});
