// Group chat helpers for the XEP-0045 tests: entering rooms (waiting for the whole join
// sequence, which ends with the subject), configuring them, admin requests, and reading the
// muc#user payload of what the room sends.
import type { Client, Element } from '@xmpp/client';
import { domain, nextStanza, xml } from '../../../support/server.js';

export const conference = `conference.${domain}`;
export const mucNs = 'http://jabber.org/protocol/muc';
export const mucUserNs = 'http://jabber.org/protocol/muc#user';
export const mucAdminNs = 'http://jabber.org/protocol/muc#admin';
export const mucOwnerNs = 'http://jabber.org/protocol/muc#owner';
export const dataNs = 'jabber:x:data';
export const sidNs = 'urn:xmpp:sid:0';
export const delayNs = 'urn:xmpp:delay';
export const discoInfoNs = 'http://jabber.org/protocol/disco#info';
export const discoItemsNs = 'http://jabber.org/protocol/disco#items';

let roomCounter = 0;

/** A room JID no other test uses. */
export function freshRoom(name = 'room'): string {
  roomCounter++;
  return `${name}${roomCounter}-${process.pid}@${conference}`;
}

export interface Joined {
  /** The self-presence (status 110). */
  self: Element;
  /** Presence of the occupants already there, in the order they came. */
  others: Element[];
  history: Element[];
  subject: Element;
}

export interface JoinOptions {
  password?: string;
  history?: Record<string, string>;
}

/** The join presence of §7.2.1, with the MUC element. */
export function joinPresence(room: string, nick: string, options: JoinOptions = {}): Element {
  const children: Element[] = [];
  if (options.password !== undefined) children.push(xml('password', {}, options.password));
  if (options.history) children.push(xml('history', options.history));
  return xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: mucNs }, ...children));
}

/**
 * Enters a room and waits for the whole join sequence (§7.1: presence, self-presence, history,
 * subject). Rejects with the error condition when the room answers with a presence error.
 */
export async function join(client: Client, room: string, nick: string, options: JoinOptions = {}): Promise<Joined> {
  const others: Element[] = [];
  const history: Element[] = [];
  let self: Element | undefined;
  const fromRoom = (s: Element) => String(s.attrs.from ?? '').split('/')[0] === room;
  const listener = (stanza: Element) => {
    if (!fromRoom(stanza)) return;
    if (stanza.is('presence') && stanza.attrs.type === undefined) {
      if (statusCodes(stanza).includes(110)) self = stanza;
      else if (!self) others.push(stanza);
    } else if (stanza.is('message') && stanza.attrs.type === 'groupchat' && !stanza.getChild('subject')) {
      history.push(stanza);
    }
  };
  client.on('stanza', listener);
  try {
    const end = nextStanza(
      client,
      (s) => fromRoom(s) && ((s.is('message') && s.getChild('subject') !== undefined && !s.getChild('body')) || (s.is('presence') && s.attrs.type === 'error')),
    );
    await client.send(joinPresence(room, nick, options));
    const last = await end;
    if (last.is('presence')) throw Object.assign(new Error(`joining failed: ${errorConditionOf(last)}`), { condition: errorConditionOf(last) });
    return { self: self!, others, history, subject: last };
  } finally {
    client.off('stanza', listener);
  }
}

/** Creates a room (expecting 201) and submits the configuration form with these fields. */
export async function createRoom(client: Client, room: string, nick: string, fields: Record<string, string | string[]> = {}): Promise<Joined> {
  const joined = await join(client, room, nick);
  if (!statusCodes(joined.self).includes(201)) throw new Error('the room was not new');
  await configure(client, room, fields);
  return joined;
}

export function configure(client: Client, room: string, fields: Record<string, string | string[]>): Promise<Element> {
  const formFields = [
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, ...(Array.isArray(value) ? value : [value]).map((v) => xml('value', {}, v)))),
  ];
  return client.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mucOwnerNs }, xml('x', { xmlns: dataNs, type: 'submit' }, ...formFields))));
}

/** A muc#admin set with one or more items (attributes, and an optional reason). */
export function adminSet(client: Client, room: string, ...items: Array<Record<string, string> & { reason?: string }>): Promise<Element> {
  const elements = items.map(({ reason, ...attrs }) => xml('item', attrs, ...(reason === undefined ? [] : [xml('reason', {}, reason)])));
  return client.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mucAdminNs }, ...elements)));
}

/** A muc#admin list (§9.5 and friends): the items. */
export async function adminList(client: Client, room: string, attrs: Record<string, string>): Promise<Element[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: mucAdminNs }, xml('item', attrs))));
  return result.getChild('query', mucAdminNs)!.getChildren('item');
}

export function groupchat(room: string, body: string, id?: string): Element {
  return xml('message', { type: 'groupchat', to: room, id }, xml('body', {}, body));
}

export function statusCodes(stanza: Element): number[] {
  return (stanza.getChild('x', mucUserNs)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
}

export function mucItem(stanza: Element): Record<string, string> {
  return (stanza.getChild('x', mucUserNs)?.getChild('item')?.attrs ?? {}) as Record<string, string>;
}

export function errorConditionOf(stanza: Element): string | undefined {
  return stanza
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

/** Waits for a groupchat message with this body from the room. */
export function nextGroupchat(client: Client, room: string, body: string, ms?: number): Promise<Element> {
  return nextStanza(client, (s) => s.is('message') && s.attrs.type === 'groupchat' && String(s.attrs.from).startsWith(`${room}/`) && s.getChildText('body') === body, ms);
}

/** Waits for presence from an occupant JID (of the given type; undefined for available). */
export function nextOccupantPresence(client: Client, occupantJid: string, type?: string, ms?: number): Promise<Element> {
  return nextStanza(client, (s) => s.is('presence') && s.attrs.from === occupantJid && s.attrs.type === type, ms);
}

/** The stanza-id the room put on a message. */
export function roomStanzaId(message: Element, room: string): string | undefined {
  return message.getChildren('stanza-id', sidNs).find((s) => s.attrs.by === room)?.attrs.id as string | undefined;
}
