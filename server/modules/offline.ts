// XEP-0160: Best Practices for Handling Offline Messages — https://xmpp.org/extensions/xep-0160.html
// Messages for an account with no available resource are stored, then delivered (with a
// XEP-0203 delay stamp) at its next available presence with a non-negative priority.
import { Element, clone, parse } from 'ltx';
import { defineModule } from '../core/module-host.js';
import { StanzaError } from '../util/errors.js';
import { NS } from '../util/namespaces.js';
import { errorReply } from '../util/stanza.js';
import { serialize } from '../util/xml.js';

const chatStates = 'http://jabber.org/protocol/chatstates';
const hints = 'urn:xmpp:hints';

export default defineModule({
  name: 'offline',
  setup(mod) {
    mod.addFeature('msgoffline');

    mod.hook('message/offline', ({ stanza, username, reply }) => {
      const type = stanza.attrs.type ?? 'normal';
      if (type !== 'chat' && type !== 'normal') return undefined;
      // Typing notifications and messages marked no-store are not worth keeping (XEP-0085 §5.6, XEP-0334).
      if (!worthStoring(stanza)) return true;
      if (mod.storage.offline.count(username) >= mod.config.limits.maxOfflineMessages) {
        reply(errorReply(stanza, new StanzaError('resource-constraint', 'the recipient has too many offline messages')));
        return true;
      }
      const stored = clone(stanza);
      if (!stored.getChild('delay', NS.delay)) {
        stored.c('delay', { xmlns: NS.delay, from: mod.host, stamp: new Date().toISOString() }).t('Offline storage');
      }
      // Written before this handler returns: the message is on disk once the sender's stream moves on.
      mod.storage.offline.store(username, serialize(stored));
      return true;
    });

    mod.hook('presence/reachable', ({ session }) => {
      const messages = mod.storage.offline.list(session.username!);
      if (messages.length === 0) return;
      const delivered: number[] = [];
      for (const message of messages) {
        const element = parseStored(message.stanza);
        if (element) {
          element.attrs.to = session.jid!.toString();
          session.send(element);
        } else {
          mod.log.warn('dropped an unreadable offline message');
        }
        delivered.push(message.id);
      }
      mod.storage.offline.delete(delivered);
    });
  },
});

function worthStoring(stanza: Element): boolean {
  if (stanza.getChild('no-store', hints) || stanza.getChild('no-permanent-store', hints)) return false;
  if (stanza.getChild('body')) return true;
  // Anything besides chat states and thread ids (receipts, encrypted payloads, invites) is kept.
  return stanza.getChildElements().some((child) => child.getNS() !== chatStates && child.name !== 'thread');
}

function parseStored(xml: string): Element | undefined {
  try {
    return parse(xml) as Element;
  } catch {
    return undefined;
  }
}
