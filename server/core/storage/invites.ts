// Invitations (migration 5): account invites (register on this server, XEP-0401 §5.4 and
// XEP-0445) and contact invites (become someone's contact, XEP-0379, and register if new).
// The token is the secret in the links; `id` is the harmless handle lists and logs use.
import { randomBytes, randomInt } from 'node:crypto';
import type { Role } from './accounts.js';
import type { Db } from './database.js';

export type InviteKind = 'account' | 'contact';

export interface Invite {
  id: string;
  token: string;
  kind: InviteKind;
  /** The account the invitee becomes mutual contacts with. */
  inviter: string | undefined;
  /** A user name kept for the invitee; undefined lets them choose. */
  username: string | undefined;
  /** The role a new account gets. */
  role: Role;
  maxUses: number;
  uses: number;
  label: string | undefined;
  createdAt: number;
  expiresAt: number;
  /** Circles a new account joins. */
  circles: number[];
}

export interface NewInvite {
  kind: InviteKind;
  inviter?: string | undefined;
  username?: string | undefined;
  role?: Role;
  maxUses?: number;
  label?: string | undefined;
  expiresAt: number;
  circles?: number[];
}

interface InviteRow {
  id: string;
  token: string;
  kind: InviteKind;
  inviter: string | null;
  username: string | null;
  role: Role;
  max_uses: number;
  uses: number;
  label: string | null;
  created_at: number;
  expires_at: number;
}

const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 22 characters of 62: about 131 bits, well above XEP-0379 §4.1's 80, and alphanumeric for URIs. */
const tokenLength = 22;

export function newInviteToken(): string {
  let token = '';
  for (let i = 0; i < tokenLength; i++) token += tokenAlphabet[randomInt(tokenAlphabet.length)];
  return token;
}

/** Whether `text` could be a token at all: checked before any lookup, so junk never reaches SQL or logs. */
export function looksLikeInviteToken(text: string): boolean {
  return /^[A-Za-z0-9]{16,64}$/.test(text);
}

export class InviteRepository {
  private readonly selectAll;
  private readonly selectById;
  private readonly selectByToken;
  private readonly selectCircles;
  private readonly selectAllCircles;
  private readonly selectReserved;
  private readonly insert;
  private readonly insertCircle;
  private readonly remove;
  private readonly takeUse;
  private readonly returnUse;
  private readonly removeExpired;

  constructor(private readonly db: Db) {
    this.selectAll = db.prepare<[], InviteRow>('SELECT * FROM invites ORDER BY created_at DESC, id');
    this.selectById = db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE id = ?');
    this.selectByToken = db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE token = ?');
    this.selectCircles = db.prepare<[string], { circle_id: number }>('SELECT circle_id FROM invite_circles WHERE invite_id = ? ORDER BY circle_id');
    this.selectAllCircles = db.prepare<[], { invite_id: string; circle_id: number }>('SELECT invite_id, circle_id FROM invite_circles ORDER BY circle_id');
    this.selectReserved = db.prepare<[string, number], { id: string }>(
      'SELECT id FROM invites WHERE username = ? AND expires_at > ? AND uses < max_uses LIMIT 1',
    );
    this.insert = db.prepare(
      `INSERT INTO invites (id, token, kind, inviter, username, role, max_uses, uses, label, created_at, expires_at)
       VALUES (@id, @token, @kind, @inviter, @username, @role, @max_uses, 0, @label, @created_at, @expires_at)`,
    );
    this.insertCircle = db.prepare('INSERT INTO invite_circles (invite_id, circle_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.remove = db.prepare('DELETE FROM invites WHERE id = ?');
    this.takeUse = db.prepare('UPDATE invites SET uses = uses + 1 WHERE id = ? AND uses < max_uses');
    this.returnUse = db.prepare('UPDATE invites SET uses = uses - 1 WHERE id = ? AND uses > 0');
    this.removeExpired = db.prepare('DELETE FROM invites WHERE expires_at <= ?');
  }

  create(invite: NewInvite, now = Date.now()): Invite {
    const id = randomBytes(6).toString('hex');
    const token = newInviteToken();
    const row = {
      id,
      token,
      kind: invite.kind,
      inviter: invite.inviter ?? null,
      username: invite.username ?? null,
      role: invite.role ?? 'user',
      max_uses: invite.maxUses ?? 1,
      label: invite.label ?? null,
      created_at: now,
      expires_at: invite.expiresAt,
    };
    this.db.transaction(() => {
      this.insert.run(row);
      for (const circle of invite.circles ?? []) this.insertCircle.run(id, circle);
    })();
    return this.byId(id)!;
  }

  list(): Invite[] {
    const circles = new Map<string, number[]>();
    for (const row of this.selectAllCircles.all()) circles.set(row.invite_id, [...(circles.get(row.invite_id) ?? []), row.circle_id]);
    return this.selectAll.all().map((row) => toInvite(row, circles.get(row.id) ?? []));
  }

  byId(id: string): Invite | undefined {
    const row = this.selectById.get(id);
    return row && toInvite(row, this.circlesOf(row.id));
  }

  byToken(token: string): Invite | undefined {
    if (!looksLikeInviteToken(token)) return undefined;
    const row = this.selectByToken.get(token);
    return row && toInvite(row, this.circlesOf(row.id));
  }

  /** Whether an invite that can still be used keeps this user name for its invitee (XEP-0445 §5). */
  isReserved(username: string, now = Date.now()): boolean {
    return this.selectReserved.get(username, now) !== undefined;
  }

  revoke(id: string): boolean {
    return this.remove.run(id).changes === 1;
  }

  /**
   * Counts one use, if one is left; false otherwise. Call inside the transaction that creates
   * what the invite was for, so a failure gives the use back (XEP-0445 §4: a single-use token is
   * used only once registration succeeded).
   */
  use(id: string): boolean {
    return this.takeUse.run(id).changes === 1;
  }

  /** Gives a use back (what it was for did not happen). */
  giveBack(id: string): void {
    this.returnUse.run(id);
  }

  /** Deletes invites that expired by `now`; returns how many. */
  deleteExpired(now = Date.now()): number {
    return this.removeExpired.run(now).changes;
  }

  private circlesOf(id: string): number[] {
    return this.selectCircles.all(id).map((row) => row.circle_id);
  }
}

/** Why an invite cannot be used any more, or undefined while it can. */
export function inviteUnusableReason(invite: Invite, now = Date.now()): 'expired' | 'used' | undefined {
  if (invite.expiresAt <= now) return 'expired';
  if (invite.uses >= invite.maxUses) return 'used';
  return undefined;
}

function toInvite(row: InviteRow, circles: number[]): Invite {
  return {
    id: row.id,
    token: row.token,
    kind: row.kind,
    inviter: row.inviter ?? undefined,
    username: row.username ?? undefined,
    role: row.role,
    maxUses: row.max_uses,
    uses: row.uses,
    label: row.label ?? undefined,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    circles,
  };
}
