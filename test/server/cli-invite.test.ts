// `hearth invite create|list|revoke`, the built bin/hearth: straight into the database when no
// server runs, through the running server's admin API when one does (then the link carries the
// HTTPS port it really listens on, and the landing page answers at once).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareCircleName } from '../../server/core/storage/circles.js';
import { openStorage } from '../../server/core/storage/index.js';
import { runCli, serve, writeTestConfigFile, type ServeProcess } from '../support/cli.js';

let dir: string;
let configFile: string;
let running: ServeProcess | undefined;

const config = () => JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, any>;
function edit(change: (config: Record<string, any>) => void): void {
  const next = config();
  change(next);
  writeFileSync(configFile, JSON.stringify(next));
}

/** A circle in the database, as the admin page would have made it. */
function makeCircle(name: string): void {
  const storage = openStorage(config().dataDir, { scramIterations: 4096 });
  const prepared = prepareCircleName(name);
  if (prepared.ok) storage.circles.create(prepared.name, undefined);
  storage.close();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-invite-'));
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

describe('hearth invite without a running server', { timeout: 30_000 }, () => {
  it('prints the link, a QR code for the terminal and the xmpp: link', async () => {
    edit((c) => (c.ports.https = 8443));
    makeCircle('Family');
    const result = await runCli(['invite', 'create', '--role', 'limited', '--circle', 'family', '--uses', '2', '--expires', '2w', '--config', configFile]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expiry = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    expect(result.stdout).toMatch(new RegExp(`^Invitation [0-9a-f]{12} for 2 people \\(limited\\), valid until ${expiry}\\. They join Family\\.`));
    const link = /https:\/\/localhost:8443\/invite\/([A-Za-z0-9]{22})/.exec(result.stdout);
    expect(link).not.toBeNull();
    expect(result.stdout).toMatch(/[▀▄█]{7}/);
    expect(result.stdout).toContain(`For a chat app that is already installed: xmpp:localhost?register;preauth=${link![1]}`);

    const list = await runCli(['invite', 'list', '--json', '--config', configFile]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ role: 'limited', maxUses: 2, uses: 0, circles: [{ id: expect.any(Number), name: 'Family' }], usable: true })]);
  });

  it('says plainly what is wrong with the options', async () => {
    const circle = await runCli(['invite', 'create', '--circle', 'Neighbours', '--config', configFile]);
    expect(circle.code).toBe(1);
    expect(circle.stderr).toBe('hearth: there is no circle named "Neighbours" (make one on the admin page)\n');
    const expires = await runCli(['invite', 'create', '--expires', 'tomorrow', '--config', configFile]);
    expect(expires.stderr).toBe('hearth: --expires must be a number of days from 1 to 365, such as 7, 7d or 2w\n');
    const role = await runCli(['invite', 'create', '--role', 'boss', '--config', configFile]);
    expect(role.stderr).toBe('hearth: --role must be one of admin, user, limited\n');
    const uses = await runCli(['invite', 'create', '--uses', '0', '--config', configFile]);
    expect(uses.stderr).toBe('hearth: --uses must be a whole number from 1 to 100\n');
    const unknown = await runCli(['invite', 'send', '--config', configFile]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown invite command "send"/);
  });
});

describe('hearth invite with the server running', { timeout: 30_000 }, () => {
  it('makes the invitation through the server, whose page then answers, and withdraws it', async () => {
    makeCircle('Family');
    running = await serve(['--config', configFile]);
    // The admin port was 0 in the file; point the command at the real one.
    edit((c) => (c.ports.admin = running!.ports.admin));

    const created = await runCli(['invite', 'create', '--circle', 'Family', '--label', 'for Grandma', '--config', configFile]);
    expect(created.stderr, running.output()).toBe('');
    const link = new RegExp(`https://localhost:${running.ports.https}/invite/[A-Za-z0-9]{22}`).exec(created.stdout)?.[0];
    expect(link, created.stdout).toBeDefined();
    expect((await fetch(link!)).status).toBe(200);

    const listed = await runCli(['invite', 'list', '--config', configFile]);
    const id = /^([0-9a-f]{12})\tuser \(for Grandma\), 0 of 1 used, valid until .*, circles: Family\t/.exec(listed.stdout)?.[1];
    expect(id, listed.stdout).toBeDefined();

    const revoked = await runCli(['invite', 'revoke', id!, '--config', configFile]);
    expect(revoked.stdout).toBe(`Withdrawn: invitation ${id} no longer works.\n`);
    expect((await fetch(link!)).status).toBe(404);
  });
});
