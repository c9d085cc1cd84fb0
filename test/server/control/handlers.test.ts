// The control API's handlers against the real server: real SQLite in a temporary directory,
// real sessions from @xmpp/client, the config file on disk.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlEvents, ControlResult } from '../../../server/control/contract.js';
import { loadConfig } from '../../../server/config/load.js';
import { connectClient, startTestServer, stopQuietly, type TestServer } from '../../support/server.js';
import { disconnected } from '../../support/stanzas.js';

let t: TestServer;

beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.stop();
});

const request: TestServer['server']['control']['request'] = (name, input) => t.server.control.request(name, input);

function value<T>(result: ControlResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

function failure(result: ControlResult<unknown>): string {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const configFile = () => join(t.dataDir, 'hearth.json');
const savedConfig = () => JSON.parse(readFileSync(configFile(), 'utf8')) as Record<string, any>;

async function completeSetup(username = 'mum') {
  return value(await request('setup.complete', { domain: 'localhost', username }));
}

/** Resolves with the next event of that kind for which `match` holds. */
function nextEvent<E extends keyof ControlEvents>(event: E, match: (payload: ControlEvents[E]) => boolean = () => true, ms = 5000) {
  return new Promise<ControlEvents[E]>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${event} event came`));
    }, ms);
    const stop = t.server.control.subscribe(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      stop();
      resolve(payload);
    });
  });
}

describe('setup', () => {
  it('is needed until an admin account exists', async () => {
    t.addUser('grandpa');
    expect(value(await request('setup.status', {}))).toMatchObject({ needed: true, domain: 'localhost', registeredUsers: 1 });
    await completeSetup();
    expect(value(await request('setup.status', {})).needed).toBe(false);
    expect(value(await request('status', {})).setupNeeded).toBe(false);
  });

  it('creates the admin with a strong generated password that signs in over XMPP', async () => {
    const result = await completeSetup('Mum');
    expect(result.user).toMatchObject({ username: 'mum', jid: 'mum@localhost', role: 'admin' });
    expect(result.restartRequired).toBe(false);
    const password = result.generatedPassword!;
    expect(password.length).toBeGreaterThanOrEqual(16);
    const xmpp = connectClient(t.port('c2s'), 'mum', { password });
    await xmpp.start();
    await stopQuietly(xmpp);
  });

  it('pins the chosen domain in the config file, so a new host name cannot move everyone', async () => {
    await completeSetup();
    expect(savedConfig().domain).toBe('localhost');
  });

  it('saves another domain and says a restart is needed', async () => {
    const result = value(await request('setup.complete', { domain: 'Chat.Example.ORG', username: 'mum', password: 'a long password' }));
    expect(result).toMatchObject({ domain: 'chat.example.org', restartRequired: true, user: { jid: 'mum@chat.example.org' } });
    expect(result.generatedPassword).toBeUndefined();
    expect(savedConfig().domain).toBe('chat.example.org');
    expect(value(await request('status', {})).restartRequired).toBe(true);
  });

  it('explains a domain that is not valid, and creates nothing', async () => {
    expect(failure(await request('setup.complete', { domain: 'my server!', username: 'mum' }))).toContain('"my server!" is not a valid domain name');
    expect(t.server.storage.accounts.count()).toBe(0);
    expect(existsSync(configFile())).toBe(false);
  });

  it('is refused once an admin exists', async () => {
    await completeSetup();
    expect(failure(await request('setup.complete', { domain: 'localhost', username: 'dad' }))).toBe(
      'setup is already done: mum is an admin. Add more people on the Users page.',
    );
  });
});

describe('users', () => {
  it('adds a user with a generated password, shown once, that signs in', async () => {
    const { user, generatedPassword } = value(await request('users.add', { username: 'alice' }));
    expect(user).toMatchObject({ username: 'alice', jid: 'alice@localhost', role: 'user', online: false, devices: 0 });
    expect(generatedPassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    const alice = connectClient(t.port('c2s'), 'alice', { password: generatedPassword! });
    await alice.start();
    expect(value(await request('users.list', {}))).toEqual([expect.objectContaining({ username: 'alice', online: true, devices: 1 })]);
    await stopQuietly(alice);
  });

  it('uses the password given, and returns none', async () => {
    const result = value(await request('users.add', { username: 'bob', password: 'bobs own password', role: 'limited' }));
    expect(result.generatedPassword).toBeUndefined();
    expect(result.user.role).toBe('limited');
  });

  it('accepts the full address as the user name', async () => {
    expect(value(await request('users.add', { username: 'carol@localhost' })).user.username).toBe('carol');
  });

  it('refuses a user name that is taken, whatever its case', async () => {
    await request('users.add', { username: 'alice' });
    expect(failure(await request('users.add', { username: 'Alice' }))).toBe('there is already a user named alice');
  });

  it('explains why a user name is not allowed', async () => {
    expect(failure(await request('users.add', { username: 'alice smith' }))).toBe('that user name is not allowed: spaces cannot be used (try alice or alice.smith)');
    expect(failure(await request('users.add', { username: 'a<b>@c' }))).toBe('that user name is not allowed: < > @ cannot be used');
    expect(failure(await request('users.add', { username: '  ' }))).toBe('enter a user name');
    expect(failure(await request('users.add', { username: 'alice', password: 'short' }))).toBe('use at least 8 characters for the password');
    expect(failure(await request('users.add', { username: 'alice', role: 'owner' } as never))).toBe('choose a role: admin, user or limited');
    expect(failure(await request('users.add', { username: 'alice', admin: true } as never))).toBe('unknown field: admin');
    expect(failure(await request('users.add', { username: 42 } as never))).toBe('enter a user name');
  });

  it('names the field when a check has no message of its own', async () => {
    expect(failure(await request('circles.create', { name: 'Family', members: 'alice' } as never))).toBe('members must be an array');
    expect(failure(await request('circles.create', { name: 'Family', groupChat: 'yes' } as never))).toBe('groupChat must be true or false');
    expect(failure(await request('users.add', 42 as never))).toBe('the request must be an object');
  });

  it('answers an unknown request with an error, not an exception', async () => {
    expect(failure(await request('users.frobnicate' as never, {} as never))).toBe('there is no request named users.frobnicate');
  });

  it('removes a user, closes their sessions and tells listeners', async () => {
    t.addUser('alice');
    const alice = connectClient(t.port('c2s'), 'alice');
    await alice.start();
    const gone = disconnected(alice);
    const changed = nextEvent('users.changed', (c) => c.registeredUsers === 0 && c.onlineUsers === 0);
    expect(value(await request('users.remove', { username: 'alice' }))).toEqual({ username: 'alice' });
    await gone;
    await changed;
    expect(t.server.storage.accounts.exists('alice')).toBe(false);
    expect(t.server.sessions.sessionsOf('alice')).toEqual([]);
  });

  it('says so when removing someone who does not exist', async () => {
    expect(failure(await request('users.remove', { username: 'nobody' }))).toBe('there is no user named nobody');
  });

  it('never removes or demotes the last admin', async () => {
    await completeSetup();
    expect(failure(await request('users.remove', { username: 'mum' }))).toBe('mum is the only admin: make someone else an admin first');
    expect(failure(await request('users.setRole', { username: 'mum', role: 'user' }))).toBe('mum is the only admin: make someone else an admin first');
    await request('users.add', { username: 'dad', role: 'admin' });
    expect(value(await request('users.setRole', { username: 'mum', role: 'user' })).user.role).toBe('user');
    expect(value(await request('users.remove', { username: 'mum' }))).toEqual({ username: 'mum' });
  });

  it('resets a password: the new one works and devices on the old one are signed out', async () => {
    t.addUser('alice');
    const alice = connectClient(t.port('c2s'), 'alice');
    await alice.start();
    const gone = disconnected(alice);
    const { generatedPassword } = value(await request('users.setPassword', { username: 'alice' }));
    await gone;
    const again = connectClient(t.port('c2s'), 'alice', { password: generatedPassword! });
    await again.start();
    await stopQuietly(again);
    expect(failure(await request('users.setPassword', { username: 'nobody', password: 'a long password' }))).toBe('there is no user named nobody');
  });
});

describe('settings', () => {
  it('reports the running settings before anything is saved', async () => {
    expect(value(await request('settings.get', {}))).toEqual({
      settings: { domain: 'localhost', registrationOpen: false, archiveRetentionDays: 7, logLevel: 'info' },
      configFile: configFile(),
      restartRequired: false,
      domainEditable: true,
    });
  });

  it('saves changes to the config file, owner-only, and flags a restart', async () => {
    const result = value(await request('settings.set', { registrationOpen: true, archiveRetentionDays: 30, logLevel: 'warn' }));
    expect(result.changed.sort()).toEqual(['archiveRetentionDays', 'logLevel', 'registrationOpen']);
    expect(result.restartRequired).toBe(true);
    expect(savedConfig()).toEqual({ domain: 'localhost', registration: { open: true }, archive: { retentionDays: 30 }, log: { level: 'warn' } });
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    // The write went through a temporary file that is gone now.
    expect(readdirSync(t.dataDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(value(await request('settings.get', {})).settings.registrationOpen).toBe(true);
    const status = value(await request('status', {}));
    expect(status.restartRequired).toBe(true);
    expect(status.warnings.map((w) => w.id)).toContain('restart-required');
    // The running server is unchanged until it restarts.
    expect(t.server.config.registration.open).toBe(false);
  });

  it('keeps every other key of an existing config file, and the file loads', async () => {
    writeFileSync(configFile(), JSON.stringify({ domain: 'localhost', ports: { c2s: 15222 }, limits: { maxRosterItems: 50 }, registration: { open: false } }));
    value(await request('settings.set', { registrationOpen: true }));
    expect(savedConfig()).toEqual({ domain: 'localhost', ports: { c2s: 15222 }, limits: { maxRosterItems: 50 }, registration: { open: true } });
    const loaded = loadConfig({ dataDir: t.dataDir });
    expect(loaded.ok && loaded.config.registration.open).toBe(true);
  });

  it('saving the running values again needs no restart', async () => {
    const result = value(await request('settings.set', { archiveRetentionDays: 7 }));
    expect(result).toMatchObject({ changed: [], restartRequired: false });
  });

  it('refuses values out of bounds, with the reason', async () => {
    expect(failure(await request('settings.set', { archiveRetentionDays: -1 }))).toBe('days to keep messages cannot be negative');
    expect(failure(await request('settings.set', { archiveRetentionDays: 1.5 }))).toBe('enter a whole number of days');
    expect(failure(await request('settings.set', { archiveRetentionDays: 'ten' } as never))).toBe('enter the number of days to keep messages');
    expect(failure(await request('settings.set', { logLevel: 'loud' } as never))).toBe('choose a log level: debug, info, warn or error');
    expect(failure(await request('settings.set', { ports: { c2s: 1 } } as never))).toBe('unknown field: ports');
    expect(existsSync(configFile())).toBe(false);
  });

  it('lets the domain change during setup only', async () => {
    expect(value(await request('settings.set', { domain: 'home.example.org' })).changed).toEqual(['domain']);
    await completeSetup();
    expect(value(await request('settings.get', {})).domainEditable).toBe(false);
    expect(failure(await request('settings.set', { domain: 'other.example.org' }))).toBe(
      'the domain can only be chosen during setup: changing it later would change the address of everyone on this server',
    );
  });

  it('reports a config file broken by hand instead of overwriting it', async () => {
    writeFileSync(configFile(), '{ "domain": ');
    expect(failure(await request('settings.set', { registrationOpen: true }))).toContain('is not valid JSON');
    expect(readFileSync(configFile(), 'utf8')).toBe('{ "domain": ');
  });
});

describe('restart', () => {
  it('is refused when nobody can restart this server', async () => {
    expect(failure(await request('server.restart', {}))).toBe('this Hearth cannot restart itself: stop it and start it again');
    expect(value(await request('status', {})).canRestart).toBe(false);
  });
});

describe('status', () => {
  it('adds what the dashboard needs to the server status', async () => {
    const status = value(await request('status', {}));
    expect(status).toMatchObject({ domain: 'localhost', registeredUsers: 0, onlineUsers: 0, setupNeeded: true, restartRequired: false, certificate: { selfSigned: false } });
    expect(status.listeners.map((l) => l.name)).toEqual(['c2s', 'c2sTls', 'https', 'http', 's2s', 'admin']);
    // The test certificate is valid for a week: close enough to expiry to warn.
    expect(status.warnings.map((w) => w.id)).toEqual(['setup-needed', 'certificate-expiring']);
    expect(status.certificate.expiresAt).toBeGreaterThan(Date.now());
  });

  it('tells listeners when someone signs in and out', async () => {
    t.addUser('alice');
    const online = nextEvent('users.changed', (c) => c.onlineUsers === 1);
    const alice = connectClient(t.port('c2s'), 'alice');
    await alice.start();
    expect(await online).toEqual({ registeredUsers: 1, onlineUsers: 1 });
    const offline = nextEvent('status', (s) => s.onlineUsers === 0);
    await stopQuietly(alice);
    expect((await offline).registeredUsers).toBe(1);
  });
});
