// XEP-0049: Private XML Storage — https://xmpp.org/extensions/xep-0049.html
// Any XML a user's clients want to keep on the server, one element per (namespace, name), only
// ever readable and writable by the account itself (§5). Older clients keep their bookmarks
// (XEP-0048) and preferences here. Another module can take over one kind of element through the
// private-storage/get and private-storage/set events (bookmarks does, for storage:bookmarks).
import { Element, clone, parse } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { elementChildren, errorReply, iqResult } from '../util/stanza.js';
import { serialize } from '../util/xml.js';

export const privateNs = 'jabber:iq:private';

/** What one account may keep; clients store a handful of small elements. */
const maxElementsPerAccount = 128;
const maxBytesPerAccount = 1024 * 1024;

/** Stored element sizes in bytes, by key; lives beside the elements under a key no element can have. */
type Index = Record<string, number>;
const indexKey = 'index';

export default defineModule({
  name: 'private-storage',
  setup(mod) {
    const store = mod.store('elements', 'keyval');
    const indexOf = (username: string): Index => store.get<Index>(username, indexKey) ?? {};
    // The XEP defines no feature; servers announce the namespace and clients look for it.
    mod.addFeature(privateNs);

    mod.hook(`iq-get/self/${privateNs}:query`, ({ stanza, payload, from, reply }) => {
      const username = from.local!;
      const children = elementChildren(payload);
      // §3: a get names exactly one element; an empty query is not-acceptable.
      if (children.length > 1) return answer(reply, errorReply(stanza, new StanzaError('bad-request', 'ask for one element at a time')));
      const problem = checkElement(children[0]);
      if (problem) return answer(reply, errorReply(stanza, problem));
      const requested = children[0]!;

      const owned = mod.fire('private-storage/get', { username, element: requested });
      if (owned instanceof StanzaError) return answer(reply, errorReply(stanza, owned));
      let element = owned instanceof Element ? owned : undefined;
      if (!element) {
        const xml = store.get<string>(username, keyOf(requested));
        element = xml === undefined ? undefined : parseStored(xml);
        if (xml !== undefined && !element) mod.log.warn('an unreadable private XML element was ignored');
      }
      // Nothing stored: the empty element comes back, as existing servers answer.
      const query = new Element('query', { xmlns: privateNs });
      query.cnode(element ?? emptyCopy(requested));
      return answer(reply, iqResult(stanza, query));
    });

    mod.hook(`iq-set/self/${privateNs}:query`, ({ stanza, payload, from, reply }) => {
      const username = from.local!;
      const children = elementChildren(payload);
      const problem = children.length === 0 ? checkElement(undefined) : children.map(checkElement).find((p) => p !== undefined);
      if (problem) return answer(reply, errorReply(stanza, problem));

      // The last of several elements with the same name wins, as if they had been sent one by one.
      const byKey = new Map<string, Element>();
      for (const child of children) byKey.set(keyOf(child), child);

      const local: Array<{ key: string; element: Element }> = [];
      for (const [key, element] of byKey) {
        const owned = mod.fire('private-storage/set', { username, element });
        if (owned instanceof StanzaError) return answer(reply, errorReply(stanza, owned));
        if (owned === undefined) local.push({ key, element });
      }

      const index = indexOf(username);
      const writes: Array<{ key: string; xml: string | undefined }> = [];
      for (const { key, element } of local) {
        const xml = isEmpty(element) ? undefined : serialize(standalone(element));
        if (xml === undefined) delete index[key];
        else index[key] = Buffer.byteLength(xml);
        writes.push({ key, xml });
      }
      const sizes = Object.values(index);
      if (sizes.length > maxElementsPerAccount || sizes.reduce((a, b) => a + b, 0) > maxBytesPerAccount) {
        return answer(reply, errorReply(stanza, new StanzaError('resource-constraint', 'private storage is full')));
      }
      // Elements and index change together: one transaction (DESIGN.md), on disk before the result.
      mod.storage.db.transaction(() => {
        for (const { key, xml } of writes) {
          if (xml === undefined) store.delete(username, key);
          else store.set(username, key, xml);
        }
        store.set(username, indexKey, index);
      })();
      return answer(reply, iqResult(stanza));
    });

    // §5: another account's private XML is not there to read or write.
    for (const type of ['get', 'set'] as const) {
      mod.hook(`iq-${type}/bare/${privateNs}:query`, ({ stanza, reply }) =>
        answer(reply, errorReply(stanza, new StanzaError('forbidden', 'private XML belongs to its own account'))),
      );
    }

    mod.hook('user-deleted', ({ username }) => {
      const index = indexOf(username);
      mod.storage.db.transaction(() => {
        for (const key of Object.keys(index)) store.delete(username, key);
        store.delete(username, indexKey);
      })();
    });
  },
});

function answer(reply: (stanza: Element) => void, stanza: Element): true {
  reply(stanza);
  return true;
}

/**
 * §3: the element must be there and carry a namespace of its own; the reserved ones (jabber:*,
 * http://jabber.org/*, vcard-temp) are refused as existing servers do.
 */
function checkElement(element: Element | undefined): StanzaError | undefined {
  if (!element) return new StanzaError('not-acceptable', 'name the element to store or retrieve');
  const ns = element.getNS();
  if (!ns || ns === privateNs) return new StanzaError('not-acceptable', 'the element needs a namespace of its own');
  if (ns.startsWith('jabber:') || ns.startsWith('http://jabber.org/') || ns.startsWith('vcard-temp')) {
    return new StanzaError('not-acceptable', `${ns} is a reserved namespace`);
  }
  return undefined;
}

/** Clark notation: unique per (namespace, name), and never equal to the index key. */
function keyOf(element: Element): string {
  return `{${element.getNS()}}${element.getName()}`;
}

/** The element without prefix or inherited namespace, so it reads back the same on its own. */
function standalone(element: Element): Element {
  const copy = clone(element);
  if (copy.name.includes(':')) copy.name = copy.getName();
  copy.attrs.xmlns = element.getNS();
  return copy;
}

function emptyCopy(element: Element): Element {
  return new Element(element.getName(), { xmlns: element.getNS() });
}

/** Storing an empty element is the same as storing nothing, so nothing is kept. */
function isEmpty(element: Element): boolean {
  return element.children.every((c) => typeof c === 'string' && c.trim() === '') && Object.keys(element.attrs).every((a) => a === 'xmlns' || a.startsWith('xmlns:'));
}

function parseStored(xml: string): Element | undefined {
  try {
    return parse(xml) as Element;
  } catch {
    return undefined;
  }
}
