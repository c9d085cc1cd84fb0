// Roster items (RFC 6121 §2) and their subscription state, with a per-user version counter
// for roster versioning (§2.6). Items with listed = 0 hold only server-side subscription state
// (a pending inbound request or a pre-approval) for a contact the user has not added.
import type { Subscription, SubscriptionState } from '../../util/subscription-state.js';
import type { Db } from './database.js';

export interface RosterItem extends SubscriptionState {
  contact: string;
  name: string | undefined;
  groups: string[];
  listed: boolean;
  /** The stored inbound subscribe stanza, delivered again at the next login. */
  pendingInStanza: string | undefined;
}

interface RosterRow {
  contact: string;
  name: string | null;
  subscription: Subscription;
  ask_out: number;
  pending_in: string | null;
  pre_approved: number;
  listed: number;
  groups: string;
}

export class RosterRepository {
  private readonly selectItems;
  private readonly selectItem;
  private readonly upsert;
  private readonly remove;
  private readonly selectVersion;
  private readonly bumpVersion;
  private readonly countListed;

  constructor(private readonly db: Db) {
    this.selectItems = db.prepare<[string], RosterRow>('SELECT * FROM roster_items WHERE username = ? ORDER BY contact');
    this.selectItem = db.prepare<[string, string], RosterRow>('SELECT * FROM roster_items WHERE username = ? AND contact = ?');
    this.upsert = db.prepare(
      `INSERT INTO roster_items (username, contact, name, subscription, ask_out, pending_in, pre_approved, listed, groups)
       VALUES (@username, @contact, @name, @subscription, @ask_out, @pending_in, @pre_approved, @listed, @groups)
       ON CONFLICT (username, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
         ask_out = excluded.ask_out, pending_in = excluded.pending_in, pre_approved = excluded.pre_approved,
         listed = excluded.listed, groups = excluded.groups`,
    );
    this.remove = db.prepare('DELETE FROM roster_items WHERE username = ? AND contact = ?');
    this.selectVersion = db.prepare<[string], { version: number }>('SELECT version FROM roster_versions WHERE username = ?');
    this.bumpVersion = db.prepare(
      `INSERT INTO roster_versions (username, version) VALUES (?, 1)
       ON CONFLICT (username) DO UPDATE SET version = version + 1 RETURNING version`,
    );
    this.countListed = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM roster_items WHERE username = ? AND listed = 1');
  }

  /** Every item, including unlisted ones; callers filter by `listed` for what the user sees. */
  items(username: string): RosterItem[] {
    return this.selectItems.all(username).map(toItem);
  }

  item(username: string, contact: string): RosterItem | undefined {
    const row = this.selectItem.get(username, contact);
    return row && toItem(row);
  }

  listedCount(username: string): number {
    return this.countListed.get(username)!.n;
  }

  version(username: string): number {
    return this.selectVersion.get(username)?.version ?? 0;
  }

  /**
   * Stores the item (or deletes it when it holds nothing any more) and returns the new roster
   * version when something the user sees changed, so the caller can push it.
   */
  save(username: string, item: RosterItem, visibleChange: boolean): number | undefined {
    return this.db.transaction(() => {
      const empty = !item.listed && !item.pendingIn && !item.preApproved && item.subscription === 'none' && !item.askOut;
      if (empty) this.remove.run(username, item.contact);
      else
        this.upsert.run({
          username,
          contact: item.contact,
          name: item.name ?? null,
          subscription: item.subscription,
          ask_out: item.askOut ? 1 : 0,
          pending_in: item.pendingIn ? (item.pendingInStanza ?? '') : null,
          pre_approved: item.preApproved ? 1 : 0,
          listed: item.listed ? 1 : 0,
          groups: JSON.stringify(item.groups),
        });
      return visibleChange ? (this.bumpVersion.get(username) as { version: number }).version : undefined;
    })();
  }

  /** Removes the item entirely (roster remove); returns the new version. */
  delete(username: string, contact: string): number {
    return this.db.transaction(() => {
      this.remove.run(username, contact);
      return (this.bumpVersion.get(username) as { version: number }).version;
    })();
  }
}

export function newRosterItem(contact: string): RosterItem {
  return {
    contact,
    name: undefined,
    groups: [],
    listed: false,
    subscription: 'none',
    askOut: false,
    pendingIn: false,
    preApproved: false,
    pendingInStanza: undefined,
  };
}

function toItem(row: RosterRow): RosterItem {
  return {
    contact: row.contact,
    name: row.name ?? undefined,
    subscription: row.subscription,
    askOut: row.ask_out === 1,
    pendingIn: row.pending_in !== null,
    pendingInStanza: row.pending_in || undefined,
    preApproved: row.pre_approved === 1,
    listed: row.listed === 1,
    groups: JSON.parse(row.groups) as string[],
  };
}
