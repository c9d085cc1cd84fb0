// The storage manager: one database, one repository per concern.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AccountRepository } from './accounts.js';
import { openDatabase, type Db } from './database.js';
import { KeyValueStore } from './keyval.js';
import { OfflineRepository } from './offline.js';
import { RosterRepository } from './roster.js';

export interface Storage {
  db: Db;
  accounts: AccountRepository;
  roster: RosterRepository;
  offline: OfflineRepository;
  /** A per-module key-value store (DESIGN.md: mod.store(name, 'keyval')). */
  keyval(module: string): KeyValueStore;
  /** A random secret created once per server, e.g. to derive fake SCRAM salts for unknown users. */
  secret(name: string): Buffer;
  close(): void;
}

export function databasePath(dataDir: string): string {
  return join(dataDir, 'hearth.sqlite');
}

export function openStorage(dataDir: string, options: { scramIterations: number }): Storage {
  const db = openDatabase(databasePath(dataDir));
  const selectSecret = db.prepare<[string], { value: Buffer }>('SELECT value FROM server_secrets WHERE name = ?');
  const insertSecret = db.prepare('INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)');
  return {
    db,
    accounts: new AccountRepository(db, options.scramIterations),
    roster: new RosterRepository(db),
    offline: new OfflineRepository(db),
    keyval: (module) => new KeyValueStore(db, module),
    secret(name) {
      insertSecret.run(name, randomBytes(32));
      return selectSecret.get(name)!.value;
    },
    close: () => db.close(),
  };
}
