// Circles (migration 5): shared contact groups. Everyone in a circle has everyone else in their
// roster under the circle's name; the circles module keeps rosters in step with what is stored
// here. The repository only stores: it never touches rosters.
import type { Db } from './database.js';

export interface Circle {
  id: number;
  name: string;
  /** The localpart of its group chat at conference.<domain>, when it has one. */
  groupChat: string | undefined;
  createdAt: number;
  /** Usernames, sorted. */
  members: string[];
}

interface CircleRow {
  id: number;
  name: string;
  group_chat: string | null;
  created_at: number;
}

export const maxCircleNameLength = 64;

/** A circle name as typed, tidied, or why it cannot be used (it becomes a roster group name). */
export function prepareCircleName(typed: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = typed.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (name === '') return { ok: false, reason: 'enter a name for the circle' };
  if ([...name].length > maxCircleNameLength) return { ok: false, reason: `a circle name has at most ${maxCircleNameLength} characters` };
  if (/\p{Cc}|\p{Cs}|\p{Co}|\p{Cn}/u.test(name)) return { ok: false, reason: 'a circle name cannot contain control characters' };
  return { ok: true, name };
}

export class CircleRepository {
  private readonly selectAll;
  private readonly selectOne;
  private readonly selectByName;
  private readonly selectMembers;
  private readonly selectAllMembers;
  private readonly selectCirclesOf;
  private readonly insertCircle;
  private readonly updateName;
  private readonly updateGroupChat;
  private readonly removeCircle;
  private readonly insertMember;
  private readonly deleteMember;
  private readonly countShared;
  private readonly insertLink;
  private readonly removeLink;
  private readonly selectLink;
  private readonly selectLinksTo;
  private readonly selectAllLinks;

  constructor(private readonly db: Db) {
    this.selectAll = db.prepare<[], CircleRow>('SELECT * FROM circles ORDER BY name COLLATE NOCASE');
    this.selectOne = db.prepare<[number], CircleRow>('SELECT * FROM circles WHERE id = ?');
    this.selectByName = db.prepare<[string], CircleRow>('SELECT * FROM circles WHERE name = ?');
    this.selectMembers = db.prepare<[number], { username: string }>('SELECT username FROM circle_members WHERE circle_id = ? ORDER BY username');
    this.selectAllMembers = db.prepare<[], { circle_id: number; username: string }>('SELECT circle_id, username FROM circle_members ORDER BY username');
    this.selectCirclesOf = db.prepare<[string], { circle_id: number }>('SELECT circle_id FROM circle_members WHERE username = ?');
    this.insertCircle = db.prepare<[string, string | null, number], { id: number }>(
      'INSERT INTO circles (name, group_chat, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id',
    );
    this.updateName = db.prepare('UPDATE circles SET name = ? WHERE id = ?');
    this.updateGroupChat = db.prepare('UPDATE circles SET group_chat = ? WHERE id = ?');
    this.removeCircle = db.prepare('DELETE FROM circles WHERE id = ?');
    this.insertMember = db.prepare('INSERT INTO circle_members (circle_id, username, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.deleteMember = db.prepare('DELETE FROM circle_members WHERE circle_id = ? AND username = ?');
    this.countShared = db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM circle_members a JOIN circle_members b ON a.circle_id = b.circle_id
       WHERE a.username = ? AND b.username = ?`,
    );
    this.insertLink = db.prepare('INSERT INTO circle_roster_links (username, contact) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.removeLink = db.prepare('DELETE FROM circle_roster_links WHERE username = ? AND contact = ?');
    this.selectLink = db.prepare<[string, string], { username: string }>('SELECT username FROM circle_roster_links WHERE username = ? AND contact = ?');
    this.selectLinksTo = db.prepare<[string], { username: string }>('SELECT username FROM circle_roster_links WHERE contact = ?');
    this.selectAllLinks = db.prepare<[], { username: string; contact: string }>('SELECT username, contact FROM circle_roster_links');
  }

  list(): Circle[] {
    const members = new Map<number, string[]>();
    for (const row of this.selectAllMembers.all()) members.set(row.circle_id, [...(members.get(row.circle_id) ?? []), row.username]);
    return this.selectAll.all().map((row) => toCircle(row, members.get(row.id) ?? []));
  }

  get(id: number): Circle | undefined {
    const row = this.selectOne.get(id);
    return row && toCircle(row, this.members(id));
  }

  /** By name, ignoring case (names are unique that way). */
  byName(name: string): Circle | undefined {
    const row = this.selectByName.get(name);
    return row && toCircle(row, this.members(row.id));
  }

  members(id: number): string[] {
    return this.selectMembers.all(id).map((row) => row.username);
  }

  /** The ids of the circles `username` is in. */
  circlesOf(username: string): number[] {
    return this.selectCirclesOf.all(username).map((row) => row.circle_id);
  }

  /** A new circle; undefined when the name is taken. `name` must come from prepareCircleName. */
  create(name: string, groupChat: string | undefined, now = Date.now()): Circle | undefined {
    const row = this.insertCircle.get(name, groupChat ?? null, now);
    return row ? { id: row.id, name, groupChat, createdAt: now, members: [] } : undefined;
  }

  /** False when another circle has that name. */
  rename(id: number, name: string): boolean {
    const other = this.selectByName.get(name);
    if (other && other.id !== id) return false;
    this.updateName.run(name, id);
    return true;
  }

  setGroupChat(id: number, localpart: string | undefined): void {
    this.updateGroupChat.run(localpart ?? null, id);
  }

  delete(id: number): boolean {
    return this.removeCircle.run(id).changes === 1;
  }

  /** True when `username` was not a member before. */
  addMember(id: number, username: string, now = Date.now()): boolean {
    return this.insertMember.run(id, username, now).changes === 1;
  }

  /** True when `username` was a member. */
  removeMember(id: number, username: string): boolean {
    return this.deleteMember.run(id, username).changes === 1;
  }

  /** How many circles two accounts are both in. */
  sharedCircles(a: string, b: string): number {
    return this.countShared.get(a, b)!.n;
  }

  // Which roster items a circle created (so they may go again) --------------------------------

  markCreatedByCircle(username: string, contact: string): void {
    this.insertLink.run(username, contact);
  }

  createdByCircle(username: string, contact: string): boolean {
    return this.selectLink.get(username, contact) !== undefined;
  }

  forgetCreatedByCircle(username: string, contact: string): void {
    this.removeLink.run(username, contact);
  }

  /** The accounts whose roster a circle gave `contact` (a bare JID). */
  rostersHolding(contact: string): string[] {
    return this.selectLinksTo.all(contact).map((row) => row.username);
  }

  /** Every roster item a circle created, as (account, contact bare JID). */
  allCreatedByCircle(): Array<{ username: string; contact: string }> {
    return this.selectAllLinks.all();
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }
}

function toCircle(row: CircleRow, members: string[]): Circle {
  return { id: row.id, name: row.name, groupChat: row.group_chat ?? undefined, createdAt: row.created_at, members };
}
