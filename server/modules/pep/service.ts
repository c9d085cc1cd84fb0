// The personal pubsub service of every account: node and item operations with their access
// rules (XEP-0060), and who hears about them (XEP-0163 §4: presence subscribers whose caps ask
// for <node>+notify, and the owner's own resources).
import { Element, parse } from 'ltx';
import { randomBytes, randomUUID } from 'node:crypto';
import type { PepResult } from '../../core/events.js';
import type { ModuleApi } from '../../core/module-host.js';
import type { ClientSession } from '../../core/session.js';
import type { StoredItem } from '../../core/storage/pubsub.js';
import type { Jid } from '../../util/jid.js';
import { NS } from '../../util/namespaces.js';
import { subscriptionHasFrom } from '../../util/subscription-state.js';
import { serialize } from '../../util/xml.js';
import { CapsCache, capsOf, discoInfoRequest, sameCaps, type Caps } from './caps-cache.js';
import { applyConfigForm, checkPublishOptions, configFromStored, defaultConfig, effectiveMaxItems, type NodeConfig } from './node-config.js';
import { PUBSUB, PubsubError, type SubmittedForm } from './protocol.js';

/** Nodes one account may have; OMEMO (one legacy bundle node per device) is the biggest user. */
export const maxNodesPerAccount = 1000;
/** Items one account may keep over all its nodes (bookmarks, bundles, avatars ...), so storage stays bounded. */
export const maxItemsPerAccount = 10_000;
const maxNodeNameLength = 1024;
const maxItemIdLength = 1024;
const capsQueryTimeoutMs = 10_000;

type Publisher = 'user' | 'server';

/** A contact's available resource that sent presence to the owner (XEP-0163 §4 "presence sharing"). */
interface TrackedPresence {
  bare: string;
  caps: Caps | undefined;
  /** Whether the last published items went out for these caps already (cleared when they change). */
  announced: boolean;
}

const ok = <T>(value: T): PepResult<T> => ({ ok: true, value });
const fail = (error: PubsubError): PepResult<never> => ({ ok: false, error });

export class PepService {
  private readonly caps: CapsCache;
  /** owner → full JID of a contact's resource → what it announced. */
  private readonly presences = new Map<string, Map<string, TrackedPresence>>();
  private stopped = false;

  constructor(private readonly mod: ModuleApi) {
    this.caps = new CapsCache(async (jid, node) => {
      const result = await mod.sendIq(discoInfoRequest(jid, node), capsQueryTimeoutMs);
      const query = result.getChild('query', NS.discoInfo);
      if (!query) throw new Error('empty disco#info result');
      return query;
    });
  }

  stop(): void {
    this.stopped = true;
    this.presences.clear();
  }

  private get storage() {
    return this.mod.storage.pubsub;
  }

  private bareOf(owner: string): string {
    return `${owner}@${this.mod.host}`;
  }

  config(owner: string, node: string): NodeConfig | undefined {
    const stored = this.storage.node(owner, node);
    return stored && configFromStored(stored.config);
  }

  // --- access (XEP-0060 §6.5.9, §4.5) ----------------------------------------------------------

  /** Why `askerBare` may not see the node's items, or undefined when it may. */
  accessError(owner: string, askerBare: string, config: NodeConfig): PubsubError | undefined {
    if (askerBare === this.bareOf(owner)) return undefined;
    switch (config.access_model) {
      case 'open':
        return undefined;
      case 'whitelist':
        // Only the owner is on a personal node's whitelist (there is no affiliation management).
        return new PubsubError('not-allowed', 'closed-node');
      case 'presence':
        return this.isPresenceSubscriber(owner, askerBare) ? undefined : new PubsubError('not-authorized', 'presence-subscription-required');
      case 'roster': {
        const item = this.mod.storage.roster.item(owner, askerBare);
        const allowed = item !== undefined && subscriptionHasFrom(item.subscription) && item.groups.some((g) => config.roster_groups_allowed.includes(g));
        return allowed ? undefined : new PubsubError('not-authorized', 'not-in-roster-group');
      }
    }
  }

  isPresenceSubscriber(owner: string, bare: string): boolean {
    if (bare === this.bareOf(owner)) return true;
    const item = this.mod.storage.roster.item(owner, bare);
    return item !== undefined && subscriptionHasFrom(item.subscription);
  }

  /** The owner's nodes `askerBare` may see (disco#items, XEP-0060 §5.2). */
  visibleNodes(owner: string, askerBare: string): string[] {
    return this.storage
      .nodes(owner)
      .filter((n) => this.accessError(owner, askerBare, configFromStored(n.config)) === undefined)
      .map((n) => n.node);
  }

  // --- operations ------------------------------------------------------------------------------

  /**
   * XEP-0060 §7.1: stores the item as the newest of the node, creating the node on first use
   * (auto-create, §7.1.4) with the publish options as its configuration (§7.1.5), and notifies.
   */
  publish(
    owner: string,
    node: string,
    request: { id?: string; payload?: Element; options?: Map<string, string[]>; publisher: Publisher },
  ): PepResult<{ id: string }> {
    const invalid = checkNodeName(node) ?? (request.id !== undefined ? checkItemId(request.id) : undefined);
    if (invalid) return fail(invalid);
    if (!this.mod.storage.accounts.exists(owner)) return fail(new PubsubError('item-not-found', undefined, 'no such account'));
    const existing = this.config(owner, node);
    let config = existing ?? { ...defaultConfig };
    if (request.options && request.options.size > 0) {
      const checked = checkPublishOptions(existing, request.options);
      if (!checked.ok) return fail(checked.error);
      config = checked.config;
    }
    if (!existing && this.storage.nodeCount(owner) >= maxNodesPerAccount) {
      return fail(new PubsubError('resource-constraint', undefined, 'this account has too many nodes'));
    }

    const id = request.id ?? randomUUID();
    if (config.persist_items && this.storage.itemCount(owner) >= maxItemsPerAccount && !this.storage.item(owner, node, id)) {
      return fail(new PubsubError('resource-constraint', undefined, 'this account stores too many items'));
    }
    const now = Date.now();
    const item: StoredItem = { id, publishedAt: now, payload: request.payload ? serialize(request.payload) : undefined };
    const dropped = this.storage.transaction(() => {
      if (!existing) this.storage.createNode(owner, node, config, now);
      // A node that does not persist items still delivers them; nothing is kept (§4.3).
      return config.persist_items ? this.storage.publish(owner, node, item, effectiveMaxItems(config)) : [];
    });

    this.notify(owner, node, config, () => itemsEvent(node, [itemElement(item, config.deliver_payloads)]));
    for (const droppedId of dropped) this.mod.fire('pep/item-retracted', { username: owner, node, id: droppedId });
    if (request.payload) this.mod.fire('pep/item-published', { username: owner, node, id, item: request.payload, publisher: request.publisher });
    return ok({ id });
  }

  /**
   * XEP-0060 §6.5: the items `askerBare` may see (undefined: the server itself asks), oldest
   * first; `max` keeps the newest ones (§6.5.7), `ids` picks some (§6.5.8).
   */
  items(owner: string, node: string, askerBare: string | undefined, query: { ids?: string[]; max?: number }): PepResult<StoredItem[]> {
    const config = this.config(owner, node);
    if (!config) return fail(new PubsubError('item-not-found'));
    const denied = askerBare === undefined ? undefined : this.accessError(owner, askerBare, config);
    if (denied) return fail(denied);
    let items: StoredItem[];
    if (query.ids && query.ids.length > 0) {
      // §6.5.9.11: ids that do not exist are simply not in the result.
      items = query.ids.map((id) => this.storage.item(owner, node, id)).filter((i): i is StoredItem => i !== undefined);
      items.sort((a, b) => a.publishedAt - b.publishedAt);
    } else if (query.max !== undefined) {
      items = this.storage.newestItems(owner, node, query.max).reverse();
    } else {
      items = this.storage.items(owner, node);
    }
    return ok(items);
  }

  /** XEP-0060 §7.2: deletes an item, telling subscribers when asked to (or when the node says so). */
  retract(owner: string, node: string, id: string, notify: boolean | undefined): PepResult<true> {
    const config = this.config(owner, node);
    if (!config || !this.storage.retract(owner, node, id)) return fail(new PubsubError('item-not-found'));
    if (notify ?? config.notify_retract) this.notify(owner, node, config, () => retractEvent(node, [id]));
    this.mod.fire('pep/item-retracted', { username: owner, node, id });
    return ok(true);
  }

  /** XEP-0060 §8.1: creates a node, configured by a form when one is given (§8.1.3). */
  create(owner: string, node: string, form: SubmittedForm | undefined): PepResult<true> {
    const invalid = checkNodeName(node);
    if (invalid) return fail(invalid);
    let config: NodeConfig = { ...defaultConfig };
    if (form && form.type !== 'cancel') {
      const applied = applyConfigForm(config, form);
      if (!applied.ok) return fail(applied.error);
      config = applied.config;
    }
    if (this.storage.node(owner, node)) return fail(new PubsubError('conflict', undefined, 'the node exists'));
    if (this.storage.nodeCount(owner) >= maxNodesPerAccount) return fail(new PubsubError('resource-constraint', undefined, 'this account has too many nodes'));
    this.storage.createNode(owner, node, config);
    return ok(true);
  }

  /** XEP-0060 §8.2.4: applies a submitted configuration form; a smaller max_items drops the oldest items. */
  configure(owner: string, node: string, form: SubmittedForm): PepResult<true> {
    const current = this.config(owner, node);
    if (!current) return fail(new PubsubError('item-not-found'));
    if (form.type === 'cancel') return ok(true);
    if (form.type !== 'submit') return fail(new PubsubError('bad-request', undefined, 'submit a form or cancel'));
    const applied = applyConfigForm(current, form);
    if (!applied.ok) return fail(applied.error);
    const config = applied.config;
    const dropped = this.storage.transaction(() => {
      this.storage.setConfig(owner, node, config);
      return config.persist_items ? this.storage.trim(owner, node, effectiveMaxItems(config)) : this.storage.purge(owner, node);
    });
    for (const id of dropped) this.mod.fire('pep/item-retracted', { username: owner, node, id });
    return ok(true);
  }

  /** XEP-0060 §8.4: deletes the node and its items, telling subscribers when configured to. */
  deleteNode(owner: string, node: string): PepResult<true> {
    const config = this.config(owner, node);
    if (!config) return fail(new PubsubError('item-not-found'));
    // Recipients are worked out while the node still exists.
    if (config.notify_delete) this.notify(owner, node, config, () => deleteEvent(node));
    const ids = this.storage.deleteNode(owner, node) ?? [];
    for (const id of ids) this.mod.fire('pep/item-retracted', { username: owner, node, id });
    return ok(true);
  }

  /** XEP-0060 §8.5: removes every item of the node. */
  purge(owner: string, node: string): PepResult<true> {
    const config = this.config(owner, node);
    if (!config) return fail(new PubsubError('item-not-found'));
    const ids = this.storage.purge(owner, node);
    if (config.notify_retract) this.notify(owner, node, config, () => purgeEvent(node));
    for (const id of ids) this.mod.fire('pep/item-retracted', { username: owner, node, id });
    return ok(true);
  }

  /** A resource of the account went away: what its client told about itself is no longer needed. */
  forgetResource(jid: string): void {
    this.caps.forget(jid);
  }

  deleteAccount(owner: string): void {
    this.storage.deleteOwner(owner);
    this.presences.delete(owner);
  }

  // --- notifications (XEP-0163 §4) ------------------------------------------------------------

  /** Sends the event to every resource that should get it (§4.3.2, §4.3.3). */
  private notify(owner: string, node: string, config: NodeConfig, event: () => Element): void {
    if (!config.deliver_notifications) return;
    const from = this.bareOf(owner);
    for (const to of this.recipients(owner, node, config)) {
      this.mod.send(eventMessage(from, to, config.notification_type, event()));
    }
  }

  /**
   * The owner's available resources, unless their caps say they do not want this node (a client
   * without caps cannot filter, so it gets everything), and the resources of presence subscribers
   * allowed by the access model whose caps ask for <node>+notify.
   */
  private recipients(owner: string, node: string, config: NodeConfig): string[] {
    const wanted = `${node}+notify`;
    const recipients: string[] = [];
    for (const session of this.mod.sessions.availableSessionsOf(owner)) {
      if (session.priority < 0) continue;
      const jid = session.jid!.toString();
      const caps = capsOf(session.presence);
      const features = caps && this.caps.features(jid, caps);
      if (features && !features.has(wanted)) continue;
      recipients.push(jid);
    }
    for (const [jid, presence] of this.presences.get(owner) ?? []) {
      if (!presence.caps || !this.caps.features(jid, presence.caps)?.has(wanted)) continue;
      if (!this.isPresenceSubscriber(owner, presence.bare) || this.accessError(owner, presence.bare, config)) continue;
      recipients.push(jid);
    }
    return recipients;
  }

  /** The newest item of each node the resource wants (§4.3.4), with the time it was published. */
  private sendLastItems(owner: string, to: string, features: Set<string>, bare: string, trigger: 'presence' | 'subscription'): void {
    const from = this.bareOf(owner);
    for (const stored of this.storage.nodes(owner)) {
      if (!features.has(`${stored.node}+notify`)) continue;
      const config = configFromStored(stored.config);
      if (!config.deliver_notifications || config.send_last_published_item === 'never') continue;
      if (trigger === 'presence' && config.send_last_published_item !== 'on_sub_and_presence') continue;
      if (this.accessError(owner, bare, config)) continue;
      const [last] = this.storage.newestItems(owner, stored.node, 1);
      if (!last) continue;
      const message = eventMessage(from, to, config.notification_type, itemsEvent(stored.node, [itemElement(last, config.deliver_payloads)]));
      message.c('delay', { xmlns: NS.delay, from, stamp: new Date(last.publishedAt).toISOString() });
      this.mod.send(message);
    }
  }

  /** The owner's own resource announced (new) presence: it gets the last items it asks for. */
  onOwnPresence(session: ClientSession, stanza: Element): void {
    const caps = capsOf(stanza);
    const wasAvailable = session.presence !== undefined;
    if (stanza.attrs.type !== undefined || !caps) return;
    if (wasAvailable && sameCaps(capsOf(session.presence), caps)) return;
    if (parsePriority(stanza) < 0) return;
    const owner = session.username!;
    const jid = session.jid!.toString();
    let later = false;
    this.whenCapsKnown(jid, caps, (features) => {
      // After a disco#info round trip: still the same available resource with the same caps?
      if (later && (this.mod.sessions.get(owner, session.jid!.resource!) !== session || !sameCaps(capsOf(session.presence), caps))) return;
      this.sendLastItems(owner, jid, features, this.bareOf(owner), 'presence');
    });
    later = true;
  }

  /** Presence from someone else's resource reached the owner's account (RFC 6121 §4.2, §4.3). */
  onPresenceToOwner(owner: string, from: Jid, stanza: Element): void {
    if (from.resource === undefined) return;
    const bare = from.toBareString();
    if (bare === this.bareOf(owner)) return;
    const jid = from.toString();
    const type = stanza.attrs.type as string | undefined;
    let tracked = this.presences.get(owner);
    if (type === 'unavailable' || (type === undefined && parsePriority(stanza) < 0)) {
      // §4.3.2: only resources with a non-negative priority get notifications.
      tracked?.delete(jid);
      if (tracked?.size === 0) this.presences.delete(owner);
      if (type === 'unavailable') this.caps.forget(jid);
      return;
    }
    if (type !== undefined) return;
    if (!this.mod.storage.accounts.exists(owner)) return;
    const caps = capsOf(stanza);
    const previous = tracked?.get(jid);
    if (previous && sameCaps(previous.caps, caps)) return;
    if (!tracked) {
      tracked = new Map();
      this.presences.set(owner, tracked);
    }
    const presence: TrackedPresence = { bare, caps, announced: false };
    tracked.set(jid, presence);
    this.announce(owner, jid, presence, 'presence');
  }

  /** A roster item of the owner changed: a new presence subscriber gets the last items (on_sub). */
  onRosterChange(owner: string, contact: string): void {
    const subscribed = this.isPresenceSubscriber(owner, contact);
    for (const [jid, presence] of this.presences.get(owner) ?? []) {
      if (presence.bare !== contact) continue;
      if (!subscribed) presence.announced = false;
      else this.announce(owner, jid, presence, 'subscription');
    }
  }

  /** Sends the last items once per caps to a subscriber's resource, after learning what it wants. */
  private announce(owner: string, jid: string, presence: TrackedPresence, trigger: 'presence' | 'subscription'): void {
    const caps = presence.caps;
    if (presence.announced || !caps) return;
    // Strangers' directed presence is remembered, but their clients are not queried (XEP-0163 §4: presence sharing).
    if (!this.isPresenceSubscriber(owner, presence.bare)) return;
    presence.announced = true;
    this.whenCapsKnown(jid, caps, (features) => {
      if (this.presences.get(owner)?.get(jid) !== presence || !presence.announced) return;
      this.sendLastItems(owner, jid, features, presence.bare, trigger);
    });
  }

  private whenCapsKnown(jid: string, caps: Caps, then: (features: Set<string>) => void): void {
    const known = this.caps.features(jid, caps);
    if (known) {
      then(known);
      return;
    }
    void this.caps.resolve(jid, caps).then(() => {
      if (this.stopped) return;
      const features = this.caps.features(jid, caps);
      if (!features) return;
      try {
        then(features);
      } catch (error) {
        this.mod.log.error('sending the last published items failed', error);
      }
    });
  }
}

function checkNodeName(node: string): PubsubError | undefined {
  if (node === '') return new PubsubError('bad-request', 'nodeid-required');
  if (node.length > maxNodeNameLength) return new PubsubError('not-acceptable', undefined, 'the node name is too long');
  return undefined;
}

function checkItemId(id: string): PubsubError | undefined {
  if (id === '' || id.length > maxItemIdLength) return new PubsubError('bad-request', undefined, 'the item id must be 1 to 1024 characters');
  return undefined;
}

function parsePriority(presence: Element): number {
  const value = Number.parseInt(presence.getChildText('priority') ?? '0', 10);
  return Number.isFinite(value) ? value : 0;
}

/** The payload of a stored item; our own serialization, but a damaged row must not throw. */
export function payloadOf(item: StoredItem): Element | undefined {
  if (item.payload === undefined) return undefined;
  try {
    return parse(item.payload) as Element;
  } catch {
    return undefined;
  }
}

/** <item id='...'>payload</item>, the form used in results and notifications. */
export function itemElement(item: StoredItem, withPayload = true): Element {
  const element = new Element('item', { id: item.id });
  const payload = withPayload ? payloadOf(item) : undefined;
  if (payload) element.cnode(payload);
  return element;
}

function itemsEvent(node: string, items: Element[]): Element {
  const event = new Element('event', { xmlns: PUBSUB.event });
  const container = event.c('items', { node });
  for (const item of items) container.cnode(item);
  return event;
}

function retractEvent(node: string, ids: string[]): Element {
  const event = new Element('event', { xmlns: PUBSUB.event });
  const container = event.c('items', { node });
  for (const id of ids) container.c('retract', { id });
  return event;
}

function deleteEvent(node: string): Element {
  const event = new Element('event', { xmlns: PUBSUB.event });
  event.c('delete', { node });
  return event;
}

function purgeEvent(node: string): Element {
  const event = new Element('event', { xmlns: PUBSUB.event });
  event.c('purge', { node });
  return event;
}

/** XEP-0163 §4.3.1: from the owner's bare JID, so errors come back to the service. */
function eventMessage(from: string, to: string, type: 'headline' | 'normal', event: Element): Element {
  const message = new Element('message', { type, from, to, id: randomBytes(8).toString('hex') });
  message.cnode(event);
  return message;
}
