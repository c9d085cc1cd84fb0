// Numbered schema migrations. Append only: a released migration is never edited, because
// databases in the field have already run it. Each runs in its own transaction.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'accounts, roster, offline messages, server secrets, module key-value store',
    sql: `
      CREATE TABLE accounts (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user', 'limited')),
        created_at INTEGER NOT NULL,
        -- SCRAM (RFC 5802) salted keys; the password itself is never stored.
        salt BLOB NOT NULL,
        iterations INTEGER NOT NULL,
        sha1_stored_key BLOB NOT NULL,
        sha1_server_key BLOB NOT NULL,
        sha256_stored_key BLOB NOT NULL,
        sha256_server_key BLOB NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE roster_items (
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        contact TEXT NOT NULL,
        name TEXT,
        subscription TEXT NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'to', 'from', 'both')),
        ask_out INTEGER NOT NULL DEFAULT 0,
        -- The inbound subscription request waiting for the user's answer (RFC 6121 §3.1.3), as XML;
        -- NULL when none is pending.
        pending_in TEXT,
        pre_approved INTEGER NOT NULL DEFAULT 0,
        -- 0 while the item only holds server-side state the user has not put in the roster.
        listed INTEGER NOT NULL DEFAULT 1,
        groups TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (username, contact)
      ) WITHOUT ROWID;

      CREATE TABLE roster_versions (
        username TEXT PRIMARY KEY REFERENCES accounts(username) ON DELETE CASCADE,
        version INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE offline_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        stanza TEXT NOT NULL,
        stored_at INTEGER NOT NULL
      );
      CREATE INDEX offline_messages_by_user ON offline_messages(username, id);

      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE module_keyval (
        module TEXT NOT NULL,
        owner TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (module, owner, key)
      ) WITHOUT ROWID;
    `,
  },
];
