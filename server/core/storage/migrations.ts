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
  {
    version: 2,
    description: "message archive for mod.store(name, 'archive') (XEP-0313)",
    sql: `
      CREATE TABLE archive_items (
        id INTEGER PRIMARY KEY,
        store TEXT NOT NULL,
        owner TEXT NOT NULL,
        -- The other party: bare JID, and the resource when the stanza named one.
        with_jid TEXT NOT NULL,
        with_resource TEXT,
        -- The archive id clients see: random, so it reveals nothing (XEP-0359 §6).
        stanza_id TEXT NOT NULL UNIQUE,
        -- When the server archived it, in ms since the epoch.
        timestamp INTEGER NOT NULL,
        stanza TEXT NOT NULL
      );
      CREATE INDEX archive_items_by_time ON archive_items(store, owner, timestamp);
      CREATE INDEX archive_items_by_with ON archive_items(store, owner, with_jid, timestamp);
      -- An account's archives go with it, also when the CLI deletes it outside the server.
      -- Account archives are owned by the username; others (rooms) by a JID, which has an '@'
      -- no username can contain (RFC 7622 §3.3.1).
      CREATE TRIGGER archive_items_account_deleted AFTER DELETE ON accounts
      BEGIN
        DELETE FROM archive_items WHERE owner = OLD.username;
      END;
    `,
  },
  {
    version: 3,
    description: 'PEP nodes and items (XEP-0163, XEP-0060)',
    sql: `
      CREATE TABLE pubsub_nodes (
        owner TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        node TEXT NOT NULL,
        -- Node configuration as JSON, keyed by the pubsub#node_config field names without the
        -- "pubsub#" prefix (access_model, max_items, persist_items, send_last_published_item ...).
        config TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, node)
      ) WITHOUT ROWID;

      CREATE TABLE pubsub_items (
        -- Publication order: a re-published item gets a new seq and becomes the newest.
        seq INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,
        node TEXT NOT NULL,
        item_id TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        -- The payload element as XML; NULL for an item published without one.
        payload TEXT,
        UNIQUE (owner, node, item_id),
        FOREIGN KEY (owner, node) REFERENCES pubsub_nodes(owner, node) ON DELETE CASCADE
      );
      CREATE INDEX pubsub_items_by_seq ON pubsub_items(owner, node, seq);
    `,
  },
  {
    version: 4,
    description: 'persistent group chat rooms and their affiliations (XEP-0045)',
    sql: `
      CREATE TABLE muc_rooms (
        -- The room's bare JID (room@conference.<domain>).
        jid TEXT PRIMARY KEY,
        -- The room configuration as JSON (modules/muc/config-form.ts RoomConfig).
        config TEXT NOT NULL,
        -- The subject and who set it (occupant nick) when; NULL while none was ever set.
        subject TEXT,
        subject_nick TEXT,
        subject_at INTEGER,
        -- The room's vcard-temp (its avatar, XEP-0486) as XML, set by an owner.
        vcard TEXT,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE muc_affiliations (
        room TEXT NOT NULL REFERENCES muc_rooms(jid) ON DELETE CASCADE,
        -- A bare JID; 'none' is the absence of a row (XEP-0045 §5.2).
        jid TEXT NOT NULL,
        affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
        reason TEXT,
        PRIMARY KEY (room, jid)
      ) WITHOUT ROWID;
      CREATE INDEX muc_affiliations_by_jid ON muc_affiliations(jid);
    `,
  },
  {
    version: 5,
    description: 'circles (shared contact groups) and invitations (XEP-0401, XEP-0379, XEP-0445)',
    sql: `
      CREATE TABLE circles (
        id INTEGER PRIMARY KEY,
        -- Shown as the roster group everyone in the circle sees the others under.
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        -- The localpart of the circle's group chat at conference.<domain>; NULL without one.
        group_chat TEXT,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE circle_members (
        circle_id INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (circle_id, username)
      ) WITHOUT ROWID;
      CREATE INDEX circle_members_by_user ON circle_members(username);

      -- Roster items a circle put there (the contact was not in the roster before): they go
      -- when the two people no longer share a circle. Contacts people had anyway stay.
      CREATE TABLE circle_roster_links (
        username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
        -- A bare JID.
        contact TEXT NOT NULL,
        PRIMARY KEY (username, contact)
      ) WITHOUT ROWID;
      CREATE INDEX circle_roster_links_by_contact ON circle_roster_links(contact);

      CREATE TABLE invites (
        -- A public handle for lists, revocation and logs; never grants anything.
        id TEXT PRIMARY KEY,
        -- The secret in the links (XEP-0379 §4.1: at least 80 bits from a secure generator).
        token TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('account', 'contact')),
        -- The account the invitee becomes mutual contacts with; NULL for none.
        inviter TEXT REFERENCES accounts(username) ON DELETE CASCADE,
        -- A user name kept for the invitee (XEP-0445 §5); NULL lets them choose.
        username TEXT,
        role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user', 'limited')),
        max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
        uses INTEGER NOT NULL DEFAULT 0,
        -- A note for the admin ("for Grandma").
        label TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX invites_by_expiry ON invites(expires_at);

      CREATE TABLE invite_circles (
        invite_id TEXT NOT NULL REFERENCES invites(id) ON DELETE CASCADE,
        circle_id INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
        PRIMARY KEY (invite_id, circle_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    description: 'file upload slots and files (XEP-0363)',
    sql: `
      CREATE TABLE uploads (
        -- The slot's secret in its URLs (32 random bytes, base64url), and the file's name in <dataDir>/uploads.
        id TEXT PRIMARY KEY,
        -- The account that asked for the slot. No foreign key: when the account goes, the module
        -- deletes the files first, and needs these rows to find them.
        owner TEXT NOT NULL,
        filename TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size > 0),
        -- As the client declared it; NULL lets the upload's own Content-Type decide.
        content_type TEXT,
        requested_at INTEGER NOT NULL,
        -- NULL while the slot waits for its PUT; set once every byte is on disk.
        uploaded_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX uploads_by_owner ON uploads(owner, requested_at);
      CREATE INDEX uploads_by_upload_time ON uploads(uploaded_at);
    `,
  },
];
