// Circles: everyone in a circle has everyone else as a contact under the circle's name, and
// rosters follow as people join and leave, pushed to the devices that are online. Changes come
// from the admin API (the real control handlers) and from accepted invitations.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Circle } from '../../../server/control/contract.js';
import { openSecureStream, rawIq } from '../../support/raw-streams.js';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, getRoster, groupsOf, login, nextPresence, nextRosterPush, rosterItems, settle } from '../../support/stanzas.js';

let t: TestServer;
const clients: Client[] = [];
let circleCounter = 0;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await stopQuietly(client);
  await t.stop();
});

async function signIn(username: string, options: { password?: string } = {}): Promise<Client> {
  const client = await login(t, username, options);
  clients.push(client);
  await getRoster(client);
  return client;
}

async function control<T>(request: Promise<{ ok: true; value: T } | { ok: false; error: string }>): Promise<T> {
  const result = await request;
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const uniqueName = (base: string) => `${base} ${++circleCounter}`;
const createCircle = (name: string, members: string[], groupChat = false) => control(t.server.control.request('circles.create', { name, members, groupChat }));
const item = (username: string, contact: string) => t.server.storage.roster.item(username, bare(contact));

describe('circle rosters', () => {
  it('gives every member everyone else under the circle’s name, subscribed both ways, pushed to online members', async () => {
    const [mum, dad, kid] = freshAccounts(t, 'mum', 'dad', 'kid');
    const mumClient = await signIn(mum);
    const pushes = [nextRosterPush(mumClient, bare(dad)), nextRosterPush(mumClient, bare(kid))];
    const name = uniqueName('Family');
    await createCircle(name, [mum, dad, kid]);
    for (const push of await Promise.all(pushes)) {
      expect(push.attrs.subscription).toBe('both');
      expect(groupsOf(push)).toEqual([name]);
    }
    for (const [a, b] of [
      [dad, kid],
      [kid, mum],
      [dad, mum],
    ] as const) {
      expect(item(a, b)).toMatchObject({ subscription: 'both', groups: [name], listed: true });
    }
  });

  it('adds a newcomer to everyone’s roster, and they see each other online at once', async () => {
    const [mum, grandpa] = freshAccounts(t, 'mum', 'grandpa');
    const circle = await createCircle(uniqueName('Family'), [mum]);
    const mumClient = await signIn(mum);
    const grandpaClient = await signIn(grandpa);
    const push = nextRosterPush(mumClient, bare(grandpa));
    const grandpaOnline = nextPresence(mumClient, bare(grandpa));
    const mumOnline = nextPresence(grandpaClient, bare(mum));
    await control(t.server.control.request('circles.addMember', { id: circle.id, username: grandpa }));
    expect((await push).attrs.subscription).toBe('both');
    await Promise.all([grandpaOnline, mumOnline]);
    expect(rosterItems(await getRoster(grandpaClient)).get(bare(mum))?.attrs.subscription).toBe('both');
  });

  it('takes a member who leaves out of the others’ rosters, and them out of theirs', async () => {
    const [mum, lodger] = freshAccounts(t, 'mum', 'lodger');
    const circle = await createCircle(uniqueName('House'), [mum, lodger]);
    const mumClient = await signIn(mum);
    const lodgerClient = await signIn(lodger);
    const removal = nextRosterPush(mumClient, bare(lodger));
    const theirRemoval = nextRosterPush(lodgerClient, bare(mum));
    const gone = nextPresence(mumClient, bare(lodger), 'unavailable');
    await control(t.server.control.request('circles.removeMember', { id: circle.id, username: lodger }));
    expect((await removal).attrs.subscription).toBe('remove');
    expect((await theirRemoval).attrs.subscription).toBe('remove');
    await gone;
    expect(item(mum, lodger)).toBeUndefined();
    expect(item(lodger, mum)).toBeUndefined();
  });

  it('keeps contacts people had before the circle, taking only its group away', async () => {
    const [ann, ben] = freshAccounts(t, 'ann', 'ben');
    const annClient = await signIn(ann);
    const benClient = await signIn(ben);
    // Made contacts by hand first (RFC 6121 subscription handshake, both ways).
    await benClient.send(xml('presence', { type: 'subscribed', to: bare(ann) }));
    await annClient.send(xml('presence', { type: 'subscribe', to: bare(ben) }));
    await annClient.send(xml('presence', { type: 'subscribed', to: bare(ben) }));
    await benClient.send(xml('presence', { type: 'subscribe', to: bare(ann) }));
    await settle(annClient, benClient);
    expect(item(ann, ben)?.subscription).toBe('both');

    const name = uniqueName('Friends');
    const circle = await createCircle(name, [ann, ben]);
    expect(item(ann, ben)?.groups).toEqual([name]);
    await control(t.server.control.request('circles.delete', { id: circle.id }));
    expect(item(ann, ben)).toMatchObject({ subscription: 'both', groups: [] });
    expect(item(ben, ann)).toMatchObject({ subscription: 'both', groups: [] });
  });

  it('keeps two people contacts under their other circle when they leave one', async () => {
    const [gran, tom] = freshAccounts(t, 'gran', 'tom');
    const family = uniqueName('Family');
    const grandkids = uniqueName('Grandkids');
    await createCircle(family, [gran, tom]);
    const second = await createCircle(grandkids, [gran, tom]);
    expect(item(gran, tom)?.groups).toEqual([family, grandkids]);
    await control(t.server.control.request('circles.removeMember', { id: second.id, username: tom }));
    expect(item(gran, tom)).toMatchObject({ subscription: 'both', groups: [family] });
    expect(item(tom, gran)).toMatchObject({ subscription: 'both', groups: [family] });
  });

  it('renames the group in every member’s roster when the circle is renamed', async () => {
    const [a, b] = freshAccounts(t, 'a', 'b');
    const aClient = await signIn(a);
    const circle = await createCircle(uniqueName('Cousins'), [a, b]);
    await settle(aClient);
    const renamed = uniqueName('The cousins');
    const push = nextRosterPush(aClient, bare(b));
    await control(t.server.control.request('circles.rename', { id: circle.id, name: renamed }));
    expect(groupsOf(await push)).toEqual([renamed]);
    expect(item(b, a)?.groups).toEqual([renamed]);
  });

  it('removes a deleted account from the rosters the circle gave it to', async () => {
    const [stays, leaves] = freshAccounts(t, 'stays', 'leaves');
    await createCircle(uniqueName('Club'), [stays, leaves]);
    const staysClient = await signIn(stays);
    const removal = nextRosterPush(staysClient, bare(leaves));
    await control(t.server.control.request('users.remove', { username: leaves }));
    expect((await removal).attrs.subscription).toBe('remove');
    expect(item(stays, leaves)).toBeUndefined();
  });

  it('puts someone who accepts an invitation into its circles, with the family already in their contacts', async () => {
    const [mum, dad] = freshAccounts(t, 'mum', 'dad');
    const name = uniqueName('Family');
    const circle = await createCircle(name, [mum, dad]);
    const mumClient = await signIn(mum);
    const invite = await control(t.server.control.request('invites.create', { circles: [circle.id] }));
    const token = /preauth=([A-Za-z0-9]+)/.exec(invite.uri)![1]!;
    const grandma = `grandma${circleCounter}c`;
    const push = nextRosterPush(mumClient, bare(grandma));

    const { raw } = await openSecureStream(t.port('c2s'));
    await rawIq(raw, 'p', `<iq type='set' id='p'><preauth xmlns='urn:xmpp:pars:0' token='${token}'/></iq>`);
    const registered = await rawIq(raw, 'r', `<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>${grandma}</username><password>knitting needles</password></query></iq>`);
    raw.destroy();
    expect(registered.attrs.type).toBe('result');
    expect(groupsOf(await push)).toEqual([name]);

    const grandmaClient = await signIn(grandma, { password: 'knitting needles' });
    const roster = rosterItems(await getRoster(grandmaClient));
    expect([...roster.keys()].sort()).toEqual([bare(dad), bare(mum)].sort());
    for (const entry of roster.values()) expect(entry.attrs.subscription).toBe('both');
    expect(t.server.storage.circles.get(circle.id)?.members).toContain(grandma);
  });

  it('refuses a second circle with the same name, ignoring case', async () => {
    const name = uniqueName('Neighbours');
    await createCircle(name, []);
    expect(await t.server.control.request('circles.create', { name: name.toUpperCase() })).toEqual({ ok: false, error: `there is already a circle named ${name.toUpperCase()}` });
  });
});

describe('a circle’s group chat', () => {
  const bookmarksNode = 'urn:xmpp:bookmarks:1';

  it('is a members-only room whose members are the circle’s, in their bookmarks with autojoin', async () => {
    const [mum, son] = freshAccounts(t, 'mum', 'son');
    const circle: Circle = await createCircle(uniqueName('Home'), [mum, son], true);
    expect(circle.groupChat).toMatch(new RegExp(`^home-\\d+@conference\\.${domain}$`));
    const sonClient = await signIn(son);
    const items = await sonClient.iqCaller.request(
      xml('iq', { type: 'get' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: bookmarksNode }))),
    );
    const bookmark = items.getChild('pubsub')!.getChild('items')!.getChildren('item').find((i) => i.attrs.id === circle.groupChat);
    expect(bookmark?.getChild('conference', bookmarksNode)?.attrs).toMatchObject({ autojoin: 'true', name: circle.name });

    const entered = nextStanza(sonClient, (s) => s.is('presence') && s.attrs.from === `${circle.groupChat}/son`);
    await sonClient.send(xml('presence', { to: `${circle.groupChat}/son` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    const presence = await entered;
    expect(presence.attrs.type).toBeUndefined();
    expect(presence.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!.attrs.affiliation).toBe('member');

    // Someone outside the circle may not enter (XEP-0045 §7.2.6 registration-required).
    const [stranger] = freshAccounts(t, 'stranger');
    const strangerClient = await signIn(stranger);
    const refused = nextStanza(strangerClient, (s) => s.is('presence') && s.attrs.type === 'error');
    await strangerClient.send(xml('presence', { to: `${circle.groupChat}/x` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    expect((await refused).getChild('error')!.getChild('registration-required')).toBeDefined();

    // Leaving the circle: out of the room (status 321) and its bookmark gone.
    const removed = nextStanza(sonClient, (s) => s.is('presence') && s.attrs.type === 'unavailable' && s.attrs.from === `${circle.groupChat}/son`);
    await control(t.server.control.request('circles.removeMember', { id: circle.id, username: son }));
    const statuses = (await removed).getChild('x', 'http://jabber.org/protocol/muc#user')!.getChildren('status').map((s) => s.attrs.code);
    expect(statuses).toContain('321');
    const after = await sonClient.iqCaller.request(
      xml('iq', { type: 'get' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: bookmarksNode }))),
    );
    expect(after.getChild('pubsub')!.getChild('items')!.getChildren('item').map((i) => i.attrs.id)).not.toContain(circle.groupChat);
  });
});

describe('setup', () => {
  it('creates the household’s circle with the admin in it and its group chat', async () => {
    const fresh = await startTestServer();
    try {
      const done = await fresh.server.control.request('setup.complete', { domain, username: 'mum', password: 'a good long password', household: 'The Smiths' });
      expect(done.ok).toBe(true);
      const circles = await control(fresh.server.control.request('circles.list', {}));
      expect(circles).toEqual([{ id: expect.any(Number), name: 'The Smiths', members: ['mum'], groupChat: `the-smiths@conference.${domain}` }]);
    } finally {
      await fresh.stop();
    }
  });
});
