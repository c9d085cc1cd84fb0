// XEP-0163: Personal Eventing Protocol — https://xmpp.org/extensions/xep-0163.html
// on XEP-0060: Publish-Subscribe — https://xmpp.org/extensions/xep-0060.html
// XEP-0223: Persistent Storage of Private Data via PubSub — https://xmpp.org/extensions/xep-0223.html
// Good enough for XEP-0384: OMEMO Encryption — https://xmpp.org/extensions/xep-0384.html
//
// Every account's bare JID is a pubsub service with the account as the only publisher. Nodes
// are created by publishing (auto-create) and configured with publish-options or the owner's
// configuration form; items persist in the database. Notifications go to the owner's resources
// and to presence subscribers whose entity caps ask for <node>+notify. Other modules publish
// and read through the pep/* events (core/events.ts).
import { Element } from 'ltx';
import type { IqEvent } from '../../core/events.js';
import { defineModule, type ModuleApi } from '../../core/module-host.js';
import { StanzaError } from '../../util/errors.js';
import { NS } from '../../util/namespaces.js';
import { elementChildren, errorReply, iqResult } from '../../util/stanza.js';
import { accountDiscoKey } from '../disco.js';
import { configForm, configFromStored, defaultConfig, publishOptionsFields } from './node-config.js';
import { PUBSUB, PubsubError, readForm, unsupported } from './protocol.js';
import { itemElement, PepService } from './service.js';

/** What the service offers, as XEP-0060 §10 features; only what is implemented. */
const features = [
  'access-open',
  'access-presence',
  'access-roster',
  'access-whitelist',
  'auto-create',
  'auto-subscribe',
  'config-node',
  'config-node-max',
  'create-and-configure',
  'create-nodes',
  'delete-items',
  'delete-nodes',
  'filtered-notifications',
  'item-ids',
  'last-published',
  'multi-items',
  'persistent-items',
  'presence-notifications',
  'publish',
  'publish-options',
  'purge-nodes',
  'retract-items',
  'retrieve-default',
  'retrieve-items',
];

/** Requests we understand but do not implement, with the XEP-0060 feature that names them. */
const unsupportedRequests: Record<string, string> = {
  subscribe: 'subscribe',
  unsubscribe: 'subscribe',
  options: 'subscription-options',
  subscriptions: 'retrieve-subscriptions',
  affiliations: 'retrieve-affiliations',
};
const unsupportedOwnerRequests: Record<string, string> = {
  subscriptions: 'manage-subscriptions',
  affiliations: 'modify-affiliations',
};

export default defineModule({
  name: 'pep',
  setup(mod) {
    const service = new PepService(mod);
    mod.onStop(() => service.stop());

    mod.addIdentity({ category: 'pubsub', type: 'pep' }, accountDiscoKey);
    mod.addFeature(PUBSUB.main, accountDiscoKey);
    for (const feature of features) mod.addFeature(`${PUBSUB.main}#${feature}`, accountDiscoKey);

    mod.hook(`iq-get/bare/${PUBSUB.main}:pubsub`, (event) => answer(event, pubsubGet(mod, service, event)));
    mod.hook(`iq-set/bare/${PUBSUB.main}:pubsub`, (event) => answer(event, pubsubSet(mod, service, event)));
    mod.hook(`iq-get/bare/${PUBSUB.owner}:pubsub`, (event) => answer(event, ownerGet(mod, service, event)));
    mod.hook(`iq-set/bare/${PUBSUB.owner}:pubsub`, (event) => answer(event, ownerSet(mod, service, event)));

    // XEP-0060 §5.2 and §5.5: the account's nodes, and a node's items, for those who may see them.
    // Higher than the disco module, which answers for the account itself; strangers are left to it.
    mod.hook(`iq-get/bare/${NS.discoItems}:query`, ({ stanza, payload, from, to, reply }) => {
      const owner = to.local!;
      const asker = from.toBareString();
      if (!mod.storage.accounts.exists(owner) || !service.isPresenceSubscriber(owner, asker)) return undefined;
      const ownerBare = to.toBareString();
      const node = payload.attrs.node as string | undefined;
      const query = new Element('query', node === undefined ? { xmlns: NS.discoItems } : { xmlns: NS.discoItems, node });
      if (node === undefined) {
        for (const name of service.visibleNodes(owner, asker)) query.c('item', { jid: ownerBare, node: name });
      } else {
        const result = service.items(owner, node, asker, {});
        if (!result.ok) {
          reply(errorReply(stanza, result.error));
          return true;
        }
        for (const item of result.value) query.c('item', { jid: ownerBare, name: item.id });
      }
      reply(iqResult(stanza, query));
      return true;
    }, 10);

    // XEP-0060 §5.3: what a node is; requests without a node are the disco module's.
    mod.hook(`iq-get/bare/${NS.discoInfo}:query`, ({ stanza, payload, from, to, reply }) => {
      const node = payload.attrs.node as string | undefined;
      const owner = to.local!;
      const asker = from.toBareString();
      if (node === undefined || !mod.storage.accounts.exists(owner) || !service.isPresenceSubscriber(owner, asker)) return undefined;
      const config = service.config(owner, node);
      if (!config || service.accessError(owner, asker, config)) return undefined;
      const query = new Element('query', { xmlns: NS.discoInfo, node });
      query.c('identity', { category: 'pubsub', type: 'leaf' });
      query.c('feature', { var: PUBSUB.main });
      reply(iqResult(stanza, query));
      return true;
    }, 10);

    // Presence tells the service who is there and what they want (XEP-0163 §4). Observers only:
    // the presence module and delivery still handle every stanza.
    mod.hook('presence/broadcast', ({ session, stanza }) => {
      service.onOwnPresence(session, stanza);
      return undefined;
    }, 10);
    for (const target of ['bare', 'full'] as const) {
      mod.hook(`presence/${target}`, ({ stanza, from, to }) => {
        service.onPresenceToOwner(to.local!, from, stanza);
        return undefined;
      }, 20);
    }
    mod.hook('roster-item-changed', ({ username, contact }) => {
      service.onRosterChange(username, contact);
    });
    mod.hook('resource-unbind', ({ session }) => {
      if (session.jid) service.forgetResource(session.jid.toString());
    });
    mod.hook('user-deleted', ({ username }) => {
      service.deleteAccount(username);
    });

    // The contract for modules built on PEP (core/events.ts).
    mod.hook('pep/publish', ({ username, node, id, item, options }) => {
      const fields = options ? new Map(Object.entries(options).map(([k, v]) => [k.startsWith('pubsub#') ? k : `pubsub#${k}`, [v]])) : undefined;
      const payload = item.name === 'item' && (item.attrs.xmlns === undefined || item.attrs.xmlns === PUBSUB.main) ? elementChildren(item)[0] : item;
      return service.publish(username, node, { id: id ?? (item.name === 'item' ? item.attrs.id : undefined), payload, options: fields, publisher: 'server' });
    });
    mod.hook('pep/items', ({ username, node, ids, max }) => {
      const result = service.items(username, node, undefined, { ids, max });
      return result.ok ? { ok: true, value: result.value.reverse().map((i) => itemElement(i)) } : result;
    });
    mod.hook('pep/retract', ({ username, node, id, notify }) => service.retract(username, node, id, notify));
  },
});

type Outcome = Element | StanzaError | undefined;

/** Replies with a result (carrying the element, if any) or the error. */
function answer({ stanza, reply }: IqEvent, outcome: Outcome): true {
  reply(outcome instanceof StanzaError ? errorReply(stanza, outcome) : iqResult(stanza, outcome));
  return true;
}

function isOwner({ from, to }: IqEvent): boolean {
  return from.local === to.local && from.domain === to.domain;
}

/** RFC 6121 §8.5.1: an iq for an account that does not exist. */
function accountError(mod: ModuleApi, event: IqEvent): StanzaError | undefined {
  return mod.storage.accounts.exists(event.to.local!) ? undefined : new StanzaError('service-unavailable');
}

/** The single request element of a <pubsub/>, ignoring the option elements that may accompany it. */
function requestOf(pubsub: Element, ignore: string[]): Element | undefined {
  const children = elementChildren(pubsub).filter((c) => !ignore.includes(c.name));
  return children.length === 1 ? children[0] : undefined;
}

function pubsubGet(mod: ModuleApi, service: PepService, event: IqEvent): Outcome {
  const problem = accountError(mod, event);
  if (problem) return problem;
  const request = requestOf(event.payload, []);
  if (!request) return new PubsubError('bad-request');
  if (request.name in unsupportedRequests) return unsupported(unsupportedRequests[request.name]!);
  if (request.name !== 'items') return new PubsubError('bad-request');

  // XEP-0060 §6.5.
  const node = request.attrs.node as string | undefined;
  if (!node) return new PubsubError('bad-request', 'nodeid-required');
  const ids = request.getChildren('item').map((i) => i.attrs.id as string | undefined);
  if (ids.some((id) => !id)) return new PubsubError('bad-request', 'item-required');
  let max: number | undefined;
  if (request.attrs.max_items !== undefined) {
    max = /^[0-9]{1,9}$/.test(request.attrs.max_items as string) ? Number(request.attrs.max_items) : Number.NaN;
    if (!(max >= 1)) return new PubsubError('bad-request', undefined, 'max_items must be a positive integer');
  }
  const result = service.items(event.to.local!, node, event.from.toBareString(), { ids: ids as string[], max });
  if (!result.ok) return result.error;
  const pubsub = new Element('pubsub', { xmlns: PUBSUB.main });
  const items = pubsub.c('items', { node });
  for (const item of result.value) items.cnode(itemElement(item));
  return pubsub;
}

function pubsubSet(mod: ModuleApi, service: PepService, event: IqEvent): Outcome {
  const problem = accountError(mod, event);
  if (problem) return problem;
  const request = requestOf(event.payload, ['publish-options', 'configure']);
  if (!request) return new PubsubError('bad-request');
  if (request.name in unsupportedRequests) return unsupported(unsupportedRequests[request.name]!);
  // XEP-0163 §2: the account is the only publisher of its personal nodes.
  if (!isOwner(event)) return new PubsubError('forbidden');
  const owner = event.to.local!;
  const node = (request.attrs.node as string | undefined) ?? '';

  switch (request.name) {
    case 'publish': {
      // XEP-0060 §7.1.
      if (!node) return new PubsubError('bad-request', 'nodeid-required');
      const items = request.getChildren('item');
      if (items.length === 0) return new PubsubError('bad-request', 'item-required');
      if (items.length > 1) return new PubsubError('bad-request', 'invalid-payload', 'publish one item at a time');
      const payloads = elementChildren(items[0]!);
      if (payloads.length === 0) return new PubsubError('bad-request', 'payload-required');
      if (payloads.length > 1) return new PubsubError('bad-request', 'invalid-payload');
      let options: Map<string, string[]> | undefined;
      const publishOptions = event.payload.getChild('publish-options');
      if (publishOptions) {
        const form = readForm(publishOptions.getChild('x', NS.dataForms));
        const fields = form ? publishOptionsFields(form) : new Map<string, string[]>();
        if (fields instanceof PubsubError) return fields;
        options = fields;
      }
      const id = items[0]!.attrs.id as string | undefined;
      const result = service.publish(owner, node, { id: id === '' ? undefined : id, payload: payloads[0], options, publisher: 'user' });
      if (!result.ok) return result.error;
      const pubsub = new Element('pubsub', { xmlns: PUBSUB.main });
      pubsub.c('publish', { node }).c('item', { id: result.value.id });
      return pubsub;
    }
    case 'retract': {
      // XEP-0060 §7.2.
      if (!node) return new PubsubError('bad-request', 'nodeid-required');
      const items = request.getChildren('item');
      const id = items[0]?.attrs.id as string | undefined;
      if (items.length !== 1 || !id) return new PubsubError('bad-request', 'item-required');
      const notify = request.attrs.notify as string | undefined;
      const result = service.retract(owner, node, id, notify === undefined ? undefined : notify === 'true' || notify === '1');
      return result.ok ? undefined : result.error;
    }
    case 'create': {
      // XEP-0060 §8.1; no instant nodes on a personal service.
      if (!node) return new PubsubError('not-acceptable', 'nodeid-required');
      const configure = event.payload.getChild('configure');
      const result = service.create(owner, node, readForm(configure?.getChild('x', NS.dataForms)));
      return result.ok ? undefined : result.error;
    }
    default:
      return new PubsubError('feature-not-implemented');
  }
}

/** The pubsub#owner request of an owner's iq (XEP-0060 §8), or the error that answers it. */
function ownerRequest(mod: ModuleApi, event: IqEvent): Element | StanzaError {
  const problem = accountError(mod, event);
  if (problem) return problem;
  const request = requestOf(event.payload, []);
  if (!request) return new PubsubError('bad-request');
  if (request.name in unsupportedOwnerRequests) return unsupported(unsupportedOwnerRequests[request.name]!);
  if (!isOwner(event)) return new PubsubError('forbidden');
  return request;
}

function ownerGet(mod: ModuleApi, service: PepService, event: IqEvent): Outcome {
  const request = ownerRequest(mod, event);
  if (request instanceof StanzaError) return request;
  const pubsub = new Element('pubsub', { xmlns: PUBSUB.owner });
  switch (request.name) {
    case 'configure': {
      // XEP-0060 §8.2.
      const node = request.attrs.node as string | undefined;
      if (!node) return new PubsubError('bad-request', 'nodeid-required');
      const stored = mod.storage.pubsub.node(event.to.local!, node);
      if (!stored) return new PubsubError('item-not-found');
      pubsub.c('configure', { node }).cnode(configForm(configFromStored(stored.config)));
      return pubsub;
    }
    case 'default':
      // XEP-0060 §8.3.
      pubsub.c('default').cnode(configForm({ ...defaultConfig }));
      return pubsub;
    default:
      return new PubsubError('feature-not-implemented');
  }
}

function ownerSet(mod: ModuleApi, service: PepService, event: IqEvent): Outcome {
  const request = ownerRequest(mod, event);
  if (request instanceof StanzaError) return request;
  const owner = event.to.local!;
  const node = request.attrs.node as string | undefined;
  if (!node) return new PubsubError('bad-request', 'nodeid-required');
  switch (request.name) {
    case 'configure': {
      // XEP-0060 §8.2.3.
      const form = readForm(request.getChild('x', NS.dataForms));
      if (!form) return new PubsubError('bad-request', undefined, 'a configuration form is required');
      const result = service.configure(owner, node, form);
      return result.ok ? undefined : result.error;
    }
    case 'delete': {
      // XEP-0060 §8.4.
      const result = service.deleteNode(owner, node);
      return result.ok ? undefined : result.error;
    }
    case 'purge': {
      // XEP-0060 §8.5.
      const result = service.purge(owner, node);
      return result.ok ? undefined : result.error;
    }
    default:
      return new PubsubError('feature-not-implemented');
  }
}
