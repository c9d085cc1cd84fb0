// The storage manager: one database, one repository per concern.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AccountRepository } from './accounts.js';
import { ArchiveStore } from './archive.js';
import { CircleRepository } from './circles.js';
import { openDatabase, type Db } from './database.js';
import { InviteRepository } from './invites.js';
import { KeyValueStore } from './keyval.js';
import { OfflineRepository } from './offline.js';
import { PubsubRepository } from './pubsub.js';
import { RosterRepository } from './roster.js';
import { UploadRepository } from './uploads.js';

export interface Storage {
  db: Db;
  accounts: AccountRepository;
  roster: RosterRepository;
  offline: OfflineRepository;
  /** PEP nodes and items (XEP-0163). */
  pubsub: PubsubRepository;
  /** Shared contact groups (the circles module keeps rosters in step). */
  circles: CircleRepository;
  /** Invitations (XEP-0401, XEP-0379, XEP-0445). */
  invites: InviteRepository;
  /** File upload slots and the files stored for them (XEP-0363; the bytes are in <dataDir>/uploads). */
  uploads: UploadRepository;
  /** A per-module key-value store (DESIGN.md: mod.store(name, 'keyval')). */
  keyval(module: string): KeyValueStore;
  /** A named message archive (DESIGN.md: mod.store(name, 'archive')). */
  archive(name: string): ArchiveStore;
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
    pubsub: new PubsubRepository(db),
    circles: new CircleRepository(db),
    invites: new InviteRepository(db),
    uploads: new UploadRepository(db),
    keyval: (module) => new KeyValueStore(db, module),
    archive: (name) => new ArchiveStore(db, name),
    secret(name) {
      insertSecret.run(name, randomBytes(32));
      return selectSecret.get(name)!.value;
    },
    close: () => db.close(),
  };
}
