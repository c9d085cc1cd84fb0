// RFC 6121 §2: roster get, set, update, remove, pushes to interested resources, and versioning.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopQuietly, type TestServer, startTestServer, xml } from '../../support/server.js';
import {
  bare,
  freshAccounts,
  getRoster,
  groupsOf,
  isRosterPush,
  login,
  loginWithFeatures,
  nextRosterPush,
  record,
  rosterItems,
  rosterNs,
  setRosterItem,
  settle,
} from '../../support/stanzas.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

describe('roster get', () => {
  it('returns an empty roster with a version for a new account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    const result = await getRoster(client);
    const query = result.getChild('query', rosterNs);
    expect(query?.attrs.ver).toMatch(/.+/);
    expect(query?.getChildren('item')).toEqual([]);
    await stopQuietly(client);
  });

  it('returns the items the user added, with name, subscription and groups', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const client = await login(t, alice);
    await setRosterItem(client, { jid: bare(bob), name: 'Bob' }, ['Family', 'Friends']);
    await setRosterItem(client, { jid: bare(carol) });

    const items = rosterItems(await getRoster(client));
    expect([...items.keys()].sort()).toEqual([bare(bob), bare(carol)].sort());
    expect(items.get(bare(bob))?.attrs).toMatchObject({ name: 'Bob', subscription: 'none' });
    expect(groupsOf(items.get(bare(bob))!).sort()).toEqual(['Family', 'Friends']);
    expect(items.get(bare(carol))?.attrs.name).toBeUndefined();
    await stopQuietly(client);
  });
});

describe('roster set', () => {
  it('adds an item and pushes it to every interested resource of the account', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    await getRoster(phone);
    await getRoster(laptop);

    const pushes = Promise.all([phone, laptop].map((c) => nextRosterPush(c, bare(bob))));
    const result = await setRosterItem(phone, { jid: bare(bob), name: 'Bob' }, ['Family']);
    expect(result.attrs.type).toBe('result');

    for (const item of await pushes) {
      expect(item.attrs).toMatchObject({ jid: bare(bob), name: 'Bob', subscription: 'none' });
      expect(groupsOf(item)).toEqual(['Family']);
    }
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('addresses each push to the full JID of the resource and gives it a version', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice, { resource: 'desk' });
    const before = (await getRoster(client)).getChild('query', rosterNs)!.attrs.ver as string;

    const push = (async () => {
      const item = await nextRosterPush(client, bare(bob));
      return item.parent!.parent!;
    })();
    await setRosterItem(client, { jid: bare(bob) });
    const iq = await push;
    expect(iq.attrs.to).toBe(`${bare(alice)}/desk`);
    // RFC 6121 §2.1.6: a push has no 'from' (it comes from the account itself).
    expect(iq.attrs.from).toBeUndefined();
    const ver = iq.getChild('query', rosterNs)?.attrs.ver;
    expect(ver).toMatch(/.+/);
    expect(ver).not.toBe(before);
    await stopQuietly(client);
  });

  it('does not push to a resource that never asked for the roster', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const interested = await login(t, alice);
    const uninterested = await login(t, alice);
    await getRoster(interested);
    const seen = record(uninterested, (s) => isRosterPush(s));

    await setRosterItem(interested, { jid: bare(bob) });
    await settle(interested, uninterested);
    expect(seen.stanzas).toEqual([]);
    await stopQuietly(interested);
    await stopQuietly(uninterested);
  });

  it('updates the name and groups of an existing item', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await getRoster(client);
    await setRosterItem(client, { jid: bare(bob), name: 'Bob' }, ['Family']);

    const push = nextRosterPush(client, bare(bob));
    await setRosterItem(client, { jid: bare(bob), name: 'Bobby' }, ['Friends', 'Work']);
    const item = await push;
    expect(item.attrs.name).toBe('Bobby');
    expect(groupsOf(item).sort()).toEqual(['Friends', 'Work']);

    const items = rosterItems(await getRoster(client));
    expect(items.size).toBe(1);
    expect(items.get(bare(bob))?.attrs.name).toBe('Bobby');
    expect(groupsOf(items.get(bare(bob))!).sort()).toEqual(['Friends', 'Work']);
    await stopQuietly(client);
  });

  it('ignores a subscription state the client tries to set', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await getRoster(client);
    const push = nextRosterPush(client, bare(bob));
    await setRosterItem(client, { jid: bare(bob), subscription: 'both', ask: 'subscribe' });
    const item = await push;
    // RFC 6121 §2.1.2.2, §2.1.2.5: only the server sets these.
    expect(item.attrs.subscription).toBe('none');
    expect(item.attrs.ask).toBeUndefined();
    await stopQuietly(client);
  });
});

describe('roster remove', () => {
  it('removes an item and pushes the removal', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice);
    const laptop = await login(t, alice);
    await getRoster(phone);
    await getRoster(laptop);
    await setRosterItem(phone, { jid: bare(bob), name: 'Bob' });
    await settle(phone, laptop); // the pushes of the addition are in

    const pushes = Promise.all([phone, laptop].map((c) => nextRosterPush(c, bare(bob))));
    const result = await setRosterItem(phone, { jid: bare(bob), subscription: 'remove' });
    expect(result.attrs.type).toBe('result');
    for (const item of await pushes) expect(item.attrs).toMatchObject({ jid: bare(bob), subscription: 'remove' });

    expect(rosterItems(await getRoster(phone)).has(bare(bob))).toBe(false);
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('answers the removal of an item that is not in the roster with item-not-found', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await getRoster(client);
    const pushes = record(client, (s) => isRosterPush(s));
    // RFC 6121 §2.5.3.
    await expect(setRosterItem(client, { jid: bare(bob), subscription: 'remove' })).rejects.toMatchObject({
      condition: 'item-not-found',
    });
    await settle(client);
    expect(pushes.stanzas).toEqual([]);
    await stopQuietly(client);
  });
});

describe('roster versioning', () => {
  it('answers a roster get with the current version with an empty result', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await setRosterItem(client, { jid: bare(bob) });
    const ver = (await getRoster(client)).getChild('query', rosterNs)!.attrs.ver as string;

    const result = await getRoster(client, ver);
    // RFC 6121 §2.6.3: nothing changed, so an empty IQ result.
    expect(result.attrs.type).toBe('result');
    expect(result.getChildElements()).toEqual([]);
    await stopQuietly(client);
  });

  it('answers a roster get with an old version with the full roster', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const client = await login(t, alice);
    await setRosterItem(client, { jid: bare(bob) });
    const old = (await getRoster(client)).getChild('query', rosterNs)!.attrs.ver as string;
    await setRosterItem(client, { jid: bare(carol) });

    const result = await getRoster(client, old);
    const query = result.getChild('query', rosterNs);
    expect(query?.attrs.ver).toMatch(/.+/);
    expect(query?.attrs.ver).not.toBe(old);
    expect([...rosterItems(result).keys()].sort()).toEqual([bare(bob), bare(carol)].sort());
    await stopQuietly(client);
  });

  it('answers a roster get with an empty version with the full roster', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await setRosterItem(client, { jid: bare(bob) });
    // RFC 6121 §2.6.2: ver="" means the client has no cached roster.
    const result = await getRoster(client, '');
    expect([...rosterItems(result).keys()]).toEqual([bare(bob)]);
    await stopQuietly(client);
  });

  it('announces roster versioning and pre-approval in the stream features', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { client, features } = await loginWithFeatures(t, alice);
    expect(features.getChild('ver', 'urn:xmpp:features:rosterver')).toBeDefined();
    expect(features.getChild('sub', 'urn:xmpp:features:pre-approval')).toBeDefined();
    await stopQuietly(client);
  });
});

describe('roster set errors', () => {
  it('refuses a roster set with two items with bad-request', async () => {
    const [alice, bob, carol] = freshAccounts(t, 'alice', 'bob', 'carol');
    const client = await login(t, alice);
    const query = xml('query', { xmlns: rosterNs }, xml('item', { jid: bare(bob) }), xml('item', { jid: bare(carol) }));
    await expect(client.iqCaller.request(xml('iq', { type: 'set' }, query))).rejects.toMatchObject({ condition: 'bad-request' });
    expect(rosterItems(await getRoster(client)).size).toBe(0);
    await stopQuietly(client);
  });

  it('refuses an item with an invalid JID with jid-malformed', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    await expect(setRosterItem(client, { jid: 'bad@@localhost' })).rejects.toMatchObject({ condition: 'jid-malformed' });
    await stopQuietly(client);
  });

  it('refuses adding yourself with not-allowed', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    await expect(setRosterItem(client, { jid: bare(alice) })).rejects.toMatchObject({ condition: 'not-allowed' });
    await stopQuietly(client);
  });

  it('refuses an item listing the same group twice with bad-request', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    // RFC 6121 §2.3.3.
    await expect(setRosterItem(client, { jid: bare(bob) }, ['Family', 'Family'])).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(client);
  });

  it('refuses an empty group name with not-acceptable', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    // RFC 6121 §2.3.3.
    await expect(setRosterItem(client, { jid: bare(bob) }, [''])).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopQuietly(client);
  });
});

