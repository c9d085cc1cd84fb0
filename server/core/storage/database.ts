// Opening the SQLite database: pragmas for durability and concurrency, then migrations.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations as defaultMigrations, type Migration } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(file: string, migrations: Migration[] = defaultMigrations): Db {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  // Password keys live here: owner-only, set before the WAL exists (SQLite gives it the same mode).
  chmodSync(file, 0o600);
  // WAL lets the CLI read while the server writes. synchronous=NORMAL in WAL mode keeps every
  // committed transaction across a process kill (the WAL is written before commit returns);
  // only an OS crash or power cut can lose the last few.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Deleted rows (expired messages, delivered offline messages, deleted accounts) are overwritten
  // with zeros instead of lingering in free pages, so "deleted after N days" holds for the file's
  // bytes too (issue 11).
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, migrations: Migration[]): void {
  const current = schemaVersion(db);
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(`the database was written by a newer Hearth (schema ${current}, this version knows ${newest}); upgrade Hearth`);
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
