// Persistent rooms in SQLite (migration 4): their configuration, subject, vCard and affiliations.
// Temporary rooms never reach the database. Every write is done when the call returns.
import type { Db } from '../../core/storage/database.js';
import type { Affiliation } from './roles.js';

export interface StoredRoom {
  jid: string;
  /** RoomConfig as JSON. */
  config: string;
  subject: { text: string; nick: string | undefined; at: number } | undefined;
  vcard: string | undefined;
  createdAt: number;
  affiliations: Array<{ jid: string; affiliation: Exclude<Affiliation, 'none'>; reason: string | undefined }>;
}

interface RoomRow {
  jid: string;
  config: string;
  subject: string | null;
  subject_nick: string | null;
  subject_at: number | null;
  vcard: string | null;
  created_at: number;
}

interface AffiliationRow {
  room: string;
  jid: string;
  affiliation: Exclude<Affiliation, 'none'>;
  reason: string | null;
}

export class RoomRepository {
  private readonly selectRooms;
  private readonly selectAffiliations;
  private readonly upsertRoom;
  private readonly upsertAffiliation;
  private readonly removeAffiliation;
  private readonly removeAffiliations;
  private readonly removeRoom;
  private readonly selectRoomsOf;
  private readonly removeAffiliationsOf;

  constructor(private readonly db: Db) {
    this.selectRooms = db.prepare<[], RoomRow>('SELECT * FROM muc_rooms ORDER BY jid');
    this.selectAffiliations = db.prepare<[], AffiliationRow>('SELECT * FROM muc_affiliations');
    this.upsertRoom = db.prepare(
      `INSERT INTO muc_rooms (jid, config, subject, subject_nick, subject_at, vcard, created_at)
       VALUES (@jid, @config, @subject, @subject_nick, @subject_at, @vcard, @created_at)
       ON CONFLICT (jid) DO UPDATE SET config = excluded.config, subject = excluded.subject,
         subject_nick = excluded.subject_nick, subject_at = excluded.subject_at, vcard = excluded.vcard`,
    );
    this.upsertAffiliation = db.prepare(
      `INSERT INTO muc_affiliations (room, jid, affiliation, reason) VALUES (?, ?, ?, ?)
       ON CONFLICT (room, jid) DO UPDATE SET affiliation = excluded.affiliation, reason = excluded.reason`,
    );
    this.removeAffiliation = db.prepare('DELETE FROM muc_affiliations WHERE room = ? AND jid = ?');
    this.removeAffiliations = db.prepare('DELETE FROM muc_affiliations WHERE room = ?');
    this.removeRoom = db.prepare('DELETE FROM muc_rooms WHERE jid = ?');
    this.selectRoomsOf = db.prepare<[string], { room: string }>('SELECT room FROM muc_affiliations WHERE jid = ?');
    this.removeAffiliationsOf = db.prepare('DELETE FROM muc_affiliations WHERE jid = ?');
  }

  loadAll(): StoredRoom[] {
    const affiliations = new Map<string, StoredRoom['affiliations']>();
    for (const row of this.selectAffiliations.all()) {
      const list = affiliations.get(row.room) ?? [];
      list.push({ jid: row.jid, affiliation: row.affiliation, reason: row.reason ?? undefined });
      affiliations.set(row.room, list);
    }
    return this.selectRooms.all().map((row) => ({
      jid: row.jid,
      config: row.config,
      subject: row.subject === null ? undefined : { text: row.subject, nick: row.subject_nick ?? undefined, at: row.subject_at ?? row.created_at },
      vcard: row.vcard ?? undefined,
      createdAt: row.created_at,
      affiliations: affiliations.get(row.jid) ?? [],
    }));
  }

  /** Writes the room's own row (not its affiliations). */
  saveRoom(room: Omit<StoredRoom, 'affiliations'>): void {
    this.upsertRoom.run({
      jid: room.jid,
      config: room.config,
      subject: room.subject?.text ?? null,
      subject_nick: room.subject?.nick ?? null,
      subject_at: room.subject?.at ?? null,
      vcard: room.vcard ?? null,
      created_at: room.createdAt,
    });
  }

  /** Writes the room with exactly these affiliations, in one transaction (a room becoming persistent). */
  saveAll(room: StoredRoom): void {
    this.db.transaction(() => {
      this.saveRoom(room);
      this.removeAffiliations.run(room.jid);
      for (const entry of room.affiliations) this.upsertAffiliation.run(room.jid, entry.jid, entry.affiliation, entry.reason ?? null);
    })();
  }

  /** Several affiliation changes of one room, all or none ('none' removes the row). */
  setAffiliations(roomJid: string, changes: Array<{ jid: string; affiliation: Affiliation; reason: string | undefined }>): void {
    this.db.transaction(() => {
      for (const change of changes) {
        if (change.affiliation === 'none') this.removeAffiliation.run(roomJid, change.jid);
        else this.upsertAffiliation.run(roomJid, change.jid, change.affiliation, change.reason ?? null);
      }
    })();
  }

  /** Deletes a room and its affiliations (foreign key). */
  deleteRoom(roomJid: string): void {
    this.removeRoom.run(roomJid);
  }

  /** Removes a JID from every room's lists (a deleted account); returns the rooms it was in. */
  deleteAffiliationsOf(jid: string): string[] {
    return this.db.transaction(() => {
      const rooms = this.selectRoomsOf.all(jid).map((row) => row.room);
      this.removeAffiliationsOf.run(jid);
      return rooms;
    })();
  }
}
