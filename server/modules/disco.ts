// XEP-0030: Service Discovery — https://xmpp.org/extensions/xep-0030.html
// XEP-0115: Entity Capabilities (the server's caps as a stream feature, §6.3) — https://xmpp.org/extensions/xep-0115.html
import { Element, clone } from 'ltx';
import type { DiscoInfo } from '../core/disco-registry.js';
import { defineModule, type ModuleApi } from '../core/module-host.js';
import { capsVerification } from '../util/caps.js';
import { StanzaError } from '../util/errors.js';
import { NS } from '../util/namespaces.js';
import { errorReply, iqResult } from '../util/stanza.js';
import { subscriptionHasFrom } from '../util/subscription-state.js';

export const capsNode = 'https://hearth.chat';
/** Disco entries for accounts (bare JIDs) live under this key in the registry. */
export const accountDiscoKey = '@account';

export default defineModule({
  name: 'disco',
  setup(mod) {
    mod.addIdentity({ category: 'server', type: 'im', name: 'Hearth' });
    mod.addFeature(NS.discoInfo);
    mod.addFeature(NS.discoItems);
    mod.addIdentity({ category: 'account', type: 'registered' }, accountDiscoKey);
    mod.addFeature(NS.discoInfo, accountDiscoKey);

    // Computed on first use (every module has declared its features by then), and again after a
    // change at run time (the onion address advertised or withdrawn).
    let verification: { revision: number; value: string } | undefined;
    const serverVerification = () => {
      if (verification?.revision !== mod.disco.revision) verification = { revision: mod.disco.revision, value: capsVerification(mod.disco.info(mod.host)) };
      return verification.value;
    };

    mod.hook('stream-features', ({ features }) => {
      features.c('c', { xmlns: NS.caps, hash: 'sha-1', node: capsNode, ver: serverVerification() });
    });

    mod.hook(`iq-get/host/${NS.discoInfo}:query`, ({ stanza, payload, reply }) => {
      const node = payload.attrs.node as string | undefined;
      if (node !== undefined && node !== `${capsNode}#${serverVerification()}`) {
        reply(errorReply(stanza, new StanzaError('item-not-found')));
        return true;
      }
      reply(iqResult(stanza, infoQuery(mod.disco.info(mod.host), node)));
      return true;
    });

    mod.hook(`iq-get/host/${NS.discoItems}:query`, ({ stanza, payload, reply }) => {
      if (payload.attrs.node !== undefined) {
        reply(errorReply(stanza, new StanzaError('item-not-found')));
        return true;
      }
      reply(iqResult(stanza, itemsQuery(mod.disco.items(mod.host))));
      return true;
    });

    // A component host (conference.<domain> ...) answers from what its module declared under that
    // host. Addresses at a component (rooms, occupants) are its module's to answer: it hooks these
    // events at a higher priority, and what it leaves falls through to the router's error.
    mod.hook(`iq-get/component/${NS.discoInfo}:query`, ({ stanza, payload, to, reply }) => {
      if (to.local !== undefined || to.resource !== undefined) return undefined;
      if (payload.attrs.node !== undefined) reply(errorReply(stanza, new StanzaError('item-not-found')));
      else reply(iqResult(stanza, infoQuery(mod.disco.info(to.domain), undefined)));
      return true;
    });

    mod.hook(`iq-get/component/${NS.discoItems}:query`, ({ stanza, payload, to, reply }) => {
      if (to.local !== undefined || to.resource !== undefined) return undefined;
      if (payload.attrs.node !== undefined) {
        reply(errorReply(stanza, new StanzaError('item-not-found')));
        return true;
      }
      reply(iqResult(stanza, itemsQuery(mod.disco.items(to.domain))));
      return true;
    });

    // An account answers for itself to its owner and to contacts it shares presence with
    // (XEP-0030 §3.1 leaves this to the server; we keep accounts private from strangers).
    mod.hook(`iq-get/bare/${NS.discoInfo}:query`, ({ stanza, payload, from, to, reply }) => {
      if (!mayDiscoverAccount(mod, to.local!, from.toBareString())) {
        reply(errorReply(stanza, new StanzaError('service-unavailable')));
        return true;
      }
      if (payload.attrs.node !== undefined) {
        reply(errorReply(stanza, new StanzaError('item-not-found')));
        return true;
      }
      reply(iqResult(stanza, infoQuery(mod.disco.info(accountDiscoKey), undefined)));
      return true;
    });

    mod.hook(`iq-get/bare/${NS.discoItems}:query`, ({ stanza, from, to, reply }) => {
      if (!mayDiscoverAccount(mod, to.local!, from.toBareString())) {
        reply(errorReply(stanza, new StanzaError('service-unavailable')));
        return true;
      }
      reply(iqResult(stanza, new Element('query', { xmlns: NS.discoItems })));
      return true;
    });
  },
});

function mayDiscoverAccount(mod: ModuleApi, username: string, askerBare: string): boolean {
  if (!mod.storage.accounts.exists(username)) return false;
  if (askerBare === `${username}@${mod.host}`) return true;
  const item = mod.storage.roster.item(username, askerBare);
  return item !== undefined && subscriptionHasFrom(item.subscription);
}

function itemsQuery(items: Array<{ jid: string; name?: string }>): Element {
  const query = new Element('query', { xmlns: NS.discoItems });
  for (const item of items) query.c('item', item.name ? { jid: item.jid, name: item.name } : { jid: item.jid });
  return query;
}

function infoQuery(info: DiscoInfo, node: string | undefined): Element {
  const query = new Element('query', node ? { xmlns: NS.discoInfo, node } : { xmlns: NS.discoInfo });
  for (const identity of info.identities) {
    query.c('identity', identity.name ? { category: identity.category, type: identity.type, name: identity.name } : { category: identity.category, type: identity.type });
  }
  for (const feature of info.features) query.c('feature', { var: feature });
  for (const form of info.extensions) query.cnode(clone(form));
  return query;
}
