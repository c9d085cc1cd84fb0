// Offline messages (XEP-0160): stored when no resource can take them, delivered at the next
// available presence, deleted only once handed to a session.
import type { Db } from './database.js';

export interface OfflineMessage {
  id: number;
  stanza: string;
  storedAt: number;
}

export class OfflineRepository {
  private readonly insert;
  private readonly selectForUser;
  private readonly countForUser;
  private readonly removeOne;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO offline_messages (username, stanza, stored_at) VALUES (?, ?, ?)');
    this.selectForUser = db.prepare<[string], { id: number; stanza: string; stored_at: number }>(
      'SELECT id, stanza, stored_at FROM offline_messages WHERE username = ? ORDER BY id',
    );
    this.countForUser = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM offline_messages WHERE username = ?');
    this.removeOne = db.prepare('DELETE FROM offline_messages WHERE id = ?');
  }

  store(username: string, stanza: string, now = Date.now()): void {
    this.insert.run(username, stanza, now);
  }

  count(username: string): number {
    return this.countForUser.get(username)!.n;
  }

  list(username: string): OfflineMessage[] {
    return this.selectForUser.all(username).map((r) => ({ id: r.id, stanza: r.stanza, storedAt: r.stored_at }));
  }

  delete(ids: number[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.removeOne.run(id);
    })();
  }
}
