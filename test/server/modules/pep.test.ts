// XEP-0163 PEP on XEP-0060, with XEP-0223 private nodes and the XEP-0384 OMEMO flows, between
// real clients: publishing, access models, notifications filtered by XEP-0115 caps, the last
// published item at login, owner operations, discovery and persistence across a restart.
import type { Client, Element } from '@xmpp/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoRegistry } from '../../../server/core/disco-registry.js';
import delivery from '../../../server/core/delivery.js';
import { EventBus } from '../../../server/core/event-bus.js';
import type { EventMap, PepResult } from '../../../server/core/events.js';
import { HttpRoutes } from '../../../server/net/http-server.js';
import { ModuleHost } from '../../../server/core/module-host.js';
import { Router } from '../../../server/core/router.js';
import { SessionManager } from '../../../server/core/sessions.js';
import { openStorage } from '../../../server/core/storage/index.js';
import { newRosterItem } from '../../../server/core/storage/roster.js';
import pep from '../../../server/modules/pep/index.js';
import { capsVerification } from '../../../server/util/caps.js';
import { silentLogger } from '../../../server/util/log.js';
import { domain, nextStanza, startTestServer, stopQuietly, testConfig, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle } from '../../support/stanzas.js';

const pubsubNs = 'http://jabber.org/protocol/pubsub';
const ownerNs = 'http://jabber.org/protocol/pubsub#owner';
const eventNs = 'http://jabber.org/protocol/pubsub#event';
const errorsNs = 'http://jabber.org/protocol/pubsub#errors';
const publishOptionsNs = 'http://jabber.org/protocol/pubsub#publish-options';
const nodeConfigNs = 'http://jabber.org/protocol/pubsub#node_config';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const discoItemsNs = 'http://jabber.org/protocol/disco#items';
const capsNs = 'http://jabber.org/protocol/caps';
const dataFormsNs = 'jabber:x:data';
const delayNs = 'urn:xmpp:delay';
const tuneNs = 'http://jabber.org/protocol/tune';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

// --- helpers ---------------------------------------------------------------------------------

/** Two accounts that share presence both ways, arranged before either logs in. */
function contacts(a: string, b: string): void {
  for (const [user, contact] of [
    [a, b],
    [b, a],
  ] as const) {
    t.server.storage.roster.save(user, { ...newRosterItem(bare(contact)), listed: true, subscription: 'both' }, true);
  }
}

interface Online {
  client: Client;
  /** Settles once the client has answered the server's disco#info query about its caps. */
  capsQueried: Promise<void>;
  /** Every pubsub event the client received since before its first presence. */
  events: Element[];
}

/**
 * Logs in and sends available presence. With `notify`, the presence carries XEP-0115 caps whose
 * features ask for those nodes' notifications, and the client answers the disco#info query for them.
 */
async function online(username: string, notify?: string[], resource?: string): Promise<Online> {
  const client = await login(t, username, { presence: false, resource });
  const { stanzas: events } = record(client, (s) => s.is('message') && s.getChild('event', eventNs) !== undefined);
  if (!notify) {
    await client.send(xml('presence'));
    // The server has taken the presence before anyone acts on this resource being available.
    await settle(client);
    return { client, capsQueried: Promise.resolve(), events };
  }
  const identities = [{ category: 'client', type: 'pc', name: 'Hearth test' }];
  const features = [discoInfoNs, capsNs, ...notify.map((node) => `${node}+notify`)];
  const ver = capsVerification({ identities, features, extensions: [] });
  const node = 'https://hearth.test/client';
  let answered!: () => void;
  const capsQueried = new Promise<void>((resolve) => (answered = resolve));
  // @xmpp/client answers requests through its iqCallee (not in the shared type declarations).
  const callee = (client as Client & { iqCallee: { get(ns: string, name: string, handler: (context: { element: Element }) => Element | undefined): void } }).iqCallee;
  callee.get(discoInfoNs, 'query', (context) => {
    if (context.element.attrs.node !== `${node}#${ver}`) return undefined;
    answered();
    return xml(
      'query',
      { xmlns: discoInfoNs, node: context.element.attrs.node },
      ...identities.map((identity) => xml('identity', identity)),
      ...features.map((feature) => xml('feature', { var: feature })),
    );
  });
  await client.send(xml('presence', {}, xml('c', { xmlns: capsNs, hash: 'sha-1', node, ver })));
  return { client, capsQueried, events };
}

/** Logs in with caps asking for `notify` and waits until the server knows what they mean. */
async function onlineWithInterest(username: string, notify: string[], resource?: string): Promise<Client> {
  const { client, capsQueried } = await online(username, notify, resource);
  await capsQueried;
  await settle(client);
  return client;
}

function dataForm(formType: string, fields: Record<string, string>, type = 'submit') {
  return xml(
    'x',
    { xmlns: dataFormsNs, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...Object.entries(fields).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value))),
  );
}

function tune(title: string) {
  return xml('tune', { xmlns: tuneNs }, xml('title', {}, title));
}

/** Publishes to the client's own PEP service; resolves with the item id the server reports. */
async function publish(client: Client, node: string, payload: Element, options: { id?: string; publishOptions?: Record<string, string> } = {}): Promise<string> {
  const children = [xml('publish', { node }, xml('item', options.id ? { id: options.id } : {}, payload))];
  if (options.publishOptions) children.push(xml('publish-options', {}, dataForm(publishOptionsNs, options.publishOptions)));
  const result = await client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, ...children)));
  return String(result.getChild('pubsub', pubsubNs)!.getChild('publish')!.getChild('item')!.attrs.id);
}

/** XEP-0060 §6.5: the <item/> elements of an account's node. */
async function fetchItems(client: Client, owner: string, node: string, query: { ids?: string[]; max?: number } = {}): Promise<Element[]> {
  const items = xml('items', query.max ? { node, max_items: String(query.max) } : { node }, ...(query.ids ?? []).map((id) => xml('item', { id })));
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: bare(owner) }, xml('pubsub', { xmlns: pubsubNs }, items)));
  return result.getChild('pubsub', pubsubNs)!.getChild('items')!.getChildren('item');
}

function ownerRequest(client: Client, type: 'get' | 'set', request: Element): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type }, xml('pubsub', { xmlns: ownerNs }, request)));
}

/** The defined condition and the pubsub-specific one of the error a request fails with. */
async function failure(request: Promise<unknown>): Promise<{ condition: string; pubsub?: string }> {
  try {
    await request;
  } catch (error) {
    const { condition, application } = error as { condition: string; application?: Element };
    return application?.attrs.xmlns === errorsNs ? { condition, pubsub: application.name } : { condition };
  }
  throw new Error('the request succeeded');
}

function isEvent(stanza: Element, owner: string, node: string): boolean {
  const event = stanza.is('message') && stanza.attrs.from === bare(owner) ? stanza.getChild('event', eventNs) : undefined;
  return event?.getChildElements().some((child) => child.attrs.node === node) ?? false;
}

function nextEvent(client: Client, owner: string, node: string): Promise<Element> {
  return nextStanza(client, (stanza) => isEvent(stanza, owner, node));
}

/** The first event about the node the client got since it came online, or the next one. */
function eventFor({ client, events }: Online, owner: string, node: string): Promise<Element> {
  const received = events.find((stanza) => isEvent(stanza, owner, node));
  return received ? Promise.resolve(received) : nextEvent(client, owner, node);
}

function eventItem(message: Element): Element | undefined {
  return message.getChild('event', eventNs)?.getChild('items')?.getChild('item');
}

function ids(items: Element[]): string[] {
  return items.map((item) => String(item.attrs.id));
}

function formValues(form: Element): Map<string, string[]> {
  return new Map(form.getChildren('field').map((f) => [String(f.attrs.var), f.getChildren('value').map((v) => v.getText())]));
}

// --- tests -----------------------------------------------------------------------------------

describe('publishing (XEP-0163 §3)', () => {
  it('stores the item and notifies every available resource of the owner', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client: phone } = await online(alice, undefined, 'phone');
    const { client: laptop } = await online(alice, undefined, 'laptop');
    const onPhone = nextEvent(phone, alice, tuneNs);
    const onLaptop = nextEvent(laptop, alice, tuneNs);

    expect(await publish(phone, tuneNs, tune('Fidelio'), { id: 'current' })).toBe('current');

    const message = await onPhone;
    // §4.3.1: from the account's bare JID; XEP-0060 §7.1.2.1: headline with the payload.
    expect(message.attrs.type).toBe('headline');
    expect(eventItem(message)?.attrs.id).toBe('current');
    expect(eventItem(message)?.getChild('tune', tuneNs)?.getChildText('title')).toBe('Fidelio');
    await onLaptop;
    const items = await fetchItems(phone, alice, tuneNs);
    expect(ids(items)).toEqual(['current']);
    expect(items[0]!.getChild('tune', tuneNs)?.getChildText('title')).toBe('Fidelio');
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('generates an item id when the publisher gives none', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    const id = await publish(client, tuneNs, tune('Leonore'));
    expect(id).not.toBe('');
    expect(ids(await fetchItems(client, alice, tuneNs))).toEqual([id]);
    await stopQuietly(client);
  });

  it('keeps max_items items and drops the oldest ones', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    for (const id of ['a', 'b', 'c']) await publish(client, 'urn:example:log', tune(id), { id, publishOptions: { 'pubsub#max_items': '2' } });
    expect(ids(await fetchItems(client, alice, 'urn:example:log'))).toEqual(['b', 'c']);
    // XEP-0060 §6.5.7: max_items asks for the newest ones.
    expect(ids(await fetchItems(client, alice, 'urn:example:log', { max: 1 }))).toEqual(['c']);
    expect(ids(await fetchItems(client, alice, 'urn:example:log', { ids: ['b', 'a'] }))).toEqual(['b']);
    await stopQuietly(client);
  });

  it('refuses publish-options the existing node does not meet, until the owner reconfigures it', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    await publish(client, 'urn:example:profile', tune('one'), { id: 'current' });

    // XEP-0060 §7.1.5: conflict with precondition-not-met, and nothing is published.
    const open = { 'pubsub#access_model': 'open' };
    expect(await failure(publish(client, 'urn:example:profile', tune('two'), { id: 'current', publishOptions: open }))).toEqual({
      condition: 'conflict',
      pubsub: 'precondition-not-met',
    });
    expect(ids(await fetchItems(client, alice, 'urn:example:profile'))).toEqual(['current']);
    expect((await fetchItems(client, alice, 'urn:example:profile'))[0]!.getChild('tune', tuneNs)?.getChildText('title')).toBe('one');

    // What clients do next (XEP-0384 §5.3.2): configure the node, then publish again.
    await ownerRequest(client, 'set', xml('configure', { node: 'urn:example:profile' }, dataForm(nodeConfigNs, open)));
    await publish(client, 'urn:example:profile', tune('two'), { id: 'current', publishOptions: open });
    await stopQuietly(client);
  });

  it('refuses publishing to another account’s service', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const { client } = await online(bob);
    const request = xml(
      'iq',
      { type: 'set', to: bare(alice) },
      xml('pubsub', { xmlns: pubsubNs }, xml('publish', { node: tuneNs }, xml('item', {}, tune('not mine')))),
    );
    expect(await failure(client.iqCaller.request(request))).toEqual({ condition: 'forbidden' });
    await stopQuietly(client);
  });
});

describe('access models (XEP-0060 §4.5, §6.5.9)', () => {
  it('refuses a stranger the items of a node with the default presence access model', async () => {
    const [alice, mallory] = freshAccounts(t, 'alice', 'mallory');
    const { client: a } = await online(alice);
    await publish(a, tuneNs, tune('private'), { id: 'current' });
    const { client: m } = await online(mallory);
    expect(await failure(fetchItems(m, alice, tuneNs))).toEqual({ condition: 'not-authorized', pubsub: 'presence-subscription-required' });
    await stopQuietly(a);
    await stopQuietly(m);
  });

  it('lets a contact with a presence subscription read a presence-access node', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const { client: a } = await online(alice);
    await publish(a, tuneNs, tune('for friends'), { id: 'current' });
    const { client: b } = await online(bob);
    expect(ids(await fetchItems(b, alice, tuneNs))).toEqual(['current']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('lets anyone read a node published with access_model open', async () => {
    const [alice, carol] = freshAccounts(t, 'alice', 'carol');
    const { client: a } = await online(alice);
    await publish(a, 'urn:example:public', tune('for all'), { id: 'current', publishOptions: { 'pubsub#access_model': 'open' } });
    const { client: c } = await online(carol);
    expect(ids(await fetchItems(c, alice, 'urn:example:public'))).toEqual(['current']);
    await stopQuietly(a);
    await stopQuietly(c);
  });

  it('keeps a whitelist node of persistent private data to its owner (XEP-0223)', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const { client: a } = await online(alice);
    const privateData = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' };
    const bookmark = xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', autojoin: 'true' });
    await publish(a, 'urn:xmpp:bookmarks:1', bookmark, { id: 'family@conference.localhost', publishOptions: privateData });
    // The same preconditions spelled differently (XEP-0004 booleans) are still met.
    await publish(a, 'urn:xmpp:bookmarks:1', bookmark, { id: 'club@conference.localhost', publishOptions: { ...privateData, 'pubsub#persist_items': '1' } });

    const { client: b } = await online(bob);
    expect(await failure(fetchItems(b, alice, 'urn:xmpp:bookmarks:1'))).toEqual({ condition: 'not-allowed', pubsub: 'closed-node' });
    expect(await fetchItems(a, alice, 'urn:xmpp:bookmarks:1')).toHaveLength(1);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('answers item-not-found for a node that does not exist', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    expect(await failure(fetchItems(client, alice, 'urn:example:nothing'))).toEqual({ condition: 'item-not-found' });
    await stopQuietly(client);
  });
});

describe('notifications (XEP-0163 §4)', () => {
  it('sends the published item to a contact whose caps ask for <node>+notify', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const b = await onlineWithInterest(bob, [tuneNs]);
    const { client: a } = await online(alice);
    const event = nextEvent(b, alice, tuneNs);
    await publish(a, tuneNs, tune('Ode to Joy'), { id: 'current' });
    const message = await event;
    expect(message.attrs.to).toBe(b.jid!.toString());
    expect(eventItem(message)?.getChild('tune', tuneNs)?.getChildText('title')).toBe('Ode to Joy');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('sends nothing to a contact whose caps do not ask for the node', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const b = await onlineWithInterest(bob, ['urn:example:other']);
    const { client: a } = await online(alice);
    const events = record(b, (s) => s.getChild('event', eventNs) !== undefined);
    await publish(a, tuneNs, tune('unwanted'), { id: 'current' });
    await settle(a, b);
    expect(events.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('tells a +notify contact about a retracted item', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const b = await onlineWithInterest(bob, ['urn:example:posts']);
    const { client: a } = await online(alice);
    const published = nextEvent(b, alice, 'urn:example:posts');
    await publish(a, 'urn:example:posts', tune('soon gone'), { id: 'p1' });
    await published;

    const retracted = nextEvent(b, alice, 'urn:example:posts');
    const retract = xml('retract', { node: 'urn:example:posts', notify: 'true' }, xml('item', { id: 'p1' }));
    await a.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, retract)));
    // XEP-0060 §7.2.2.1.
    expect((await retracted).getChild('event', eventNs)?.getChild('items')?.getChild('retract')?.attrs.id).toBe('p1');
    expect(await fetchItems(a, alice, 'urn:example:posts')).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('sends the last published item to a +notify contact that comes online', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const { client: a } = await online(alice);
    await publish(a, tuneNs, tune('earlier'), { id: 'current' });

    const b = await online(bob, [tuneNs]);
    const last = await eventFor(b, alice, tuneNs);
    // XEP-0163 §4.3.4: the last item, stamped with when it was published.
    expect(eventItem(last)?.getChild('tune', tuneNs)?.getChildText('title')).toBe('earlier');
    expect(last.getChild('delay', delayNs)?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    await stopQuietly(a);
    await stopQuietly(b.client);
  });

  it('sends the owner’s newly available resource the last items its caps ask for', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client: phone } = await online(alice, undefined, 'phone');
    await publish(phone, tuneNs, tune('from the phone'), { id: 'current' });
    const desktop = await online(alice, [tuneNs], 'desktop');
    const last = await eventFor(desktop, alice, tuneNs);
    expect(eventItem(last)?.attrs.id).toBe('current');
    await stopQuietly(phone);
    await stopQuietly(desktop.client);
  });
});

describe('OMEMO (XEP-0384)', () => {
  const axolotl = 'eu.siacs.conversations.axolotl';

  it('lets another user fetch the device list and a device’s bundle (legacy nodes)', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const { client: a } = await online(alice);
    const open = { 'pubsub#access_model': 'open' };
    await publish(a, `${axolotl}.devicelist`, xml('list', { xmlns: axolotl }, xml('device', { id: '1234' })), { id: 'current', publishOptions: open });
    const bundle = xml(
      'bundle',
      { xmlns: axolotl },
      xml('signedPreKeyPublic', { signedPreKeyId: '1' }, 'BQ=='),
      xml('identityKey', {}, 'BR=='),
      xml('prekeys', {}, xml('preKeyPublic', { preKeyId: '1' }, 'BS==')),
    );
    await publish(a, `${axolotl}.bundles:1234`, bundle, { id: 'current', publishOptions: open });

    // Bob shares no presence with Alice: the first message to a new contact.
    const { client: b } = await online(bob);
    const [list] = await fetchItems(b, alice, `${axolotl}.devicelist`);
    expect(list!.getChild('list', axolotl)!.getChildren('device').map((d) => d.attrs.id)).toEqual(['1234']);
    const [fetched] = await fetchItems(b, alice, `${axolotl}.bundles:1234`);
    expect(fetched!.getChild('bundle', axolotl)?.getChild('prekeys')?.getChild('preKeyPublic')?.getText()).toBe('BS==');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('keeps the OMEMO 2 bundles of several devices in one node configured with max_items max', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const { client: a } = await online(alice);
    const omemo = 'urn:xmpp:omemo:2';
    const options = { 'pubsub#max_items': 'max', 'pubsub#access_model': 'open' };
    const devices = xml('devices', { xmlns: omemo }, xml('device', { id: '31415' }), xml('device', { id: '27183' }));
    await publish(a, `${omemo}:devices`, devices, { id: 'current', publishOptions: { 'pubsub#access_model': 'open' } });
    for (const id of ['31415', '27183']) {
      await publish(a, `${omemo}:bundles`, xml('bundle', { xmlns: omemo }, xml('ik', {}, `key of ${id}`)), { id, publishOptions: options });
    }

    const { client: b } = await online(bob);
    const [bundle] = await fetchItems(b, alice, `${omemo}:bundles`, { ids: ['27183'] });
    expect(bundle!.getChild('bundle', omemo)?.getChildText('ik')).toBe('key of 27183');
    expect(ids(await fetchItems(b, alice, `${omemo}:bundles`))).toEqual(['31415', '27183']);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('owner operations (XEP-0060 §8)', () => {
  it('returns the node configuration form and applies a submitted one', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    await publish(client, tuneNs, tune('x'), { id: 'current' });
    const configuration = async () => {
      const result = await ownerRequest(client, 'get', xml('configure', { node: tuneNs }));
      return formValues(result.getChild('pubsub', ownerNs)!.getChild('configure')!.getChild('x', dataFormsNs)!);
    };
    const before = await configuration();
    expect(before.get('FORM_TYPE')).toEqual([nodeConfigNs]);
    expect(before.get('pubsub#access_model')).toEqual(['presence']);

    await ownerRequest(client, 'set', xml('configure', { node: tuneNs }, dataForm(nodeConfigNs, { 'pubsub#access_model': 'open', 'pubsub#max_items': '5' })));
    const after = await configuration();
    expect(after.get('pubsub#access_model')).toEqual(['open']);
    expect(after.get('pubsub#max_items')).toEqual(['5']);
    await stopQuietly(client);
  });

  it('purges a node and deletes it, telling the owner’s resources', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    await publish(client, tuneNs, tune('x'), { id: 'current' });

    const purged = nextEvent(client, alice, tuneNs);
    await ownerRequest(client, 'set', xml('purge', { node: tuneNs }));
    expect((await purged).getChild('event', eventNs)?.getChild('purge')).toBeDefined();
    expect(await fetchItems(client, alice, tuneNs)).toEqual([]);

    const deleted = nextEvent(client, alice, tuneNs);
    await ownerRequest(client, 'set', xml('delete', { node: tuneNs }));
    expect((await deleted).getChild('event', eventNs)?.getChild('delete')).toBeDefined();
    expect(await failure(fetchItems(client, alice, tuneNs))).toEqual({ condition: 'item-not-found' });
    await stopQuietly(client);
  });

  it('lets only the owner configure a node', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const { client: a } = await online(alice);
    await publish(a, tuneNs, tune('x'), { id: 'current' });
    const { client: b } = await online(bob);
    const request = xml('iq', { type: 'get', to: bare(alice) }, xml('pubsub', { xmlns: ownerNs }, xml('configure', { node: tuneNs })));
    expect(await failure(b.iqCaller.request(request))).toEqual({ condition: 'forbidden' });
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('discovery', () => {
  it('announces the PEP identity and publish-options on the account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client } = await online(alice);
    const result = await client.iqCaller.request(xml('iq', { type: 'get', to: bare(alice) }, xml('query', { xmlns: discoInfoNs })));
    const query = result.getChild('query', discoInfoNs)!;
    // XEP-0163 §8.1, XEP-0223 §6.
    expect(query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('pubsub/pep');
    const features = query.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toContain(`${pubsubNs}#publish-options`);
    expect(features).toContain(`${pubsubNs}#persistent-items`);
    expect(features).toContain(`${pubsubNs}#filtered-notifications`);
    await stopQuietly(client);
  });

  it('lists the nodes a contact may see, and all of them to the owner', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    contacts(alice, bob);
    const { client: a } = await online(alice);
    await publish(a, 'urn:example:open', tune('x'), { publishOptions: { 'pubsub#access_model': 'open' } });
    await publish(a, 'urn:example:friends', tune('x'));
    await publish(a, 'urn:example:mine', tune('x'), { publishOptions: { 'pubsub#access_model': 'whitelist' } });
    const { client: b } = await online(bob);
    const nodes = async (client: Client) => {
      const result = await client.iqCaller.request(xml('iq', { type: 'get', to: bare(alice) }, xml('query', { xmlns: discoItemsNs })));
      return result.getChild('query', discoItemsNs)!.getChildren('item').map((i) => `${i.attrs.jid} ${i.attrs.node}`).sort();
    };
    expect(await nodes(b)).toEqual([`${bare(alice)} urn:example:friends`, `${bare(alice)} urn:example:open`]);
    expect(await nodes(a)).toHaveLength(3);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('persistence', () => {
  it('keeps nodes and items across a server restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-pep-'));
    try {
      const first = await startTestServer({}, dataDir);
      first.addUser('alice');
      const before = await first.connect('alice', { mechanism: 'SCRAM-SHA-256' });
      await publish(before, 'urn:xmpp:bookmarks:1', xml('conference', { xmlns: 'urn:xmpp:bookmarks:1' }), {
        id: 'family@conference.localhost',
        publishOptions: { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist', 'pubsub#max_items': 'max' },
      });
      await first.stop();

      const second = await startTestServer({}, dataDir);
      try {
        const after = await second.connect('alice', { mechanism: 'SCRAM-SHA-256' });
        expect(ids(await fetchItems(after, 'alice', 'urn:xmpp:bookmarks:1'))).toEqual(['family@conference.localhost']);
        // The configuration came back too: the same preconditions are met.
        await publish(after, 'urn:xmpp:bookmarks:1', xml('conference', { xmlns: 'urn:xmpp:bookmarks:1' }), {
          id: 'club@conference.localhost',
          publishOptions: { 'pubsub#access_model': 'whitelist', 'pubsub#max_items': 'max' },
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the pep events other modules use', () => {
  it('publishes as the server, reads newest first and retracts, reporting each change', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-pep-events-'));
    const config = testConfig(dataDir);
    const storage = openStorage(dataDir, { scramIterations: 4096 });
    const events = new EventBus<EventMap>();
    const host = new ModuleHost({
      config,
      log: silentLogger,
      storage,
      sessions: new SessionManager(domain, 10),
      events,
      disco: new DiscoRegistry(),
      router: new Router(domain, events, silentLogger),
      http: new HttpRoutes(silentLogger),
      publicUrl: () => `https://${domain}`,
    });
    try {
      host.load([delivery, pep]);
      storage.accounts.create('alice', 'a long enough password');
      const seen: string[] = [];
      events.on('pep/item-published', ({ node, id, item, publisher }) => void seen.push(`published ${node} ${id} ${item.name} ${publisher}`));
      events.on('pep/item-retracted', ({ node, id }) => void seen.push(`retracted ${node} ${id}`));

      const vcard = (n: string) => xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' }, xml('fn', {}, xml('text', {}, n)));
      const options = { 'pubsub#access_model': 'presence', max_items: '2' };
      const first = events.fire('pep/publish', { username: 'alice', node: 'urn:xmpp:vcard4', id: 'one', item: vcard('Alice'), options }) as PepResult<{ id: string }>;
      expect(first).toEqual({ ok: true, value: { id: 'one' } });
      events.fire('pep/publish', { username: 'alice', node: 'urn:xmpp:vcard4', id: 'two', item: vcard('Alice B.'), options });
      const refused = events.fire('pep/publish', { username: 'alice', node: 'urn:xmpp:vcard4', item: vcard('x'), options: { access_model: 'open' } }) as PepResult<unknown>;
      expect(refused.ok ? undefined : refused.error.condition).toBe('conflict');

      const items = events.fire('pep/items', { username: 'alice', node: 'urn:xmpp:vcard4' }) as PepResult<Element[]>;
      expect(items.ok && items.value.map((i) => i.attrs.id)).toEqual(['two', 'one']);
      expect(events.fire('pep/retract', { username: 'alice', node: 'urn:xmpp:vcard4', id: 'one' })).toEqual({ ok: true, value: true });
      const missing = events.fire('pep/items', { username: 'alice', node: 'urn:example:none' }) as PepResult<Element[]>;
      expect(missing.ok ? undefined : missing.error.condition).toBe('item-not-found');

      expect(seen).toEqual(['published urn:xmpp:vcard4 one vcard server', 'published urn:xmpp:vcard4 two vcard server', 'retracted urn:xmpp:vcard4 one']);

      // An account that is deleted takes its nodes with it.
      storage.accounts.delete('alice');
      events.fire('user-deleted', { username: 'alice' });
      expect(storage.pubsub.nodes('alice')).toEqual([]);
    } finally {
      host.stop();
      storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
