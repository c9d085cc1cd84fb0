// `hearth tor status|on|off`: on the running server over its admin API (tor starts and stops at
// once), or in the config file when no server runs. Runs the built bin/hearth with the real tor.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, serve, writeTestConfigFile, type ServeProcess } from '../support/cli.js';
import { needTor, torBinary, waitUntil } from '../support/tor.js';

let dir: string;
let configFile: string;
let running: ServeProcess | undefined;

const config = () => JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, any>;
function edit(change: (config: Record<string, any>) => void): void {
  const next = config();
  change(next);
  writeFileSync(configFile, JSON.stringify(next));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-tor-'));
  configFile = writeTestConfigFile(dir);
  edit((c) => (c.tor = { binary: torBinary }));
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('hearth tor', { timeout: 30_000 }, () => {
  it('saves the switch for the next start when Hearth is not running', async ({ skip }) => {
    needTor(skip);
    const on = await runCli(['tor', 'on', '--config', configFile]);
    expect(on.stdout.trim()).toBe('Saved: Tor starts with Hearth (hearth serve).');
    expect(on.code).toBe(0);
    expect(config().tor).toEqual({ binary: torBinary, enabled: true });

    const status = await runCli(['tor', 'status', '--json', '--config', configFile]);
    expect(JSON.parse(status.stdout)).toEqual({ serverRunning: false, enabled: true });
    expect(status.code).toBe(3);

    expect((await runCli(['tor', 'off', '--config', configFile])).stdout.trim()).toBe('Saved: Tor stays off when Hearth starts.');
    expect(config().tor.enabled).toBe(false);
  });

  it('refuses to switch on without tor, and says how to install it', async () => {
    edit((c) => (c.tor = { binary: '/nonexistent/tor' }));
    const result = await runCli(['tor', 'on', '--config', configFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hearth: Tor was not found at \/nonexistent\/tor \(the tor\.binary setting\)\. Install it.*sudo apt install tor/);
    expect(config().tor.enabled).toBeUndefined();
  });

  it("switches the running server's Tor on and off at once", async ({ skip }) => {
    needTor(skip);
    running = await serve(['--config', configFile]);
    // Other listeners may report first; the admin port is the one needed here.
    await waitUntil(() => running!.ports.admin !== undefined, 10_000, 'the admin port');
    // The admin port was 0 in the file; point the command at the real one.
    edit((c) => (c.ports.admin = running!.ports.admin));

    const on = await runCli(['tor', 'on', '--config', configFile]);
    expect(on.stdout, on.stderr + running.output()).toContain('Tor is on, connecting to the Tor network.');
    expect(on.code).toBe(0);
    const address = /Onion address: ([a-z2-7]{56}\.onion)/.exec(on.stdout)?.[1];
    expect(address).toBeDefined();

    const status = await runCli(['tor', 'status', '--json', '--config', configFile]);
    expect(JSON.parse(status.stdout), running.output()).toMatchObject({ serverRunning: true, enabled: true, state: 'running', onionAddress: address });

    const off = await runCli(['tor', 'off', '--config', configFile]);
    expect(off.stdout).toContain('Tor is off.');
    expect(config().tor.enabled).toBe(false);
  });
});
