// `hearth serve` and the admin page: the link, restarts asked for from the admin UI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../../server/control/admin-token.js';
import { runCli, serve, writeTestConfigFile, type ServeProcess } from '../support/cli.js';

let dir: string;
let configFile: string;
let running: ServeProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-admin-'));
  configFile = writeTestConfigFile(dir);
});
afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function control(port: number, token: string, name: string, input: object = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/api/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  return (await response.json()) as { ok: boolean; value?: any; error?: string };
}

describe('the admin page from the command line', () => {
  it('admin-link prints the link with the token in the fragment', async () => {
    const token = ensureAdminToken(join(dir, 'data'));
    const result = await runCli(['admin-link', '--config', configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`http://127.0.0.1:0/#token=${token}`);
  });

  it('admin-link says when Hearth never ran', async () => {
    const result = await runCli(['admin-link', '--config', configFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('start Hearth once');
  });

  it('serve keeps the token out of its output when that is not a terminal', async () => {
    running = await serve(['--config', configFile]);
    const token = ensureAdminToken(join(dir, 'data'));
    await new Promise((r) => setTimeout(r, 100));
    expect(running.output()).toContain(`admin page on http://127.0.0.1:${running.ports.admin}/`);
    expect(running.output()).not.toContain(token);
  });

  it('serve restarts with the saved settings when the admin UI asks, on the same ports', async () => {
    running = await serve(['--config', configFile]);
    const port = running.ports.admin!;
    const token = ensureAdminToken(join(dir, 'data'));
    expect((await control(port, token, 'settings.set', { registrationOpen: true })).value).toMatchObject({ restartRequired: true });
    expect((await control(port, token, 'status')).value).toMatchObject({ canRestart: true, restartRequired: true });
    expect((await control(port, token, 'server.restart')).ok).toBe(true);
    await expect
      .poll(async () => {
        try {
          return (await control(port, token, 'status')).value?.restartRequired;
        } catch {
          return 'down';
        }
      }, { timeout: 10_000, interval: 200 })
      .toBe(false);
    const status = (await control(port, token, 'status')).value;
    expect(status.warnings.map((w: { id: string }) => w.id)).toContain('registration-open');
    expect(running.output()).toContain('restarting with the saved settings');
    expect(running.child.exitCode).toBeNull();
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });
});
