// A small JSON key-value store that modules get through mod.store(name, 'keyval'),
// keyed by owner (a username, or '' for server-wide values).
import type { Db } from './database.js';

export class KeyValueStore {
  private readonly selectOne;
  private readonly upsert;
  private readonly removeOne;

  constructor(db: Db, private readonly module: string) {
    this.selectOne = db.prepare<[string, string, string], { value: string }>(
      'SELECT value FROM module_keyval WHERE module = ? AND owner = ? AND key = ?',
    );
    this.upsert = db.prepare(
      `INSERT INTO module_keyval (module, owner, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (module, owner, key) DO UPDATE SET value = excluded.value`,
    );
    this.removeOne = db.prepare('DELETE FROM module_keyval WHERE module = ? AND owner = ? AND key = ?');
  }

  get<T>(owner: string, key: string): T | undefined {
    const row = this.selectOne.get(this.module, owner, key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(owner: string, key: string, value: unknown): void {
    this.upsert.run(this.module, owner, key, JSON.stringify(value));
  }

  delete(owner: string, key: string): void {
    this.removeOne.run(this.module, owner, key);
  }
}
