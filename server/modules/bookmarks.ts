// XEP-0402: PEP Native Bookmarks — https://xmpp.org/extensions/xep-0402.html
// XEP-0048: Bookmarks — https://xmpp.org/extensions/xep-0048.html
// XEP-0411: Bookmarks Conversion — https://xmpp.org/extensions/xep-0411.html
//
// Group chat bookmarks live in one place: the account's urn:xmpp:bookmarks:1 PEP node, one item
// per room (XEP-0402). Clients of the older XEP-0048 see the same list, whichever storage they
// use: private XML (XEP-0049, asked for through the private-storage events) is answered from that
// node and written into it, item by item; the legacy PEP node storage:bookmarks gets a fresh copy
// whenever the list changes, and what a client publishes there is written into the node too.
// Only the pep/* events are used, never the PEP module itself.
import { Element, clone, parse } from 'ltx';
import type { PepResult } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { parseJid } from '../util/jid.js';
import { serialize } from '../util/xml.js';
import { accountDiscoKey } from './disco.js';

export const bookmarksNode = 'urn:xmpp:bookmarks:1';
/** XEP-0048's namespace, which is also its PEP node's name. */
export const legacyNs = 'storage:bookmarks';
const legacyItemId = 'current';

/** XEP-0402 §3.3: private to the account, every room kept, nothing pushed on presence. */
export const bookmarksOptions = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};
/** XEP-0048 §3.1, and XEP-0411 §5: only the account may read the copy. */
const legacyOptions = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' };

export default defineModule({
  name: 'bookmarks',
  setup(mod) {
    // XEP-0402 §6: both XEP-0048 storages are unified with the node; XEP-0411 §2 says so for PEP.
    mod.addFeature(`${bookmarksNode}#compat`, accountDiscoKey);
    mod.addFeature(`${bookmarksNode}#compat-pep`, accountDiscoKey);
    mod.addFeature('urn:xmpp:bookmarks-conversion:0', accountDiscoKey);

    // What a XEP-0048 list held that is not a room bookmark (URLs, entries without a usable JID):
    // XEP-0402 has no place for it, so it is kept here and handed back with the list.
    const extrasStore = mod.store('legacy-extras', 'keyval');
    const extrasOf = (username: string) => (extrasStore.get<string[]>(username, 'extras') ?? []).map(parseStored).filter((e) => e !== undefined);

    // Accounts whose bookmarks this module is writing right now: their own PEP events are echoes.
    const converting = new Set<string>();
    const asServer = <T>(username: string, work: () => T): T => {
      converting.add(username);
      try {
        return work();
      } finally {
        converting.delete(username);
      }
    };

    /** XEP-0402 §6.1: the node's items as one XEP-0048 list. */
    function legacyList(username: string, bookmarks: Map<string, Element>): Element {
      const storage = new Element('storage', { xmlns: legacyNs });
      for (const [id, conference] of bookmarks) storage.cnode(toLegacyConference(id, conference));
      for (const extra of extrasOf(username)) storage.cnode(extra);
      return storage;
    }

    /**
     * XEP-0402 §6.2: a whole XEP-0048 list written item by item; unchanged rooms are left alone
     * (no notification), missing ones retracted. Undefined without PEP.
     */
    function applyLegacyList(username: string, storage: Element): true | StanzaError | undefined {
      const current = readBookmarks(mod, username);
      if (!(current instanceof Map)) return current;
      const idsByJid = new Map([...current.keys()].map((id) => [parseJid(id)?.toString() ?? id, id]));
      const wanted = new Map<string, Element>();
      const extras: string[] = [];
      for (const child of storage.getChildElements()) {
        const jid = child.is('conference', legacyNs) && child.attrs.jid ? parseJid(String(child.attrs.jid)) : undefined;
        if (!jid || jid.resource !== undefined) {
          extras.push(serialize(withOwnNamespace(child)));
          continue;
        }
        const id = idsByJid.get(jid.toString()) ?? jid.toString();
        wanted.set(id, fromLegacyConference(child, current.get(id)));
      }
      const error = asServer(username, () => {
        for (const [id, conference] of wanted) {
          const existing = current.get(id);
          if (existing && canonical(existing) === canonical(conference)) continue;
          const published = publishPrivately(mod, username, bookmarksNode, id, conference, bookmarksOptions);
          if (!published?.ok) return published?.error ?? new StanzaError('internal-server-error');
        }
        for (const id of current.keys()) {
          if (wanted.has(id)) continue;
          const retracted = mod.fire('pep/retract', { username, node: bookmarksNode, id, notify: true }) as PepResult<true> | undefined;
          if (!retracted?.ok) return retracted?.error ?? new StanzaError('internal-server-error');
        }
        return undefined;
      });
      if (error) return error;
      if (extras.length > 0) extrasStore.set(username, 'extras', extras);
      else extrasStore.delete(username, 'extras');
      return true;
    }

    /** XEP-0411 §3: the legacy PEP node follows every change, so its subscribers hear of it. */
    function refreshLegacyNode(username: string): void {
      const current = readBookmarks(mod, username);
      if (!(current instanceof Map)) return;
      const list = legacyList(username, current);
      const existing = mod.fire('pep/items', { username, node: legacyNs, max: 1 }) as PepResult<Element[]> | undefined;
      const published = existing?.ok ? payloadOf(existing.value[0]) : undefined;
      if (published && serialize(published) === serialize(list)) return;
      const result = asServer(username, () => publishPrivately(mod, username, legacyNs, legacyItemId, list, legacyOptions));
      if (result && !result.ok) mod.log.info(`could not update the legacy bookmarks node: ${result.error.condition}`);
    }

    mod.hook('private-storage/get', ({ username, element }) => {
      if (!element.is('storage', legacyNs)) return undefined;
      const current = readBookmarks(mod, username);
      return current instanceof Map ? legacyList(username, current) : current;
    });

    mod.hook('private-storage/set', ({ username, element }) => {
      if (!element.is('storage', legacyNs)) return undefined;
      const result = applyLegacyList(username, element);
      if (result === true) refreshLegacyNode(username);
      return result;
    });

    // Deleting or purging the node retracts every item, one event each: one refresh does for all.
    const refreshing = new Set<string>();
    const refreshSoon = (username: string) => {
      if (refreshing.has(username)) return;
      refreshing.add(username);
      queueMicrotask(() => {
        refreshing.delete(username);
        // Outside any stanza's handling: nobody else would catch a failure here.
        try {
          refreshLegacyNode(username);
        } catch (error) {
          mod.log.error('could not update the legacy bookmarks node', error);
        }
      });
    };

    mod.hook('pep/item-published', ({ username, node, item, publisher }) => {
      if (publisher !== 'user' || converting.has(username)) return undefined;
      if (node === bookmarksNode) refreshSoon(username);
      else if (node === legacyNs) {
        const storage = payloadOf(item);
        if (storage?.is('storage', legacyNs)) {
          const result = applyLegacyList(username, storage);
          if (result instanceof StanzaError) mod.log.info(`could not convert legacy PEP bookmarks: ${result.condition}`);
        }
      }
      return undefined;
    });

    mod.hook('pep/item-retracted', ({ username, node }) => {
      if (node === bookmarksNode && !converting.has(username)) refreshSoon(username);
      return undefined;
    });

    mod.hook('user-deleted', ({ username }) => extrasStore.delete(username, 'extras'));
  },
});

/**
 * Publishes as the server with the node options wanted. A node a client made with other details
 * (an older XEP-0402 asked for max_items 10000) still takes the item as long as it is private to
 * the account; one others could read is refused (XEP-0411 §5).
 */
function publishPrivately(
  mod: ModuleApi,
  username: string,
  node: string,
  id: string,
  item: Element,
  options: Record<string, string>,
): PepResult<{ id: string }> | undefined {
  const result = mod.fire('pep/publish', { username, node, id, item, options }) as PepResult<{ id: string }> | undefined;
  if (result?.ok !== false || result.error.condition !== 'conflict') return result;
  return mod.fire('pep/publish', { username, node, id, item, options: { 'pubsub#access_model': 'whitelist' } }) as PepResult<{ id: string }> | undefined;
}

/**
 * The rooms in the account's bookmarks node by item id, oldest first; an empty map when the node
 * does not exist yet; undefined when there is no PEP service.
 */
function readBookmarks(mod: ModuleApi, username: string): Map<string, Element> | StanzaError | undefined {
  const result = mod.fire('pep/items', { username, node: bookmarksNode }) as PepResult<Element[]> | undefined;
  if (!result) return undefined;
  if (!result.ok) return result.error.condition === 'item-not-found' ? new Map() : result.error;
  const bookmarks = new Map<string, Element>();
  for (const item of [...result.value].reverse()) {
    const conference = payloadOf(item);
    if (item.attrs.id && conference?.is('conference', bookmarksNode)) bookmarks.set(String(item.attrs.id), conference);
  }
  return bookmarks;
}

/** XEP-0402 §2 to XEP-0048 §2.1: the item id becomes the jid; extensions ride along inside. */
function toLegacyConference(id: string, conference: Element): Element {
  const attrs: Record<string, string> = { jid: id, autojoin: isTrue(conference.attrs.autojoin) ? 'true' : 'false' };
  if (conference.attrs.name) attrs.name = String(conference.attrs.name);
  const legacy = new Element('conference', attrs);
  for (const name of ['nick', 'password']) {
    const text = conference.getChildText(name, bookmarksNode);
    if (text) legacy.c(name).t(text);
  }
  for (const extension of conference.getChild('extensions', bookmarksNode)?.getChildElements() ?? []) legacy.cnode(withOwnNamespace(extension));
  return legacy;
}

/**
 * XEP-0048 to XEP-0402: elements of other namespaces become the extensions. A legacy client that
 * sent none may simply not know them, so the room's existing extensions are kept then.
 */
function fromLegacyConference(legacy: Element, existing: Element | undefined): Element {
  const attrs: Record<string, string> = { xmlns: bookmarksNode };
  if (legacy.attrs.name) attrs.name = String(legacy.attrs.name);
  if (isTrue(legacy.attrs.autojoin)) attrs.autojoin = 'true';
  const conference = new Element('conference', attrs);
  for (const name of ['nick', 'password']) {
    const text = legacy.getChildText(name, legacyNs);
    if (text) conference.c(name).t(text);
  }
  const foreign = legacy.getChildElements().filter((child) => child.getNS() !== legacyNs);
  const extensions = foreign.length > 0 ? foreign : (existing?.getChild('extensions', bookmarksNode)?.getChildElements() ?? []);
  if (extensions.length > 0) {
    const container = conference.c('extensions');
    for (const extension of extensions) container.cnode(withOwnNamespace(extension));
  }
  return conference;
}

/** A conference as compared: defaults spelled one way, whitespace between elements ignored. */
function canonical(conference: Element): string {
  const attrs: Record<string, string> = { xmlns: bookmarksNode };
  if (conference.attrs.name) attrs.name = String(conference.attrs.name);
  if (isTrue(conference.attrs.autojoin)) attrs.autojoin = 'true';
  const copy = new Element('conference', attrs);
  for (const name of ['nick', 'password']) {
    const text = conference.getChildText(name, bookmarksNode);
    if (text) copy.c(name).t(text);
  }
  const extensions = conference.getChild('extensions', bookmarksNode)?.getChildElements() ?? [];
  if (extensions.length > 0) {
    const container = copy.c('extensions');
    for (const extension of extensions) container.cnode(withoutWhitespace(withOwnNamespace(extension)));
  }
  return serialize(copy);
}

/** XML Schema booleans (XEP-0402 §2): "true" or "1". */
function isTrue(value: unknown): boolean {
  return value === 'true' || value === '1';
}

/** A detached copy that states its namespace, so it means the same under any parent. */
function withOwnNamespace(element: Element): Element {
  const copy = clone(element);
  if (!copy.name.includes(':')) copy.attrs.xmlns = element.getNS();
  return copy;
}

function withoutWhitespace(element: Element): Element {
  element.children = element.children.filter((c) => typeof c !== 'string' || c.trim() !== '');
  for (const child of element.getChildElements()) withoutWhitespace(child);
  return element;
}

/** The payload of a PEP item (<item><payload/></item>), or the element itself if it is one. */
function payloadOf(item: Element | undefined): Element | undefined {
  if (!item) return undefined;
  return item.name === 'item' ? item.getChildElements()[0] : item;
}

function parseStored(xml: string): Element | undefined {
  try {
    return parse(xml) as Element;
  } catch {
    return undefined;
  }
}
