// Bookmarks between real clients: what a XEP-0402 client keeps in PEP, a XEP-0048 client finds in
// private XML (XEP-0049) or in the legacy PEP node, and the other way round (XEP-0402 §6, XEP-0411).
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle } from '../../support/stanzas.js';

const bookmarksNs = 'urn:xmpp:bookmarks:1';
const legacyNs = 'storage:bookmarks';
const privateNs = 'jabber:iq:private';
const pubsubNs = 'http://jabber.org/protocol/pubsub';
const eventNs = 'http://jabber.org/protocol/pubsub#event';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';

const theplay = 'theplay@conference.shakespeare.lit';
const orchard = 'orchard@conference.shakespeare.lit';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** XEP-0402 §3.3: a bookmark published with the publish-options the XEP asks for (or others). */
function addBookmark(client: Client, room: string, conference: Element, maxItems = 'max'): Promise<Element> {
  const field = (name: string, value: string, type?: string) => xml('field', type ? { var: name, type } : { var: name }, xml('value', {}, value));
  const options = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options', 'hidden'),
    field('pubsub#persist_items', 'true'),
    field('pubsub#max_items', maxItems),
    field('pubsub#send_last_published_item', 'never'),
    field('pubsub#access_model', 'whitelist'),
  );
  const pubsub = xml('pubsub', { xmlns: pubsubNs }, xml('publish', { node: bookmarksNs }, xml('item', { id: room }, conference)), xml('publish-options', {}, options));
  return client.iqCaller.request(xml('iq', { type: 'set' }, pubsub));
}

function retractBookmark(client: Client, room: string): Promise<Element> {
  const retract = xml('retract', { node: bookmarksNs, notify: 'true' }, xml('item', { id: room }));
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, retract)));
}

async function pepItems(client: Client, owner: string, node: string): Promise<Element[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: bare(owner) }, xml('pubsub', { xmlns: pubsubNs }, xml('items', { node }))));
  return result.getChild('pubsub', pubsubNs)!.getChild('items')!.getChildren('item');
}

/** The XEP-0402 bookmarks by room. */
async function bookmarksOf(client: Client, owner: string): Promise<Map<string, Element>> {
  const items = await pepItems(client, owner, bookmarksNs);
  return new Map(items.map((item) => [String(item.attrs.id), item.getChild('conference', bookmarksNs)!]));
}

/** XEP-0048 in private XML (XEP-0049). */
function storeLegacy(client: Client, storage: Element): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: privateNs }, storage)));
}

async function legacyConferences(client: Client): Promise<Map<string, Element>> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: privateNs }, xml('storage', { xmlns: legacyNs }))));
  const storage = result.getChild('query', privateNs)!.getChild('storage', legacyNs)!;
  return new Map(storage.getChildren('conference').map((c) => [String(c.attrs.jid), c]));
}

function isBookmarksEvent(stanza: Element): boolean {
  return stanza.is('message') && stanza.getChild('event', eventNs)?.getChild('items')?.attrs.node === bookmarksNs;
}

describe('bookmarks', () => {
  it('written through PEP (XEP-0402) appear in private XML (XEP-0048)', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await addBookmark(a, theplay, xml('conference', { xmlns: bookmarksNs, name: 'The Play’s the Thing', autojoin: 'true' }, xml('nick', {}, 'JC')));
    await addBookmark(a, orchard, xml('conference', { xmlns: bookmarksNs, name: 'The Orchard' }));

    const legacy = await legacyConferences(a);
    expect([...legacy.keys()].sort()).toEqual([orchard, theplay]);
    expect(legacy.get(theplay)!.attrs).toMatchObject({ name: 'The Play’s the Thing', autojoin: 'true' });
    expect(legacy.get(theplay)!.getChildText('nick')).toBe('JC');
    expect(legacy.get(orchard)!.attrs).toMatchObject({ name: 'The Orchard', autojoin: 'false' });
    await stopQuietly(a);
  });

  it('written through private XML (XEP-0048) appear as PEP items (XEP-0402), and other devices hear of them', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const legacyClient = await login(t, alice, { resource: 'old' });
    const phone = await login(t, alice, { resource: 'phone' });
    const notified = nextStanza(phone, isBookmarksEvent);
    await storeLegacy(
      legacyClient,
      xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay, name: 'The Play’s the Thing', autojoin: 'true' }, xml('nick', {}, 'JC'))),
    );

    const event = await notified;
    expect(event.getChild('event', eventNs)!.getChild('items')!.getChild('item')!.attrs.id).toBe(theplay);
    const bookmarks = await bookmarksOf(phone, alice);
    expect([...bookmarks.keys()]).toEqual([theplay]);
    expect(bookmarks.get(theplay)!.attrs).toMatchObject({ name: 'The Play’s the Thing', autojoin: 'true' });
    expect(bookmarks.get(theplay)!.getChildText('nick')).toBe('JC');
    await stopQuietly(legacyClient);
    await stopQuietly(phone);
  });

  it('make the round trip from XEP-0402 to XEP-0048 and back unchanged', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const modern = await login(t, alice, { resource: 'modern' });
    const legacyClient = await login(t, alice, { resource: 'old' });
    await addBookmark(
      modern,
      theplay,
      xml(
        'conference',
        { xmlns: bookmarksNs, name: 'The Play’s the Thing', autojoin: 'true' },
        xml('nick', {}, 'JC'),
        xml('extensions', {}, xml('state', { xmlns: 'http://myclient.example/bookmark/state', minimized: 'true' })),
      ),
    );
    // The legacy client renames the room and adds one, writing back the whole list it read.
    const legacy = await legacyConferences(legacyClient);
    const renamed = legacy.get(theplay)!;
    renamed.attrs.name = 'The Play';
    await storeLegacy(legacyClient, xml('storage', { xmlns: legacyNs }, renamed, xml('conference', { jid: orchard, name: 'The Orchard' })));

    const bookmarks = await bookmarksOf(modern, alice);
    expect([...bookmarks.keys()].sort()).toEqual([orchard, theplay]);
    const play = bookmarks.get(theplay)!;
    expect(play.attrs).toMatchObject({ name: 'The Play', autojoin: 'true' });
    expect(play.getChildText('nick')).toBe('JC');
    expect(play.getChild('extensions')?.getChild('state', 'http://myclient.example/bookmark/state')?.attrs.minimized).toBe('true');
    expect(bookmarks.get(orchard)!.attrs.name).toBe('The Orchard');
    await stopQuietly(modern);
    await stopQuietly(legacyClient);
  });

  it('keep their XEP-0402 extensions when a legacy client that drops them rewrites the list', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const state = xml('state', { xmlns: 'http://myclient.example/bookmark/state', minimized: 'true' });
    await addBookmark(a, theplay, xml('conference', { xmlns: bookmarksNs, name: 'The Play' }, xml('extensions', {}, state)));
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay, name: 'The Play', autojoin: 'true' })));

    const play = (await bookmarksOf(a, alice)).get(theplay)!;
    expect(play.attrs.autojoin).toBe('true');
    expect(play.getChild('extensions')?.getChild('state', 'http://myclient.example/bookmark/state')).toBeDefined();
    await stopQuietly(a);
  });

  it('removed from the private XML list are retracted from PEP', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice, { resource: 'old' });
    const phone = await login(t, alice, { resource: 'phone' });
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay }), xml('conference', { jid: orchard })));
    await settle(phone);

    const retracted = nextStanza(phone, (s) => isBookmarksEvent(s) && s.getChild('event', eventNs)!.getChild('items')!.getChild('retract') !== undefined);
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay })));
    expect((await retracted).getChild('event', eventNs)!.getChild('items')!.getChild('retract')!.attrs.id).toBe(orchard);
    expect([...(await bookmarksOf(a, alice)).keys()]).toEqual([theplay]);
    await stopQuietly(a);
    await stopQuietly(phone);
  });

  it('unchanged in a rewritten private XML list are not published again', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice, { resource: 'old' });
    const phone = await login(t, alice, { resource: 'phone' });
    const list = () => xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay, name: 'The Play', autojoin: 'true' }, xml('nick', {}, 'JC')));
    await storeLegacy(a, list());
    await settle(a, phone);

    // XEP-0402 §6.2: no notifications for unchanged items.
    const events = record(phone, isBookmarksEvent);
    await storeLegacy(a, list());
    await settle(a, phone);
    expect(events.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(phone);
  });

  it('retracted through PEP are gone from private XML', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await addBookmark(a, theplay, xml('conference', { xmlns: bookmarksNs, name: 'The Play' }));
    await addBookmark(a, orchard, xml('conference', { xmlns: bookmarksNs, name: 'The Orchard' }));
    await retractBookmark(a, orchard);
    expect([...(await legacyConferences(a)).keys()]).toEqual([theplay]);
    await stopQuietly(a);
  });

  it('keep what XEP-0402 cannot hold, like URL bookmarks, for legacy clients', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const url = xml('url', { name: 'Complete Works of Shakespeare', url: 'http://the-tech.mit.edu/Shakespeare/' });
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay, name: 'The Play' }), url));

    const result = await a.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: privateNs }, xml('storage', { xmlns: legacyNs }))));
    const storage = result.getChild('query', privateNs)!.getChild('storage', legacyNs)!;
    expect(storage.getChild('url')?.attrs.url).toBe('http://the-tech.mit.edu/Shakespeare/');
    expect(storage.getChildren('conference').map((c) => c.attrs.jid)).toEqual([theplay]);
    await stopQuietly(a);
  });

  it('written to the legacy PEP node appear in XEP-0402 and in private XML', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const storage = xml('storage', { xmlns: legacyNs }, xml('conference', { jid: orchard, name: 'The Orchard', autojoin: '1' }));
    const publish = xml('publish', { node: legacyNs }, xml('item', { id: 'current' }, storage));
    await a.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, publish)));

    const bookmarks = await bookmarksOf(a, alice);
    expect(bookmarks.get(orchard)?.attrs).toMatchObject({ name: 'The Orchard', autojoin: 'true' });
    expect([...(await legacyConferences(a)).keys()]).toEqual([orchard]);
    await stopQuietly(a);
  });

  it('written through XEP-0402 are copied to the legacy PEP node', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await addBookmark(a, theplay, xml('conference', { xmlns: bookmarksNs, name: 'The Play' }, xml('nick', {}, 'JC')));
    const [item] = await pepItems(a, alice, legacyNs);
    const conference = item!.getChild('storage', legacyNs)!.getChild('conference')!;
    expect(conference.attrs).toMatchObject({ jid: theplay, name: 'The Play' });
    expect(conference.getChildText('nick')).toBe('JC');
    await stopQuietly(a);
  });

  it('stay private to the account in both PEP nodes', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay })));
    await expect(pepItems(b, alice, bookmarksNs)).rejects.toMatchObject({ condition: 'not-allowed' });
    await expect(pepItems(b, alice, legacyNs)).rejects.toMatchObject({ condition: 'not-allowed' });
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('written through private XML go into a private node a client configured differently', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    // XEP-0402 0.3 asked for max_items 10000 rather than "max".
    await addBookmark(a, theplay, xml('conference', { xmlns: bookmarksNs, name: 'The Play' }), '10000');
    await storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: theplay, name: 'The Play' }), xml('conference', { jid: orchard })));
    expect([...(await bookmarksOf(a, alice)).keys()].sort()).toEqual([orchard, theplay]);
    await stopQuietly(a);
  });

  it('written through private XML are refused rather than put in a node others can read', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    // Published without publish-options: the node has the PEP default, presence access.
    const publish = xml('publish', { node: bookmarksNs }, xml('item', { id: theplay }, xml('conference', { xmlns: bookmarksNs })));
    await a.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, publish)));
    await expect(storeLegacy(a, xml('storage', { xmlns: legacyNs }, xml('conference', { jid: orchard })))).rejects.toMatchObject({ condition: 'conflict' });
    expect([...(await bookmarksOf(a, alice)).keys()]).toEqual([theplay]);
    await stopQuietly(a);
  });

  it('announce the conversions on the account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: bare(alice) }, xml('query', { xmlns: discoInfoNs })));
    const features = result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([`${bookmarksNs}#compat`, `${bookmarksNs}#compat-pep`, 'urn:xmpp:bookmarks-conversion:0']));
    await stopQuietly(a);
  });
});
