// The archive store behind mod.store(name, 'archive'): ordering, filters, XEP-0059 paging,
// expiry and deletion, on a real database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveResult, ArchiveStore } from '../../../../server/core/storage/archive.js';
import { openStorage, type Storage } from '../../../../server/core/storage/index.js';

let dir: string;
let storage: Storage;
let archive: ArchiveStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-archive-'));
  storage = openStorage(dir, { scramIterations: 4096 });
  archive = storage.archive('test/messages');
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = Date.UTC(2030, 0, 1);

/** Appends `n` items for alice, one second apart, alternating between bob and carol; returns their ids. */
function fill(n: number, owner = 'alice'): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const contact = i % 2 === 0 ? 'bob@example.org' : 'carol@example.org';
    ids.push(archive.append({ owner, with: contact, withResource: 'phone', stanza: `<message><body>${i}</body></message>`, timestamp: base + i * 1000 }));
  }
  return ids;
}

function page(result: ArchiveResult) {
  if (!result.ok) throw new Error(`unknown id ${result.unknownId}`);
  return result;
}

describe('the archive store', () => {
  it('gives every item a random 22-character base64url id', () => {
    const ids = fill(50);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('returns items in time order, also when they were stored out of order', () => {
    const late = archive.append({ owner: 'alice', with: 'bob@example.org', stanza: '<late/>', timestamp: base + 5000 });
    const early = archive.append({ owner: 'alice', with: 'bob@example.org', stanza: '<early/>', timestamp: base + 1000 });
    const same = archive.append({ owner: 'alice', with: 'bob@example.org', stanza: '<same/>', timestamp: base + 5000 });
    const result = page(archive.query({ owner: 'alice' }));
    expect(result.items.map((i) => i.id)).toEqual([early, late, same]);
    expect(result.items[0]).toMatchObject({ with: 'bob@example.org', withResource: undefined, timestamp: base + 1000, stanza: '<early/>' });
  });

  it('pages forward and says complete only on the last page', () => {
    const ids = fill(25);
    const first = page(archive.query({ owner: 'alice', limit: 10 }));
    expect(first.items.map((i) => i.id)).toEqual(ids.slice(0, 10));
    expect(first).toMatchObject({ complete: false, first: ids[0], last: ids[9], firstIndex: 0, count: 25 });
    const second = page(archive.query({ owner: 'alice', limit: 10, after: first.last }));
    expect(second.items.map((i) => i.id)).toEqual(ids.slice(10, 20));
    expect(second).toMatchObject({ complete: false, firstIndex: 10, count: 25 });
    const third = page(archive.query({ owner: 'alice', limit: 10, after: second.last }));
    expect(third.items.map((i) => i.id)).toEqual(ids.slice(20));
    expect(third).toMatchObject({ complete: true, firstIndex: 20, count: 25 });
  });

  it('is complete when the last page is exactly full', () => {
    fill(10);
    expect(page(archive.query({ owner: 'alice', limit: 10 })).complete).toBe(true);
  });

  it('takes pages from the end, still in time order', () => {
    const ids = fill(25);
    const last = page(archive.query({ owner: 'alice', limit: 10, reverse: true }));
    expect(last.items.map((i) => i.id)).toEqual(ids.slice(15));
    expect(last).toMatchObject({ complete: false, firstIndex: 15 });
    const before = page(archive.query({ owner: 'alice', limit: 10, before: last.first }));
    expect(before.items.map((i) => i.id)).toEqual(ids.slice(5, 15));
    const start = page(archive.query({ owner: 'alice', limit: 10, before: before.first }));
    expect(start.items.map((i) => i.id)).toEqual(ids.slice(0, 5));
    expect(start).toMatchObject({ complete: true, firstIndex: 0 });
  });

  it('skips to an index', () => {
    const ids = fill(10);
    const result = page(archive.query({ owner: 'alice', limit: 3, offset: 4 }));
    expect(result.items.map((i) => i.id)).toEqual(ids.slice(4, 7));
    expect(result.firstIndex).toBe(4);
  });

  it('answers a page size of zero with the count alone', () => {
    fill(7);
    expect(page(archive.query({ owner: 'alice', limit: 0 }))).toMatchObject({ items: [], count: 7, first: undefined, complete: false });
  });

  it('filters by the bare JID of the other party, and by its resource when given', () => {
    const ids = fill(6);
    archive.append({ owner: 'alice', with: 'bob@example.org', withResource: 'laptop', stanza: '<m/>', timestamp: base + 10_000 });
    const withBob = page(archive.query({ owner: 'alice', with: 'bob@example.org' }));
    expect(withBob.items).toHaveLength(4);
    expect(withBob.items.slice(0, 3).map((i) => i.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect(page(archive.query({ owner: 'alice', with: 'bob@example.org', withResource: 'phone' })).count).toBe(3);
    expect(page(archive.query({ owner: 'alice', with: 'bob@example.org', withResource: 'tablet' })).count).toBe(0);
  });

  it('filters by time, both ends included', () => {
    const ids = fill(10);
    const result = page(archive.query({ owner: 'alice', start: base + 3000, end: base + 6000 }));
    expect(result.items.map((i) => i.id)).toEqual(ids.slice(3, 7));
    expect(result.count).toBe(4);
  });

  it('limits to items between two known ids, which makes up the counted set', () => {
    const ids = fill(10);
    const result = page(archive.query({ owner: 'alice', afterId: ids[2], beforeId: ids[8], limit: 3 }));
    expect(result.items.map((i) => i.id)).toEqual(ids.slice(3, 6));
    expect(result).toMatchObject({ count: 5, firstIndex: 0, complete: false });
  });

  it('fetches items by id', () => {
    const ids = fill(10);
    const result = page(archive.query({ owner: 'alice', ids: [ids[7]!, ids[1]!] }));
    expect(result.items.map((i) => i.id)).toEqual([ids[1], ids[7]]);
  });

  it('reports an id it does not have, in any field', () => {
    const ids = fill(3);
    expect(archive.query({ owner: 'alice', afterId: 'nope' })).toEqual({ ok: false, unknownId: 'nope' });
    expect(archive.query({ owner: 'alice', beforeId: 'nope' })).toEqual({ ok: false, unknownId: 'nope' });
    expect(archive.query({ owner: 'alice', after: 'nope' })).toEqual({ ok: false, unknownId: 'nope' });
    expect(archive.query({ owner: 'alice', before: 'nope' })).toEqual({ ok: false, unknownId: 'nope' });
    expect(archive.query({ owner: 'alice', ids: [ids[0]!, 'nope'] })).toEqual({ ok: false, unknownId: 'nope' });
    expect(archive.count({ owner: 'alice', afterId: 'nope' })).toBeUndefined();
  });

  it('keeps owners and stores apart', () => {
    const ids = fill(3, 'alice');
    fill(2, 'bob');
    storage.archive('other/messages').append({ owner: 'alice', with: 'x@example.org', stanza: '<m/>' });
    expect(archive.count({ owner: 'alice' })).toBe(3);
    expect(archive.count({ owner: 'bob' })).toBe(2);
    expect(archive.has('alice', ids[0]!)).toBe(true);
    // Another owner's id is unknown here, so it cannot be used to probe someone else's archive.
    expect(archive.has('bob', ids[0]!)).toBe(false);
    expect(archive.query({ owner: 'bob', after: ids[0] })).toEqual({ ok: false, unknownId: ids[0] });
  });

  it('deletes what is older than a cutoff, in its own store only', () => {
    fill(10);
    const other = storage.archive('other/messages');
    other.append({ owner: 'alice', with: 'x@example.org', stanza: '<m/>', timestamp: base });
    expect(archive.deleteOlderThan(base + 4000)).toBe(4);
    expect(page(archive.query({ owner: 'alice' })).items[0]!.timestamp).toBe(base + 4000);
    expect(other.count({ owner: 'alice' })).toBe(1);
  });

  it('replaces one item of one owner in place, keeping its id and time', () => {
    const ids = fill(3);
    expect(archive.replace('alice', ids[1]!, '<tombstone/>')).toBe(true);
    expect(archive.replace('bob', ids[2]!, '<tombstone/>')).toBe(false);
    const items = page(archive.query({ owner: 'alice' })).items;
    expect(items.map((i) => [i.id, i.stanza])).toEqual([
      [ids[0], '<message><body>0</body></message>'],
      [ids[1], '<tombstone/>'],
      [ids[2], '<message><body>2</body></message>'],
    ]);
    expect(items[1]!.timestamp).toBe(base + 1000);
  });

  it("deletes an owner's whole archive", () => {
    fill(4, 'alice');
    fill(3, 'bob');
    expect(archive.deleteOwner('alice')).toBe(4);
    expect(archive.count({ owner: 'alice' })).toBe(0);
    expect(archive.count({ owner: 'bob' })).toBe(3);
  });

  it("goes with the account, also when the account is deleted outside the server", () => {
    storage.accounts.create('alice', 'a long enough password');
    fill(3, 'alice');
    archive.append({ owner: 'alice@conference.example.org', with: 'bob@example.org', stanza: '<m/>' });
    storage.accounts.delete('alice');
    expect(archive.count({ owner: 'alice' })).toBe(0);
    expect(archive.count({ owner: 'alice@conference.example.org' })).toBe(1);
  });

  it('reads pages through the indexes', () => {
    const plan = (sql: string) =>
      (storage.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan("SELECT * FROM archive_items WHERE store = 'a' AND owner = 'b' AND timestamp >= 0 ORDER BY timestamp, id")).toContain(
      'archive_items_by_time',
    );
    expect(plan("SELECT * FROM archive_items WHERE store = 'a' AND owner = 'b' AND with_jid = 'c' ORDER BY timestamp, id")).toContain(
      'archive_items_by_with',
    );
  });
});
