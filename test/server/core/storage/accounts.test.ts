import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { preparePassword } from '../../../../server/core/storage/accounts.js';
import { schemaVersion } from '../../../../server/core/storage/database.js';
import { databasePath, openStorage, type Storage } from '../../../../server/core/storage/index.js';
import { migrations } from '../../../../server/core/storage/migrations.js';
import { verifyPassword } from '../../../../server/util/scram.js';

let dir: string;
let storage: Storage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  storage = openStorage(dir, { scramIterations: 4096 });
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('account storage', () => {
  it('runs every migration on a new database', () => {
    expect(schemaVersion(storage.db)).toBe(migrations.at(-1)!.version);
    expect(storage.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('never stores the password, only salted SCRAM keys that verify it', () => {
    const password = 'a very distinctive password 7421';
    storage.accounts.create('alice', password);
    storage.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(databasePath(dir));
    expect(bytes.includes(Buffer.from(password))).toBe(false);
    const sha256 = storage.accounts.scramCredentials('alice', 'sha256')!;
    expect(verifyPassword('sha256', password, sha256)).toBe(true);
    expect(verifyPassword('sha256', 'another password', sha256)).toBe(false);
    expect(verifyPassword('sha1', password, storage.accounts.scramCredentials('alice', 'sha1')!)).toBe(true);
  });

  it('refuses a second account with the same name', () => {
    expect(storage.accounts.create('bob', 'password one')).toBe(true);
    expect(storage.accounts.create('bob', 'password two')).toBe(false);
  });

  it('uses a fresh salt for every password', () => {
    storage.accounts.create('carol', 'same password');
    storage.accounts.create('dave', 'same password');
    expect(storage.accounts.scramCredentials('carol', 'sha256')!.salt).not.toEqual(storage.accounts.scramCredentials('dave', 'sha256')!.salt);
  });

  it('deletes an account with its roster and offline messages', () => {
    storage.accounts.create('erin', 'a good password');
    storage.offline.store('erin', '<message/>');
    storage.roster.save('erin', { contact: 'frank@localhost', name: undefined, groups: [], listed: true, subscription: 'none', askOut: false, pendingIn: false, preApproved: false, pendingInStanza: undefined }, true);
    expect(storage.accounts.delete('erin')).toBe(true);
    expect(storage.offline.count('erin')).toBe(0);
    expect(storage.roster.items('erin')).toEqual([]);
  });

  it('keeps the data across a reopen', () => {
    storage.accounts.create('gina', 'a good password', 'admin');
    storage.close();
    storage = openStorage(dir, { scramIterations: 4096 });
    expect(storage.accounts.get('gina')).toMatchObject({ username: 'gina', role: 'admin' });
  });

  it('lists and counts accounts by role without their credentials', () => {
    storage.accounts.create('hana', 'a good password', 'admin', 1000);
    storage.accounts.create('ivan', 'a good password', 'limited', 2000);
    expect(storage.accounts.list()).toEqual([
      { username: 'hana', role: 'admin', createdAt: 1000 },
      { username: 'ivan', role: 'limited', createdAt: 2000 },
    ]);
    expect(storage.accounts.get('ivan')).toEqual({ username: 'ivan', role: 'limited', createdAt: 2000 });
    expect(storage.accounts.exists('hana')).toBe(true);
    expect(storage.accounts.exists('nobody')).toBe(false);
    expect(storage.accounts.countWithRole('admin')).toBe(1);
    expect(storage.accounts.countWithRole('user')).toBe(0);
  });

  it('applies SASLprep to new passwords and refuses short ones', () => {
    expect(preparePassword('I\u00ADX sh')).toEqual({ ok: false, reason: 'the password must be at least 8 characters long' });
    expect(preparePassword('pass\u00A0word long')).toEqual({ ok: true, prepared: 'pass word long' });
    expect(preparePassword('bad\u0007password').ok).toBe(false);
  });
});

describe('database file', () => {
  it('is readable only by its owner', () => {
    expect(statSync(databasePath(dir)).mode & 0o777).toBe(0o600);
  });
});

describe('account deletion', () => {
  it('also removes what modules stored for the account', () => {
    storage.accounts.create('hana', 'a good password');
    storage.keyval('vcard').set('hana', 'vcard', { fn: 'Hana' });
    storage.keyval('vcard').set('ivan', 'vcard', { fn: 'Ivan' });
    storage.accounts.delete('hana');
    expect(storage.keyval('vcard').get('hana', 'vcard')).toBeUndefined();
    expect(storage.keyval('vcard').get('ivan', 'vcard')).toEqual({ fn: 'Ivan' });
  });
});
