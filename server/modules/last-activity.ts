// XEP-0012: Last Activity — https://xmpp.org/extensions/xep-0012.html
// Off unless privacy.lastActivity is true. Off, nothing is announced and questions about the
// server's uptime, an account or one of its devices are answered service-unavailable (a device's
// idle time is the user's own business). On, the server tells its uptime, and tells contacts
// allowed to see someone's presence how long ago they were last online (§3).
import { Element } from 'ltx';
import type { IqEvent } from '../core/events.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import type { ClientSession } from '../core/session.js';
import { StanzaError } from '../util/errors.js';
import type { Jid } from '../util/jid.js';
import { errorReply, iqResult } from '../util/stanza.js';
import { subscriptionHasFrom } from '../util/subscription-state.js';
import { accountDiscoKey } from './disco.js';

export const lastActivityNs = 'jabber:iq:last';
const storeKey = 'last-logout';

interface LastLogout {
  /** Unix time in seconds. */
  at: number;
  /** The status text of the unavailable presence the user left with (§3). */
  status?: string;
}

export default defineModule({
  name: 'last-activity',
  setup(mod) {
    const refuse = ({ stanza, reply }: IqEvent) => {
      reply(errorReply(stanza, new StanzaError('service-unavailable')));
      return true;
    };

    if (!mod.config.privacy.lastActivity) {
      mod.hook(`iq-get/host/${lastActivityNs}:query`, refuse);
      mod.hook(`iq-get/bare/${lastActivityNs}:query`, refuse);
      mod.hook(`iq-get/full/${lastActivityNs}:query`, (event) => (sameAccount(event.from, event.to) ? undefined : refuse(event)));
      return;
    }

    const startedAt = Date.now();
    const store = mod.store('logouts', 'keyval');
    mod.addFeature(lastActivityNs);
    mod.addFeature(lastActivityNs, accountDiscoKey);

    // §5: the server's own uptime.
    mod.hook(`iq-get/host/${lastActivityNs}:query`, ({ stanza, reply }) => {
      reply(iqResult(stanza, new Element('query', { xmlns: lastActivityNs, seconds: String(Math.floor((Date.now() - startedAt) / 1000)) })));
      return true;
    });

    // §3: when the account was last online, for those who may see its presence.
    mod.hook(`iq-get/bare/${lastActivityNs}:query`, ({ stanza, from, to, reply }) => {
      const username = to.local!;
      if (!mod.storage.accounts.exists(username)) return undefined; // RFC 6121 §8.5.1: service-unavailable
      if (!maySeePresence(mod, username, from)) {
        reply(errorReply(stanza, new StanzaError('forbidden')));
        return true;
      }
      if (mod.sessions.sessionsOf(username).length > 0) {
        reply(iqResult(stanza, new Element('query', { xmlns: lastActivityNs, seconds: '0' })));
        return true;
      }
      const last = store.get<LastLogout>(username, storeKey);
      if (!last) {
        reply(errorReply(stanza, new StanzaError('item-not-found', 'this account has not been online since last activity was recorded')));
        return true;
      }
      const query = new Element('query', { xmlns: lastActivityNs, seconds: String(Math.max(0, Math.floor(Date.now() / 1000) - last.at)) });
      if (last.status) query.t(last.status);
      reply(iqResult(stanza, query));
      return true;
    });

    // §4: a device answers for itself, but only to those who may see the user's presence.
    mod.hook(`iq-get/full/${lastActivityNs}:query`, ({ stanza, from, to, reply }) => {
      if (maySeePresence(mod, to.local!, from)) return undefined; // delivered to the device
      reply(errorReply(stanza, new StanzaError('forbidden')));
      return true;
    });

    // Remember the status of the unavailable presence the user leaves with, and the time the last
    // device went away.
    const leavingStatus = new WeakMap<ClientSession, string>();
    mod.hook('presence/broadcast', ({ session, stanza }) => {
      const status = stanza.attrs.type === 'unavailable' ? stanza.getChildText('status') : null;
      if (status) leavingStatus.set(session, status.slice(0, 1024));
      else leavingStatus.delete(session);
      return undefined;
    }, 100);
    mod.hook('resource-unbind', ({ session }) => {
      const username = session.username!;
      if (mod.sessions.sessionsOf(username).length > 0 || !mod.storage.accounts.exists(username)) return;
      const record: LastLogout = { at: Math.floor(Date.now() / 1000) };
      const status = leavingStatus.get(session);
      if (status) record.status = status;
      store.set(username, storeKey, record);
    });
    mod.hook('user-deleted', ({ username }) => {
      store.delete(username, storeKey);
    });
  },
});

function sameAccount(a: Jid, b: Jid): boolean {
  return a.local !== undefined && a.local === b.local && a.domain === b.domain;
}

/** XEP-0012 §8: only the user and those with a subscription to the user's presence. */
function maySeePresence(mod: ModuleApi, username: string, asker: Jid): boolean {
  if (asker.local === username && asker.domain === mod.host) return true;
  const item = mod.storage.roster.item(username, asker.toBareString());
  return item !== undefined && subscriptionHasFrom(item.subscription);
}
