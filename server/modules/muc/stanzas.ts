// Namespaces and the muc#user payloads of XEP-0045 (§15.2 status codes, §16 schemas).
import { Element } from 'ltx';
import type { StanzaError } from '../../util/errors.js';
import type { Affiliation, Role } from './roles.js';

export const mucNs = 'http://jabber.org/protocol/muc';
export const mucUserNs = 'http://jabber.org/protocol/muc#user';
export const mucAdminNs = 'http://jabber.org/protocol/muc#admin';
export const mucOwnerNs = 'http://jabber.org/protocol/muc#owner';
/** §7.4: the service reflects the sender's message id. */
export const stableIdFeature = 'http://jabber.org/protocol/muc#stable_id';
/** XEP-0410 §4: the service itself answers a self-ping. */
export const selfPingFeature = 'http://jabber.org/protocol/muc#self-ping-optimization';
/** XEP-0421: Anonymous unique occupant identifiers. */
export const occupantIdNs = 'urn:xmpp:occupant-id:0';
/** XEP-0424: Message Retraction. */
export const retractNs = 'urn:xmpp:message-retract:1';
/** XEP-0425: Moderated Message Retraction. */
export const moderateNs = 'urn:xmpp:message-moderate:1';
export const vcardTempNs = 'vcard-temp';
export const hintsNs = 'urn:xmpp:hints';
export const fallbackNs = 'urn:xmpp:fallback:0';

/** §15.2 (the status code registry), the codes this service sends. */
export const Status = {
  nonAnonymous: 100,
  configChanged: 104,
  self: 110,
  loggingOn: 170,
  loggingOff: 171,
  nowNonAnonymous: 172,
  nowSemiAnonymous: 173,
  created: 201,
  nickAssigned: 210,
  banned: 301,
  nickChanged: 303,
  kicked: 307,
  affiliationChanged: 321,
  membersOnly: 322,
  shutdown: 332,
  technical: 333,
} as const;

export interface ItemInfo {
  affiliation: Affiliation;
  role: Role;
  /** The real JID, only for those allowed to see it. */
  jid?: string;
  /** The new nick (§7.6, with 303). */
  nick?: string;
  /** Who did it (§8.2: the moderator's nick). */
  actor?: string;
  reason?: string;
}

/** <x xmlns='…muc#user'> with one item and the status codes, and any further children. */
export function userX(item: ItemInfo | undefined, codes: readonly number[], extra: Element[] = []): Element {
  const x = new Element('x', { xmlns: mucUserNs });
  if (item) {
    const attrs: Record<string, string> = { affiliation: item.affiliation, role: item.role };
    if (item.jid !== undefined) attrs.jid = item.jid;
    if (item.nick !== undefined) attrs.nick = item.nick;
    const element = x.c('item', attrs);
    if (item.actor !== undefined) element.c('actor', { nick: item.actor });
    if (item.reason !== undefined) element.c('reason').t(item.reason);
  }
  for (const child of extra) x.cnode(child);
  for (const code of [...new Set(codes)].sort((a, b) => a - b)) x.c('status', { code: String(code) });
  return x;
}

/** §7.2.x: a presence error from the occupant JID the user tried, carrying the muc <x/> (§7.2.6 examples). */
export function presenceError(from: string, to: string, id: string | undefined, error: StanzaError, by: string): Element {
  const presence = new Element('presence', id === undefined ? { from, to, type: 'error' } : { from, to, type: 'error', id });
  presence.c('x', { xmlns: mucNs });
  presence.cnode(error.toElement(by));
  return presence;
}

/** A message from the room itself with only status codes (§10.2.1 configuration changes). */
export function statusMessage(roomJid: string, codes: number[]): Element {
  const message = new Element('message', { from: roomJid, type: 'groupchat' });
  message.cnode(userX(undefined, codes));
  return message;
}
