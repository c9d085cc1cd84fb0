import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, serve, writeTestConfigFile } from '../support/cli.js';
import { connectClient, stopQuietly } from '../support/server.js';

let dir: string;
let configFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
  configFile = writeTestConfigFile(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hearth user', () => {
  it('adds a user with the password from standard input and lists it', async () => {
    const added = await runCli(['user', 'add', 'Alice', '--config', configFile], { input: 'a good password\n' });
    expect(added.stdout).toContain('Created alice@localhost (user).');
    expect(added.code).toBe(0);
    const listed = await runCli(['user', 'list', '--json', '--config', configFile]);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ username: 'alice', role: 'user', jid: 'alice@localhost' }]);
  });

  it('refuses a password shorter than 8 characters', async () => {
    const added = await runCli(['user', 'add', 'bob', '--config', configFile], { input: 'short\n' });
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('at least 8 characters');
  });

  it('refuses an invalid user name', async () => {
    const added = await runCli(['user', 'add', 'bad name', '--config', configFile], { input: 'a good password\n' });
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('is not a valid user name');
  });

  it('changes a password and deletes a user', async () => {
    await runCli(['user', 'add', 'carol', '--role', 'admin', '--config', configFile], { input: 'first password\n' });
    const changed = await runCli(['user', 'passwd', 'carol', '--config', configFile], { input: 'second password\n' });
    expect(changed.code).toBe(0);
    const deleted = await runCli(['user', 'del', 'carol', '--config', configFile]);
    expect(deleted.stdout).toContain('Deleted carol@localhost.');
    const again = await runCli(['user', 'del', 'carol', '--config', configFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('there is no account carol@localhost');
  });
});

describe('configuration errors', () => {
  it('names the key of a bad value', async () => {
    writeFileSync(configFile, JSON.stringify({ ports: { c2s: 'five' }, registration: { open: 'yes' } }));
    const result = await runCli(['status', '--config', configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ports.c2s');
    expect(result.stderr).toContain('registration.open');
  });

  it('names an unknown key', async () => {
    writeFileSync(configFile, JSON.stringify({ domian: 'example.org' }));
    const result = await runCli(['status', '--config', configFile]);
    expect(result.stderr).toContain('domian: unknown setting');
  });

  it('reports a config file that is not JSON', async () => {
    writeFileSync(configFile, '{ domain: ');
    const result = await runCli(['status', '--config', configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not valid JSON');
  });
});

describe('hearth serve and status', () => {
  it('reports a stopped server with its registered users', async () => {
    await runCli(['user', 'add', 'alice', '--config', configFile], { input: 'a good password\n' });
    const result = await runCli(['status', '--json', '--config', configFile]);
    expect(JSON.parse(result.stdout)).toMatchObject({ running: false, registeredUsers: 1 });
    expect(result.code).toBe(3);
  });

  it('serves clients, reports online users, and stops cleanly on SIGTERM', async () => {
    await runCli(['user', 'add', 'alice', '--config', configFile], { input: 'a good password\n' });
    const server = await serve(['--config', configFile]);
    // The admin port was 0 in the file; point status at the real one.
    const config = JSON.parse((await import('node:fs')).readFileSync(configFile, 'utf8'));
    config.ports.admin = server.ports.admin;
    writeFileSync(configFile, JSON.stringify(config));

    const alice = connectClient(server.ports.c2s!, 'alice', { password: 'a good password' });
    await alice.start();
    const status = await runCli(['status', '--json', '--config', configFile]);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, domain: 'localhost', registeredUsers: 1, onlineUsers: 1 });
    await stopQuietly(alice);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopped');
  });
});
