// Personal pubsub nodes (XEP-0163 PEP on XEP-0060) and their items. The node configuration is
// stored as JSON and interpreted by the pep module; payloads are stored as serialized XML.
import type { Db } from './database.js';

export interface StoredNode {
  node: string;
  /** The parsed JSON configuration; the pep module fills in defaults for missing keys. */
  config: Record<string, unknown>;
  createdAt: number;
}

export interface StoredItem {
  id: string;
  publishedAt: number;
  /** The payload element as XML; undefined for an item published without one. */
  payload: string | undefined;
}

interface NodeRow {
  node: string;
  config: string;
  created_at: number;
}

interface ItemRow {
  item_id: string;
  published_at: number;
  payload: string | null;
}

export class PubsubRepository {
  private readonly selectNode;
  private readonly selectNodes;
  private readonly countNodesOf;
  private readonly countItemsOf;
  private readonly insertNode;
  private readonly updateConfig;
  private readonly removeNode;
  private readonly removeOwner;
  private readonly selectItemsOldestFirst;
  private readonly selectNewestItems;
  private readonly selectItem;
  private readonly selectItemIds;
  private readonly removeItem;
  private readonly insertItem;
  private readonly selectOverflow;
  private readonly removeItems;

  constructor(private readonly db: Db) {
    this.selectNode = db.prepare<[string, string], NodeRow>('SELECT node, config, created_at FROM pubsub_nodes WHERE owner = ? AND node = ?');
    this.selectNodes = db.prepare<[string], NodeRow>('SELECT node, config, created_at FROM pubsub_nodes WHERE owner = ? ORDER BY node');
    this.countNodesOf = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pubsub_nodes WHERE owner = ?');
    this.countItemsOf = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM pubsub_items WHERE owner = ?');
    this.insertNode = db.prepare('INSERT INTO pubsub_nodes (owner, node, config, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.updateConfig = db.prepare('UPDATE pubsub_nodes SET config = ? WHERE owner = ? AND node = ?');
    this.removeNode = db.prepare('DELETE FROM pubsub_nodes WHERE owner = ? AND node = ?');
    this.removeOwner = db.prepare('DELETE FROM pubsub_nodes WHERE owner = ?');
    this.selectItemsOldestFirst = db.prepare<[string, string], ItemRow>(
      'SELECT item_id, published_at, payload FROM pubsub_items WHERE owner = ? AND node = ? ORDER BY seq',
    );
    this.selectNewestItems = db.prepare<[string, string, number], ItemRow>(
      'SELECT item_id, published_at, payload FROM pubsub_items WHERE owner = ? AND node = ? ORDER BY seq DESC LIMIT ?',
    );
    this.selectItem = db.prepare<[string, string, string], ItemRow>(
      'SELECT item_id, published_at, payload FROM pubsub_items WHERE owner = ? AND node = ? AND item_id = ?',
    );
    this.selectItemIds = db.prepare<[string, string], { item_id: string }>('SELECT item_id FROM pubsub_items WHERE owner = ? AND node = ? ORDER BY seq');
    this.removeItem = db.prepare('DELETE FROM pubsub_items WHERE owner = ? AND node = ? AND item_id = ?');
    this.insertItem = db.prepare('INSERT INTO pubsub_items (owner, node, item_id, published_at, payload) VALUES (?, ?, ?, ?, ?)');
    // Everything but the newest `limit` items, oldest first.
    this.selectOverflow = db.prepare<[string, string, number], { item_id: string }>(
      'SELECT item_id FROM pubsub_items WHERE owner = ? AND node = ? ORDER BY seq DESC LIMIT -1 OFFSET ?',
    );
    this.removeItems = db.prepare('DELETE FROM pubsub_items WHERE owner = ? AND node = ?');
  }

  node(owner: string, node: string): StoredNode | undefined {
    const row = this.selectNode.get(owner, node);
    return row && toNode(row);
  }

  nodes(owner: string): StoredNode[] {
    return this.selectNodes.all(owner).map(toNode);
  }

  nodeCount(owner: string): number {
    return this.countNodesOf.get(owner)!.n;
  }

  /** Items stored for the account, over all its nodes. */
  itemCount(owner: string): number {
    return this.countItemsOf.get(owner)!.n;
  }

  /** Creates the node; false if it already exists. */
  createNode(owner: string, node: string, config: object, now = Date.now()): boolean {
    return this.insertNode.run(owner, node, JSON.stringify(config), now).changes === 1;
  }

  setConfig(owner: string, node: string, config: object): boolean {
    return this.updateConfig.run(JSON.stringify(config), owner, node).changes === 1;
  }

  /** Deletes the node with its items; returns the ids of the items it held, or undefined if there was no node. */
  deleteNode(owner: string, node: string): string[] | undefined {
    return this.db.transaction(() => {
      const ids = this.itemIds(owner, node);
      return this.removeNode.run(owner, node).changes === 1 ? ids : undefined;
    })();
  }

  /** Every node of the account with its items (the account is being deleted). */
  deleteOwner(owner: string): void {
    this.removeOwner.run(owner);
  }

  /** All items, oldest first. */
  items(owner: string, node: string): StoredItem[] {
    return this.selectItemsOldestFirst.all(owner, node).map(toItem);
  }

  /** The newest `count` items, newest first. */
  newestItems(owner: string, node: string, count: number): StoredItem[] {
    return this.selectNewestItems.all(owner, node, count).map(toItem);
  }

  item(owner: string, node: string, id: string): StoredItem | undefined {
    const row = this.selectItem.get(owner, node, id);
    return row && toItem(row);
  }

  itemIds(owner: string, node: string): string[] {
    return this.selectItemIds.all(owner, node).map((r) => r.item_id);
  }

  /**
   * Stores the item as the newest of the node (replacing one with the same id, XEP-0060 §7.1.3)
   * and drops the oldest ones beyond `maxItems`; returns the ids dropped. The node must exist.
   */
  publish(owner: string, node: string, item: StoredItem, maxItems: number): string[] {
    return this.db.transaction(() => {
      this.removeItem.run(owner, node, item.id);
      this.insertItem.run(owner, node, item.id, item.publishedAt, item.payload ?? null);
      return this.trimUnchecked(owner, node, maxItems);
    })();
  }

  retract(owner: string, node: string, id: string): boolean {
    return this.removeItem.run(owner, node, id).changes === 1;
  }

  /** Removes every item; returns their ids. */
  purge(owner: string, node: string): string[] {
    return this.db.transaction(() => {
      const ids = this.itemIds(owner, node);
      this.removeItems.run(owner, node);
      return ids;
    })();
  }

  /** Drops the oldest items beyond `maxItems`; returns their ids. */
  trim(owner: string, node: string, maxItems: number): string[] {
    return this.db.transaction(() => this.trimUnchecked(owner, node, maxItems))();
  }

  /** Runs `work` in one transaction (several changes that must happen together). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  private trimUnchecked(owner: string, node: string, maxItems: number): string[] {
    const dropped = this.selectOverflow.all(owner, node, maxItems).map((r) => r.item_id);
    for (const id of dropped) this.removeItem.run(owner, node, id);
    return dropped.reverse();
  }
}

function toNode(row: NodeRow): StoredNode {
  return { node: row.node, config: JSON.parse(row.config) as Record<string, unknown>, createdAt: row.created_at };
}

function toItem(row: ItemRow): StoredItem {
  return { id: row.item_id, publishedAt: row.published_at, payload: row.payload ?? undefined };
}
