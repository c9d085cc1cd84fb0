import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../../../server/core/storage/index.js';

let dir: string;
let storage: Storage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-store-'));
  storage = openStorage(dir, { scramIterations: 4096 });
  storage.accounts.create('alice', 'a long enough password');
  storage.pubsub.createNode('alice', 'urn:example:node', { max_items: 3 });
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function publish(id: string, maxItems = 10): string[] {
  return storage.pubsub.publish('alice', 'urn:example:node', { id, publishedAt: Date.now(), payload: `<p xmlns="urn:example">${id}</p>` }, maxItems);
}

describe('PEP storage', () => {
  it('keeps the node configuration as JSON', () => {
    expect(storage.pubsub.node('alice', 'urn:example:node')?.config).toEqual({ max_items: 3 });
    expect(storage.pubsub.createNode('alice', 'urn:example:node', {})).toBe(false);
  });

  it('lists items in publication order and makes a re-published item the newest', () => {
    publish('a');
    publish('b');
    publish('a');
    expect(storage.pubsub.items('alice', 'urn:example:node').map((i) => i.id)).toEqual(['b', 'a']);
    expect(storage.pubsub.newestItems('alice', 'urn:example:node', 1).map((i) => i.id)).toEqual(['a']);
  });

  it('drops the oldest items beyond the limit and says which', () => {
    publish('a', 2);
    publish('b', 2);
    expect(publish('c', 2)).toEqual(['a']);
    expect(storage.pubsub.trim('alice', 'urn:example:node', 1)).toEqual(['b']);
    expect(storage.pubsub.itemIds('alice', 'urn:example:node')).toEqual(['c']);
  });

  it('deletes a node with its items', () => {
    publish('a');
    expect(storage.pubsub.deleteNode('alice', 'urn:example:node')).toEqual(['a']);
    expect(storage.pubsub.node('alice', 'urn:example:node')).toBeUndefined();
    expect(storage.pubsub.item('alice', 'urn:example:node', 'a')).toBeUndefined();
    expect(storage.pubsub.deleteNode('alice', 'urn:example:node')).toBeUndefined();
  });

  it('loses the nodes of an account when the account is deleted', () => {
    publish('a');
    storage.accounts.delete('alice');
    expect(storage.pubsub.nodes('alice')).toEqual([]);
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM pubsub_items').get()).toEqual({ n: 0 });
  });
});
