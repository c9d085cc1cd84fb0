// RFC 6121 §3 and §4: presence subscriptions (the full handshake, with pre-approval) and
// presence broadcast, probes, directed presence and unavailable on disconnect.
import { Element, clone, parse } from 'ltx';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';
import { newRosterItem } from '../core/storage/roster.js';
import type { Jid } from '../util/jid.js';
import {
  applyInbound,
  applyOutbound,
  sameState,
  subscriptionHasFrom,
  subscriptionHasTo,
  type SubscriptionType,
} from '../util/subscription-state.js';
import { serialize } from '../util/xml.js';

const subscriptionTypes = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export default defineModule({
  name: 'presence',
  setup(mod) {
    // Addresses that got directed presence from a session and must hear when it goes away (§4.6.3).
    const directed = new WeakMap<ClientSession, Set<string>>();

    mod.hook('presence/broadcast', ({ session, stanza }) => {
      if (stanza.attrs.type === 'unavailable') {
        if (session.presence) goUnavailable(mod, session, stanza, directed.get(session));
        directed.delete(session);
        return true;
      }
      const initial = session.presence === undefined;
      const wasReachable = !initial && session.priority >= 0;
      session.priority = parsePriority(stanza);
      session.presence = stanza;
      broadcast(mod, session, stanza);
      if (initial) onInitialPresence(mod, session);
      if (!wasReachable && session.priority >= 0) mod.fire('presence/reachable', { session });
      return true;
    });

    mod.hook('resource-unbind', ({ session }) => {
      if (!session.presence) return;
      const unavailable = new Element('presence', { type: 'unavailable' });
      goUnavailable(mod, session, unavailable, directed.get(session));
      directed.delete(session);
    });

    // Outbound: what the user's own clients send to others.
    for (const target of ['bare', 'full'] as const) {
      mod.hook(`pre-presence/${target}`, ({ stanza, origin, from, to }) => {
        const type = stanza.attrs.type as string | undefined;
        if (type !== undefined && subscriptionTypes.has(type)) {
          outboundSubscription(mod, from, to.bare, type as SubscriptionType, stanza);
          return true;
        }
        if (origin && (type === undefined || type === 'unavailable')) {
          // Directed presence (§4.6): remember it unless the target gets broadcasts anyway.
          const item = mod.storage.roster.item(from.local!, to.toBareString());
          if (!item || !subscriptionHasFrom(item.subscription)) {
            const set = directed.get(origin) ?? new Set<string>();
            if (type === 'unavailable') set.delete(to.toString());
            else set.add(to.toString());
            directed.set(origin, set);
          }
        }
        return undefined;
      });

      // Inbound: what arrives for a local account.
      mod.hook(`presence/${target}`, ({ stanza, from, to }) => {
        const type = stanza.attrs.type as string | undefined;
        if (type !== undefined && subscriptionTypes.has(type)) {
          inboundSubscription(mod, to.local!, from.bare, type as SubscriptionType, stanza);
          return true;
        }
        if (type === 'probe') {
          answerProbe(mod, to.local!, from);
          return true;
        }
        return undefined;
      }, 10);
    }
  },
});

function parsePriority(stanza: Element): number {
  const text = stanza.getChildText('priority');
  const value = text === null ? 0 : Number.parseInt(text, 10);
  // RFC 6121 §4.7.2.3: an integer from -128 to +127.
  return Number.isFinite(value) ? Math.max(-128, Math.min(127, value)) : 0;
}

function copyFrom(stanza: Element, from: string, to: string): Element {
  const copy = clone(stanza);
  copy.attrs.from = from;
  copy.attrs.to = to;
  return copy;
}

/** §4.2.2 and §4.4.2: to every contact with a subscription from the user, and to the user's other resources. */
function broadcast(mod: ModuleApi, session: ClientSession, stanza: Element): void {
  const from = session.jid!.toString();
  for (const item of mod.storage.roster.items(session.username!)) {
    if (subscriptionHasFrom(item.subscription)) mod.send(copyFrom(stanza, from, item.contact));
  }
  for (const other of mod.sessions.availableSessionsOf(session.username!)) {
    if (other !== session) other.send(copyFrom(stanza, from, other.jid!.toString()));
  }
}

function goUnavailable(mod: ModuleApi, session: ClientSession, stanza: Element, directedTo: Set<string> | undefined): void {
  const unavailable = new Element('presence', { type: 'unavailable' });
  for (const child of stanza.getChildren('status')) unavailable.cnode(clone(child));
  broadcast(mod, session, unavailable);
  for (const address of directedTo ?? []) mod.send(copyFrom(unavailable, session.jid!.toString(), address));
  session.presence = undefined;
}

function onInitialPresence(mod: ModuleApi, session: ClientSession): void {
  const username = session.username!;
  const fullJid = session.jid!.toString();
  // §4.2.2: probe the contacts the user is subscribed to, and show the user's other resources.
  for (const item of mod.storage.roster.items(username)) {
    if (subscriptionHasTo(item.subscription)) {
      mod.send(new Element('presence', { type: 'probe', from: fullJid, to: item.contact }));
    }
  }
  for (const other of mod.sessions.availableSessionsOf(username)) {
    if (other !== session && other.presence) session.send(copyFrom(other.presence, other.jid!.toString(), fullJid));
  }
  // §3.1.3: subscription requests that came while the user was away.
  for (const item of mod.storage.roster.items(username)) {
    if (!item.pendingIn) continue;
    const stored = item.pendingInStanza ? parseStored(item.pendingInStanza) : undefined;
    session.send(subscriptionStanza('subscribe', item.contact, fullJid, stored ?? new Element('presence')));
  }
  mod.fire('presence/initial', { session });
}

/** A subscription request with only the children worth keeping (status, XEP-0172 nick). */
function subscriptionStanza(type: SubscriptionType, from: string, to: string, original: Element): Element {
  const stanza = new Element('presence', { type, from, to });
  for (const child of original.getChildElements()) {
    if (child.name === 'status' || child.name === 'nick') stanza.cnode(clone(child));
  }
  return stanza;
}

/** Our own serialisation of a stored request; never fails on it, but a damaged row must not throw. */
function parseStored(xml: string): Element | undefined {
  try {
    return parse(xml) as Element;
  } catch {
    return undefined;
  }
}

/** The user's client sent a subscription stanza (RFC 6121 §3, A.2). */
function outboundSubscription(mod: ModuleApi, user: Jid, contact: Jid, type: SubscriptionType, stanza: Element): void {
  const username = user.local!;
  const contactJid = contact.toString();
  if (contactJid === user.toBareString()) return; // subscribing to oneself is meaningless
  const item = mod.storage.roster.item(username, contactJid) ?? newRosterItem(contactJid);
  const result = applyOutbound(item, type);
  // A request puts the contact in the roster (§3.1.2), and so does an approval that changes
  // something: approving a request (§3.1.5, pushed with subscription "from") or pre-approving
  // one (§3.4.2, "none" with approved="true").
  const listed = item.listed || type === 'subscribe' || (type === 'subscribed' && !sameState(item, result.state));
  const visible = listed && (!sameState(item, result.state) || listed !== item.listed);
  const next = { ...item, ...result.state, listed, pendingInStanza: result.state.pendingIn ? item.pendingInStanza : undefined };
  const version = mod.storage.roster.save(username, next, visible);
  if (version !== undefined) mod.fire('roster-item-changed', { username, contact: contactJid, version });
  if (!result.route) return;

  // §3.1.2: the request leaves stamped with the bare JID.
  mod.send(subscriptionStanza(type, user.toBareString(), contactJid, stanza));

  if (type === 'subscribed') {
    // §3.1.5: the new subscriber gets the user's current presence right away.
    for (const session of mod.sessions.availableSessionsOf(username)) mod.send(copyFrom(session.presence!, session.jid!.toString(), contactJid));
  } else if (type === 'unsubscribed') {
    // §3.2.2: and a former subscriber sees the user go offline.
    for (const session of mod.sessions.availableSessionsOf(username)) {
      mod.send(new Element('presence', { type: 'unavailable', from: session.jid!.toString(), to: contactJid }));
    }
  }
}

/** A subscription stanza from a contact arrives for a local account (RFC 6121 §3, A.3). */
function inboundSubscription(mod: ModuleApi, username: string, contact: Jid, type: SubscriptionType, stanza: Element): void {
  const contactJid = contact.toString();
  const userJid = `${username}@${mod.host}`;
  if (!mod.storage.accounts.exists(username)) {
    // §3.1.3: no such user; say so to a subscription request, ignore the rest.
    if (type === 'subscribe') mod.send(new Element('presence', { type: 'unsubscribed', from: userJid, to: contactJid }));
    return;
  }
  const item = mod.storage.roster.item(username, contactJid) ?? newRosterItem(contactJid);
  const result = applyInbound(item, type);
  const visible = item.listed && (item.subscription !== result.state.subscription || item.askOut !== result.state.askOut);
  const pendingInStanza =
    type === 'subscribe' && result.state.pendingIn
      ? serialize(subscriptionStanza('subscribe', contactJid, userJid, stanza))
      : result.state.pendingIn
        ? item.pendingInStanza
        : undefined;
  const next = { ...item, ...result.state, pendingInStanza };
  if (!sameState(item, result.state) || pendingInStanza !== item.pendingInStanza) {
    const version = mod.storage.roster.save(username, next, visible);
    if (version !== undefined) mod.fire('roster-item-changed', { username, contact: contactJid, version });
  }

  if (result.autoReplySubscribed) {
    mod.send(new Element('presence', { type: 'subscribed', from: userJid, to: contactJid }));
    for (const session of mod.sessions.availableSessionsOf(username)) mod.send(copyFrom(session.presence!, session.jid!.toString(), contactJid));
  }
  if (result.deliver) {
    const delivered = subscriptionStanza(type, contactJid, userJid, stanza);
    for (const session of mod.sessions.availableSessionsOf(username)) session.send(delivered);
  }
  if (type === 'unsubscribe' && result.deliver) {
    // §3.3.3: the contact no longer receives the user's presence; end what it last saw.
    for (const session of mod.sessions.availableSessionsOf(username)) {
      mod.send(new Element('presence', { type: 'unavailable', from: session.jid!.toString(), to: contactJid }));
    }
  }
}

/** §4.3.2: a probe is answered with each available resource's presence, if the asker may see it. */
function answerProbe(mod: ModuleApi, username: string, asker: Jid): void {
  const userJid = `${username}@${mod.host}`;
  const self = asker.toBareString() === userJid;
  if (!self) {
    const item = mod.storage.roster.item(username, asker.toBareString());
    if (!item || !subscriptionHasFrom(item.subscription)) return;
  }
  const sessions = mod.sessions.availableSessionsOf(username);
  for (const session of sessions) mod.send(copyFrom(session.presence!, session.jid!.toString(), asker.toString()));
  if (sessions.length === 0) mod.send(new Element('presence', { type: 'unavailable', from: userJid, to: asker.toString() }));
}
