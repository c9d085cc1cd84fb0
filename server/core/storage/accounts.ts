// Accounts: usernames, roles and SCRAM credentials. Passwords are SASLprepped and turned into
// salted keys (RFC 5802 §3) here; nothing reversible is ever stored.
import { randomBytes } from 'node:crypto';
import { deriveScramCredentials, type ScramCredentials, type ScramHash } from '../../util/scram.js';
import type { Db } from './database.js';
import { saslprep } from '../../util/saslprep.js';

export type Role = 'admin' | 'user' | 'limited';
export const roles: readonly Role[] = ['admin', 'user', 'limited'];

export interface Account {
  username: string;
  role: Role;
  createdAt: number;
}

interface AccountRow {
  username: string;
  role: Role;
  created_at: number;
  salt: Buffer;
  iterations: number;
  sha1_stored_key: Buffer;
  sha1_server_key: Buffer;
  sha256_stored_key: Buffer;
  sha256_server_key: Buffer;
}

/** The columns an Account needs: the credential blobs would be five Buffers per row for nothing. */
type AccountSummaryRow = Pick<AccountRow, 'username' | 'role' | 'created_at'>;

export type PasswordCheck = { ok: true; prepared: string } | { ok: false; reason: string };

/** Rules for a new password: SASLprep must accept it (RFC 4013) and it must not be trivially short. */
export function preparePassword(password: string): PasswordCheck {
  let prepared: string;
  try {
    prepared = saslprep(password);
  } catch {
    return { ok: false, reason: 'the password contains characters that are not allowed (control or unassigned characters)' };
  }
  if (prepared.length < 8) return { ok: false, reason: 'the password must be at least 8 characters long' };
  if (Buffer.byteLength(prepared) > 1024) return { ok: false, reason: 'the password is longer than 1024 bytes' };
  return { ok: true, prepared };
}

export class AccountRepository {
  private readonly selectOne;
  private readonly selectSummary;
  private readonly selectExists;
  private readonly selectAll;
  private readonly countRole;
  private readonly insert;
  private readonly updateCredentials;
  private readonly updateRole;
  private readonly remove: (username: string) => boolean;
  private readonly countAll;

  constructor(
    db: Db,
    private readonly iterations: number,
  ) {
    this.selectOne = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE username = ?');
    // get(), exists() and list() run on hot paths (every archived message, the status the UI
    // polls); they read only what they return.
    this.selectSummary = db.prepare<[string], AccountSummaryRow>('SELECT username, role, created_at FROM accounts WHERE username = ?');
    this.selectExists = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM accounts WHERE username = ?');
    this.selectAll = db.prepare<[], AccountSummaryRow>('SELECT username, role, created_at FROM accounts ORDER BY username');
    this.countRole = db.prepare<[Role], { n: number }>('SELECT COUNT(*) AS n FROM accounts WHERE role = ?');
    this.insert = db.prepare(
      `INSERT INTO accounts (username, role, created_at, salt, iterations, sha1_stored_key, sha1_server_key, sha256_stored_key, sha256_server_key)
       VALUES (@username, @role, @created_at, @salt, @iterations, @sha1_stored_key, @sha1_server_key, @sha256_stored_key, @sha256_server_key)
       ON CONFLICT (username) DO NOTHING`,
    );
    this.updateCredentials = db.prepare(
      `UPDATE accounts SET salt = @salt, iterations = @iterations, sha1_stored_key = @sha1_stored_key, sha1_server_key = @sha1_server_key,
       sha256_stored_key = @sha256_stored_key, sha256_server_key = @sha256_server_key WHERE username = @username`,
    );
    this.updateRole = db.prepare('UPDATE accounts SET role = ? WHERE username = ?');
    const removeAccount = db.prepare('DELETE FROM accounts WHERE username = ?');
    // Module key-value rows are keyed by owner without a foreign key; they go with the account,
    // whoever deletes it (the CLI does not run the server's user-deleted event).
    const removeModuleData = db.prepare('DELETE FROM module_keyval WHERE owner = ?');
    this.remove = db.transaction((username: string) => {
      const { changes } = removeAccount.run(username);
      if (changes === 1) removeModuleData.run(username);
      return changes === 1;
    });
    this.countAll = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM accounts');
  }

  get(username: string): Account | undefined {
    const row = this.selectSummary.get(username);
    return row && toAccount(row);
  }

  exists(username: string): boolean {
    return this.selectExists.get(username) !== undefined;
  }

  list(): Account[] {
    return this.selectAll.all().map(toAccount);
  }

  count(): number {
    return this.countAll.get()!.n;
  }

  /** How many accounts have this role (the status asks whether any admin exists). */
  countWithRole(role: Role): number {
    return this.countRole.get(role)!.n;
  }

  /** Creates the account; false if the username is taken. `password` must come from preparePassword. */
  create(username: string, preparedPassword: string, role: Role = 'user', now = Date.now()): boolean {
    const result = this.insert.run({ username, role, created_at: now, ...this.credentialColumns(preparedPassword) }) as { changes: number };
    return result.changes === 1;
  }

  setPassword(username: string, preparedPassword: string): boolean {
    return this.updateCredentials.run({ username, ...this.credentialColumns(preparedPassword) }).changes === 1;
  }

  setRole(username: string, role: Role): boolean {
    return this.updateRole.run(role, username).changes === 1;
  }

  /** Deletes the account and everything stored for it (rows of other tables go by foreign key or trigger). */
  delete(username: string): boolean {
    return this.remove(username);
  }

  scramCredentials(username: string, hash: ScramHash): ScramCredentials | undefined {
    const row = this.selectOne.get(username);
    if (!row) return undefined;
    return hash === 'sha1'
      ? { salt: row.salt, iterations: row.iterations, storedKey: row.sha1_stored_key, serverKey: row.sha1_server_key }
      : { salt: row.salt, iterations: row.iterations, storedKey: row.sha256_stored_key, serverKey: row.sha256_server_key };
  }

  private credentialColumns(preparedPassword: string) {
    const salt = randomBytes(16);
    const sha1 = deriveScramCredentials('sha1', preparedPassword, salt, this.iterations);
    const sha256 = deriveScramCredentials('sha256', preparedPassword, salt, this.iterations);
    return {
      salt,
      iterations: this.iterations,
      sha1_stored_key: sha1.storedKey,
      sha1_server_key: sha1.serverKey,
      sha256_stored_key: sha256.storedKey,
      sha256_server_key: sha256.serverKey,
    };
  }
}

function toAccount(row: AccountSummaryRow): Account {
  return { username: row.username, role: row.role, createdAt: row.created_at };
}
