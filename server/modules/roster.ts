// RFC 6121 §2: roster management, with versioning (§2.6) and pushes (§2.1.6).
import { Element, clone } from 'ltx';
import { randomBytes } from 'node:crypto';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { newRosterItem, type RosterItem } from '../core/storage/roster.js';
import { StanzaError } from '../util/errors.js';
import { parseJid } from '../util/jid.js';
import { NS } from '../util/namespaces.js';
import { elementChildren, errorReply, iqResult } from '../util/stanza.js';

const maxNameLength = 1024;

export default defineModule({
  name: 'roster',
  setup(mod) {
    mod.hook('stream-features', ({ features, authenticated }) => {
      if (!authenticated) return;
      features.c('ver', { xmlns: NS.rosterVersioning });
      features.c('sub', { xmlns: NS.preApproval });
    });

    mod.hook(`iq-get/self/${NS.roster}:query`, ({ stanza, payload, origin, reply }) => {
      if (!origin) return undefined;
      origin.interested = true;
      const username = origin.username!;
      const version = String(mod.storage.roster.version(username));
      // §2.6.3: when the client already has this version, send no items; pushes follow.
      if (payload.attrs.ver !== undefined && payload.attrs.ver === version) {
        reply(iqResult(stanza));
        return true;
      }
      const query = new Element('query', { xmlns: NS.roster, ver: version });
      for (const item of mod.storage.roster.items(username)) if (item.listed) query.cnode(itemElement(item));
      reply(iqResult(stanza, query));
      return true;
    });

    mod.hook(`iq-set/self/${NS.roster}:query`, ({ stanza, payload, from, reply }) => {
      const error = applyRosterSet(mod, from.local!, from.toBareString(), payload);
      reply(error ? errorReply(stanza, error) : iqResult(stanza));
      return true;
    });

    mod.hook('roster-item-changed', ({ username, contact, version }) => {
      const item = mod.storage.roster.item(username, contact);
      const element = item?.listed ? itemElement(item) : new Element('item', { jid: contact, subscription: 'remove' });
      for (const session of mod.sessions.sessionsOf(username)) {
        if (!session.interested) continue;
        const push = new Element('iq', { type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: session.jid!.toString() });
        push.c('query', { xmlns: NS.roster, ver: String(version) }).cnode(clone(element));
        session.send(push);
      }
    });
  },
});

/** RFC 6121 §2.3 and §2.5: a roster set adds, updates or removes one item. */
function applyRosterSet(mod: ModuleApi, username: string, ownJid: string, query: Element): StanzaError | undefined {
  const items = elementChildren(query).filter((c) => c.name === 'item');
  if (items.length !== 1) return new StanzaError('bad-request', 'a roster set carries exactly one item');
  const element = items[0]!;
  const contact = element.attrs.jid ? parseJid(element.attrs.jid) : undefined;
  if (!contact) return new StanzaError('jid-malformed', 'the item needs a valid jid');
  if (contact.resource !== undefined) return new StanzaError('bad-request', 'roster items are bare JIDs');
  const contactJid = contact.toBareString();
  if (contactJid === ownJid) return new StanzaError('not-allowed', 'you cannot add yourself');

  if (element.attrs.subscription === 'remove') {
    // §2.5.3: removing an item that is not in the roster is an error.
    if (!mod.storage.roster.item(username, contactJid)?.listed) return new StanzaError('item-not-found', 'that contact is not in the roster');
    removeItem(mod, username, contactJid);
    return undefined;
  }

  const name = element.attrs.name as string | undefined;
  if (name !== undefined && name.length > maxNameLength) return new StanzaError('not-acceptable', 'the name is too long');
  const groups = element.getChildren('group').map((g) => g.getText());
  if (groups.some((g) => g === '' || g.length > maxNameLength)) return new StanzaError('not-acceptable', 'group names cannot be empty or too long');
  if (new Set(groups).size !== groups.length) return new StanzaError('bad-request', 'a group is listed twice');

  const existing = mod.storage.roster.item(username, contactJid);
  if (!existing?.listed && mod.storage.roster.listedCount(username) >= mod.config.limits.maxRosterItems) {
    return new StanzaError('resource-constraint', 'the roster is full');
  }
  // §2.1.2.2: the client controls name and groups only; subscription attributes are ignored.
  const item: RosterItem = { ...(existing ?? newRosterItem(contactJid)), name, groups, listed: true };
  const version = mod.storage.roster.save(username, item, true)!;
  mod.fire('roster-item-changed', { username, contact: contactJid, version });
  return undefined;
}

/**
 * RFC 6121 §2.5.2: removing an item cancels both directions of the subscription, tells the
 * contact, and pushes the removal.
 */
function removeItem(mod: ModuleApi, username: string, contact: string): void {
  const item = mod.storage.roster.item(username, contact);
  const from = `${username}@${mod.host}`;
  if (item) {
    if (item.subscription === 'to' || item.subscription === 'both' || item.askOut) {
      mod.send(new Element('presence', { type: 'unsubscribe', from, to: contact }));
    }
    if (item.subscription === 'from' || item.subscription === 'both' || item.pendingIn) {
      mod.send(new Element('presence', { type: 'unsubscribed', from, to: contact }));
    }
  }
  const version = mod.storage.roster.delete(username, contact);
  mod.fire('roster-item-changed', { username, contact, version });
}

export function itemElement(item: RosterItem): Element {
  const attrs: Record<string, string> = { jid: item.contact, subscription: item.subscription };
  if (item.name !== undefined) attrs.name = item.name;
  if (item.askOut) attrs.ask = 'subscribe';
  if (item.preApproved) attrs.approved = 'true';
  const element = new Element('item', attrs);
  for (const group of item.groups) element.c('group').t(group);
  return element;
}
