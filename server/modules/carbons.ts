// XEP-0280: Message Carbons — https://xmpp.org/extensions/xep-0280.html
// Every device of an account that enabled carbons sees the conversation: copies of messages
// the account receives on other devices, and of messages its other devices send.
import { Element, clone } from 'ltx';
import { defineModule } from '../core/module-host.js';
import type { StanzaEvent } from '../core/events.js';
import type { ClientSession } from '../core/session.js';
import { iqResult } from '../util/stanza.js';

const carbonsNs = 'urn:xmpp:carbons:2';
const forwardNs = 'urn:xmpp:forward:0';
const hintsNs = 'urn:xmpp:hints';
const mucUserNs = 'http://jabber.org/protocol/muc#user';

export default defineModule({
  name: 'carbons',
  setup(mod) {
    mod.addFeature(carbonsNs);
    const enabled = new WeakSet<ClientSession>();

    mod.hook(`iq-set/self/${carbonsNs}:enable`, ({ stanza, origin, reply }) => {
      if (origin) enabled.add(origin);
      reply(iqResult(stanza));
      return true;
    });
    mod.hook(`iq-set/self/${carbonsNs}:disable`, ({ stanza, origin, reply }) => {
      if (origin) enabled.delete(origin);
      reply(iqResult(stanza));
      return true;
    });

    // Received: copies to the account's enabled devices that do not get the message itself.
    // Priority 0: after the archive stamped its stanza-id, before delivery (-1000).
    const copyReceived = ({ stanza, from, to }: StanzaEvent) => {
      if (!eligible(stanza)) return undefined;
      // §6: a private message from a group chat occupant (a full JID) is not copied: the group
      // chat service already sends it to every device joined to the room.
      if (from.resource !== undefined && stanza.getChild('x', mucUserNs)) return undefined;
      const username = to.local!;
      const direct = to.resource !== undefined ? mod.sessions.get(username, to.resource) : undefined;
      const targets = new Set<ClientSession>(direct ? [direct] : mod.sessions.messageTargetsOf(username));
      for (const session of mod.sessions.sessionsOf(username)) {
        if (!targets.has(session) && enabled.has(session)) session.send(carbon('received', stanza, session));
      }
      return undefined;
    };
    mod.hook('message/bare', copyReceived, 0);
    mod.hook('message/full', copyReceived, 0);

    // Sent: copies of what one device sends to the account's other enabled devices.
    const copySent = ({ stanza, origin, to }: StanzaEvent) => {
      if (!origin || !eligible(stanza)) return undefined;
      const username = origin.username!;
      if (to.local === username && to.domain === mod.host) return undefined; // to itself: delivery covers it
      for (const session of mod.sessions.sessionsOf(username)) {
        if (session !== origin && enabled.has(session)) session.send(carbon('sent', stanza, session));
      }
      return undefined;
    };
    for (const target of ['bare', 'full', 'host'] as const) mod.hook(`pre-message/${target}`, copySent, 0);
  },
});

/** XEP-0280 §6: which messages are copied. */
function eligible(stanza: Element): boolean {
  if (stanza.getChild('private', carbonsNs) || stanza.getChild('no-copy', hintsNs)) return false;
  // A message that is itself a carbon (a client forwarding one) is never copied again.
  if (stanza.getChild('received', carbonsNs) || stanza.getChild('sent', carbonsNs)) return false;
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'chat') return true;
  if (type === 'normal') return stanza.getChild('body') !== undefined;
  // Private messages in group chats are conversations too (§6).
  if (type === 'error' || type === 'groupchat' || type === 'headline') return false;
  return stanza.getChild('x', mucUserNs) !== undefined;
}

function carbon(direction: 'sent' | 'received', stanza: Element, to: ClientSession): Element {
  const bare = to.jid!.toBareString();
  const wrapper = new Element('message', { from: bare, to: to.jid!.toString(), type: stanza.attrs.type ?? 'normal' });
  wrapper.c(direction, { xmlns: carbonsNs }).c('forwarded', { xmlns: forwardNs }).cnode(clone(stanza));
  return wrapper;
}
