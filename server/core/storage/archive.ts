// A message archive that modules get through mod.store(name, 'archive') (DESIGN.md): stanzas
// per owner in time order, each under a random id that reveals nothing about the archive
// (XEP-0359 §6: "Entities observing the value MUST NOT be able to infer any information from it,
// e.g. the size of the message archive"). Queries page through it the way XEP-0313 with
// XEP-0059 result set management needs: filters define the result set, cursors move in it.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Db } from './database.js';

export interface ArchiveEntry {
  /**
   * Whose archive: the username for an account's archive (deleted with the account, see
   * migration 2); a JID for anything else (a room), never a bare username.
   */
  owner: string;
  /** The other party's bare JID. */
  with: string;
  /** The other party's resource, when the stanza named one. */
  withResource?: string;
  /** The stanza as XML (util/xml.ts serialize). */
  stanza: string;
  /** When it was archived, in ms since the epoch; now by default. */
  timestamp?: number;
}

export interface ArchiveItem {
  /** The archive id (XEP-0313 result id, XEP-0359 stanza-id). */
  id: string;
  with: string;
  withResource: string | undefined;
  timestamp: number;
  stanza: string;
}

/** What makes up a result set: everything is optional but the owner. */
export interface ArchiveFilter {
  owner: string;
  /** A bare JID: items with that JID, whatever the resource. */
  with?: string;
  /** With `with`: only items with exactly this resource. */
  withResource?: string;
  /** Inclusive bounds, ms since the epoch. */
  start?: number;
  end?: number;
  /** Only items after / before the item with this id (exclusive); unknown ids fail the query. */
  afterId?: string;
  beforeId?: string;
  /** Only these items; an unknown id fails the query. */
  ids?: string[];
}

/** A page of a result set (XEP-0059): cursors and a size move through it without changing it. */
export interface ArchiveQuery extends ArchiveFilter {
  /** Page after this item (RSM <after/>). */
  after?: string;
  /** Page before this item (RSM <before/>); implies `reverse`. */
  before?: string;
  /** Take the page from the end of the set rather than the start (RSM empty <before/>). */
  reverse?: boolean;
  /** Skip this many items from the start of the set (RSM <index/>); forward pages only. */
  offset?: number;
  /** Page size; undefined for everything. */
  limit?: number;
}

export interface ArchivePage {
  /** In chronological order, whichever end the page was taken from. */
  items: ArchiveItem[];
  /** Nothing of the set lies beyond this page in the direction it was taken. */
  complete: boolean;
  first: string | undefined;
  last: string | undefined;
  /** Position of `first` in the whole set. */
  firstIndex: number | undefined;
  /** Size of the whole set (the filter), not of the page. */
  count: number;
}

export type ArchiveResult = ({ ok: true } & ArchivePage) | { ok: false; unknownId: string };

interface ItemRow {
  id: number;
  stanza_id: string;
  with_jid: string;
  with_resource: string | null;
  timestamp: number;
  stanza: string;
}

interface Position {
  timestamp: number;
  id: number;
}

type Clause = { sql: string; params: unknown[] };

/** A new archive id: 16 random bytes, base64url (22 characters). */
export function newArchiveId(): string {
  return randomBytes(16).toString('base64url');
}

export class ArchiveStore {
  private readonly insert;
  private readonly selectPosition;
  private readonly removeOlder;
  private readonly removeOwner;
  private readonly updateStanza;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Db,
    private readonly store: string,
  ) {
    this.insert = db.prepare(
      `INSERT INTO archive_items (store, owner, with_jid, with_resource, stanza_id, timestamp, stanza)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectPosition = db.prepare<[string, string, string], Position>(
      'SELECT timestamp, id FROM archive_items WHERE stanza_id = ? AND store = ? AND owner = ?',
    );
    this.removeOlder = db.prepare('DELETE FROM archive_items WHERE store = ? AND timestamp < ?');
    this.removeOwner = db.prepare('DELETE FROM archive_items WHERE store = ? AND owner = ?');
    this.updateStanza = db.prepare('UPDATE archive_items SET stanza = ? WHERE stanza_id = ? AND store = ? AND owner = ?');
  }

  /** Stores the stanza and returns its new archive id. It is on disk when this returns. */
  append(entry: ArchiveEntry): string {
    const id = newArchiveId();
    this.insert.run(this.store, entry.owner, entry.with, entry.withResource ?? null, id, entry.timestamp ?? Date.now(), entry.stanza);
    return id;
  }

  /** Items in chronological order (timestamp, then arrival), one page of the filter's result set. */
  query(query: ArchiveQuery): ArchiveResult {
    const filter = this.filterClauses(query);
    if (!filter.ok) return filter;
    const cursor: Clause[] = [];
    if (query.after !== undefined) {
      const position = this.position(query.owner, query.after);
      if (!position) return { ok: false, unknownId: query.after };
      cursor.push({ sql: '(timestamp, id) > (?, ?)', params: [position.timestamp, position.id] });
    }
    if (query.before !== undefined) {
      const position = this.position(query.owner, query.before);
      if (!position) return { ok: false, unknownId: query.before };
      cursor.push({ sql: '(timestamp, id) < (?, ?)', params: [position.timestamp, position.id] });
    }

    const reverse = query.reverse === true || query.before !== undefined;
    const limit = query.limit ?? -1;
    // One more than asked tells whether anything lies beyond the page.
    const offset = reverse ? 0 : Math.max(0, query.offset ?? 0);
    const where = this.where([...filter.clauses, ...cursor]);
    const order = reverse ? 'DESC' : 'ASC';
    const rows = this.statement(
      `SELECT id, stanza_id, with_jid, with_resource, timestamp, stanza FROM archive_items ${where.sql}
       ORDER BY timestamp ${order}, id ${order} LIMIT ? OFFSET ?`,
    ).all(...where.params, limit < 0 ? -1 : limit + 1, offset) as ItemRow[];
    const more = limit >= 0 && rows.length > limit;
    if (more) rows.length = limit;
    if (reverse) rows.reverse();

    const count = this.countWhere(this.where(filter.clauses));
    let firstIndex: number | undefined;
    if (rows.length > 0) {
      const first = rows[0]!;
      firstIndex = this.countWhere(
        this.where([...filter.clauses, { sql: '(timestamp, id) < (?, ?)', params: [first.timestamp, first.id] }]),
      );
    }
    return {
      ok: true,
      items: rows.map(toItem),
      complete: !more,
      first: rows[0]?.stanza_id,
      last: rows.at(-1)?.stanza_id,
      firstIndex,
      count,
    };
  }

  /** Whether the owner's archive holds an item with this id. */
  has(owner: string, id: string): boolean {
    return this.position(owner, id) !== undefined;
  }

  /** How many items the filter matches; undefined when it names an unknown id. */
  count(filter: ArchiveFilter): number | undefined {
    const clauses = this.filterClauses(filter);
    return clauses.ok ? this.countWhere(this.where(clauses.clauses)) : undefined;
  }

  /**
   * Replaces an item's stanza, keeping its id and time (a retracted message becomes a tombstone,
   * XEP-0424 §5, XEP-0425 §4); false when the owner's archive has no such item.
   */
  replace(owner: string, id: string, stanza: string): boolean {
    return this.updateStanza.run(stanza, id, this.store, owner).changes === 1;
  }

  /** Deletes every item of this store archived before `cutoff` (ms); returns how many. */
  deleteOlderThan(cutoff: number): number {
    return this.db.transaction(() => this.removeOlder.run(this.store, cutoff).changes)();
  }

  /** Deletes an owner's whole archive; returns how many items it held. */
  deleteOwner(owner: string): number {
    return this.db.transaction(() => this.removeOwner.run(this.store, owner).changes)();
  }

  private position(owner: string, id: string): Position | undefined {
    return this.selectPosition.get(id, this.store, owner);
  }

  private filterClauses(filter: ArchiveFilter): { ok: true; clauses: Clause[] } | { ok: false; unknownId: string } {
    const clauses: Clause[] = [{ sql: 'store = ? AND owner = ?', params: [this.store, filter.owner] }];
    if (filter.with !== undefined) clauses.push({ sql: 'with_jid = ?', params: [filter.with] });
    if (filter.with !== undefined && filter.withResource !== undefined) clauses.push({ sql: 'with_resource = ?', params: [filter.withResource] });
    if (filter.start !== undefined) clauses.push({ sql: 'timestamp >= ?', params: [filter.start] });
    if (filter.end !== undefined) clauses.push({ sql: 'timestamp <= ?', params: [filter.end] });
    if (filter.afterId !== undefined) {
      const position = this.position(filter.owner, filter.afterId);
      if (!position) return { ok: false, unknownId: filter.afterId };
      clauses.push({ sql: '(timestamp, id) > (?, ?)', params: [position.timestamp, position.id] });
    }
    if (filter.beforeId !== undefined) {
      const position = this.position(filter.owner, filter.beforeId);
      if (!position) return { ok: false, unknownId: filter.beforeId };
      clauses.push({ sql: '(timestamp, id) < (?, ?)', params: [position.timestamp, position.id] });
    }
    if (filter.ids !== undefined) {
      const ids = [...new Set(filter.ids)];
      for (const id of ids) if (!this.position(filter.owner, id)) return { ok: false, unknownId: id };
      // One statement for any number of ids: they travel as a JSON array.
      clauses.push({ sql: 'stanza_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(ids)] });
    }
    return { ok: true, clauses };
  }

  private where(clauses: Clause[]): Clause {
    return { sql: `WHERE ${clauses.map((c) => c.sql).join(' AND ')}`, params: clauses.flatMap((c) => c.params) };
  }

  private countWhere(where: Clause): number {
    return (this.statement(`SELECT COUNT(*) AS n FROM archive_items ${where.sql}`).get(...where.params) as { n: number }).n;
  }

  /** Queries have a handful of shapes; each is prepared once. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function toItem(row: ItemRow): ArchiveItem {
  return {
    id: row.stanza_id,
    with: row.with_jid,
    withResource: row.with_resource ?? undefined,
    timestamp: row.timestamp,
    stanza: row.stanza,
  };
}
