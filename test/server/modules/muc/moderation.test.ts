// XEP-0045 §8-§10 with real clients: kicking, banning, voice in moderated rooms, granting
// membership, admin and owner status, the lists, and who is refused what.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStanza, startTestServer, stopQuietly, type TestServer } from '../../../support/server.js';
import { bare, errorCondition, freshAccounts, login, settle } from '../../../support/stanzas.js';
import {
  adminList,
  adminSet,
  configure,
  createRoom,
  freshRoom,
  groupchat,
  join,
  mucItem,
  nextGroupchat,
  nextOccupantPresence,
  statusCodes,
} from './muc-helpers.js';

let t: TestServer;
let owner: string;
let bob: string;
let carol: string;
let o: Client;
let b: Client;
let c: Client;

beforeAll(async () => {
  t = await startTestServer();
  [owner, bob, carol] = freshAccounts(t, 'owner', 'bob', 'carol');
  o = await login(t, owner);
  b = await login(t, bob);
  c = await login(t, carol);
});
afterAll(async () => {
  for (const client of [o, b, c]) await stopQuietly(client);
  await t.stop();
});

/** A fresh room the owner created, with bob and carol in it. */
async function roomWithEveryone(fields: Record<string, string> = {}): Promise<string> {
  const room = freshRoom();
  await createRoom(o, room, 'Owner', fields);
  await join(b, room, 'Bob');
  await join(c, room, 'Carol');
  await settle(o, b, c);
  return room;
}

describe('kicking', () => {
  it('removes the occupant with 307, the actor and the reason, and tells everyone', async () => {
    const room = await roomWithEveryone();
    const kicked = nextOccupantPresence(b, `${room}/Bob`, 'unavailable');
    const seen = nextOccupantPresence(c, `${room}/Bob`, 'unavailable');
    await adminSet(o, room, { nick: 'Bob', role: 'none', reason: 'bedtime' });
    const own = await kicked;
    expect(statusCodes(own)).toEqual([110, 307]);
    const item = own.getChild('x', 'http://jabber.org/protocol/muc#user')!.getChild('item')!;
    expect(item.getChild('actor')!.attrs.nick).toBe('Owner');
    expect(item.getChildText('reason')).toBe('bedtime');
    expect(statusCodes(await seen)).toEqual([307]);
    // A kick is not a ban: Bob comes back.
    await join(b, room, 'Bob');
  });

  it('refuses a kick from a participant with forbidden', async () => {
    const room = await roomWithEveryone();
    await expect(adminSet(b, room, { nick: 'Carol', role: 'none' })).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('refuses to let a moderator without affiliation kick an owner', async () => {
    const room = await roomWithEveryone();
    await adminSet(o, room, { nick: 'Bob', role: 'moderator' });
    await expect(adminSet(b, room, { nick: 'Owner', role: 'none' })).rejects.toMatchObject({ condition: 'not-allowed' });
    // But a moderator may kick a participant.
    const kicked = nextOccupantPresence(c, `${room}/Carol`, 'unavailable');
    await adminSet(b, room, { nick: 'Carol', role: 'none' });
    expect(statusCodes(await kicked)).toContain(307);
    await join(c, room, 'Carol');
  });

  it('answers a kick of a nickname nobody has with item-not-found', async () => {
    const room = await roomWithEveryone();
    await expect(adminSet(o, room, { nick: 'Nobody', role: 'none' })).rejects.toMatchObject({ condition: 'item-not-found' });
  });
});

describe('banning', () => {
  it('removes the occupant with 301 and keeps them out until the ban is lifted', async () => {
    const room = await roomWithEveryone();
    const banned = nextOccupantPresence(b, `${room}/Bob`, 'unavailable');
    const seen = nextOccupantPresence(c, `${room}/Bob`, 'unavailable');
    await adminSet(o, room, { jid: bare(bob), affiliation: 'outcast', reason: 'rude' });
    expect(statusCodes(await banned)).toEqual([110, 301]);
    const other = await seen;
    expect(statusCodes(other)).toEqual([301]);
    expect(mucItem(other)).toMatchObject({ affiliation: 'outcast', role: 'none' });

    await expect(join(b, room, 'Bob')).rejects.toMatchObject({ condition: 'forbidden' });
    const outcasts = await adminList(o, room, { affiliation: 'outcast' });
    expect(outcasts.map((i) => [i.attrs.jid, i.getChildText('reason')])).toEqual([[bare(bob), 'rude']]);

    await adminSet(o, room, { jid: bare(bob), affiliation: 'none' });
    await join(b, room, 'Bob');
  });

  it('refuses to let an owner ban themselves, with conflict', async () => {
    const room = await roomWithEveryone();
    await expect(adminSet(o, room, { jid: bare(owner), affiliation: 'outcast' })).rejects.toMatchObject({ condition: 'conflict' });
  });

  it('refuses to let an admin ban an owner, with not-allowed', async () => {
    const room = await roomWithEveryone();
    await adminSet(o, room, { jid: bare(bob), affiliation: 'admin' });
    await expect(adminSet(b, room, { jid: bare(owner), affiliation: 'outcast' })).rejects.toMatchObject({ condition: 'not-allowed' });
  });

  it('applies nothing of a request when one of its items is refused', async () => {
    const room = await roomWithEveryone();
    await expect(
      adminSet(o, room, { jid: bare(carol), affiliation: 'member' }, { jid: bare(owner), affiliation: 'outcast' }),
    ).rejects.toMatchObject({ condition: 'conflict' });
    expect(await adminList(o, room, { affiliation: 'member' })).toEqual([]);
  });
});

describe('affiliations', () => {
  it('makes a new admin a moderator, and everyone sees it', async () => {
    const room = await roomWithEveryone();
    const seen = nextStanza(c, (s) => s.is('presence') && s.attrs.from === `${room}/Bob` && mucItem(s).affiliation === 'admin');
    await adminSet(o, room, { jid: bare(bob), affiliation: 'admin' });
    expect(mucItem(await seen)).toMatchObject({ affiliation: 'admin', role: 'moderator' });
    const admins = await adminList(o, room, { affiliation: 'admin' });
    expect(admins.map((i) => i.attrs.jid)).toEqual([bare(bob)]);
  });

  it('refuses to let the last owner step down, and lets an owner go when another remains', async () => {
    const room = await roomWithEveryone();
    await expect(adminSet(o, room, { jid: bare(owner), affiliation: 'member' })).rejects.toMatchObject({ condition: 'conflict' });
    await adminSet(o, room, { jid: bare(bob), affiliation: 'owner' });
    await adminSet(o, room, { jid: bare(owner), affiliation: 'admin' });
    expect((await adminList(b, room, { affiliation: 'owner' })).map((i) => i.attrs.jid)).toEqual([bare(bob)]);
  });

  it('keeps the admin and owner lists for owners to change', async () => {
    const room = await roomWithEveryone();
    await adminSet(o, room, { jid: bare(bob), affiliation: 'admin' });
    await expect(adminSet(b, room, { jid: bare(carol), affiliation: 'admin' })).rejects.toMatchObject({ condition: 'forbidden' });
    // Admins do manage members.
    await adminSet(b, room, { jid: bare(carol), affiliation: 'member' });
  });

  it('lets members of a non-anonymous room read who belongs, but not the ban list', async () => {
    const room = await roomWithEveryone();
    await adminSet(o, room, { jid: bare(bob), affiliation: 'member' }, { jid: bare(carol), affiliation: 'member' });
    const members = await adminList(b, room, { affiliation: 'member' });
    expect(members.map((i) => i.attrs.jid).sort()).toEqual([bare(bob), bare(carol)].sort());
    expect((await adminList(b, room, { affiliation: 'owner' })).map((i) => i.attrs.jid)).toEqual([bare(owner)]);
    await expect(adminList(b, room, { affiliation: 'outcast' })).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('keeps the member list from members of a semi-anonymous room', async () => {
    const room = await roomWithEveryone({ 'muc#roomconfig_whois': 'moderators' });
    await adminSet(o, room, { jid: bare(bob), affiliation: 'member' });
    await expect(adminList(b, room, { affiliation: 'member' })).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('removes someone who loses membership of a members-only room (321)', async () => {
    const room = freshRoom();
    await createRoom(o, room, 'Owner', { 'muc#roomconfig_membersonly': '1' });
    await adminSet(o, room, { jid: bare(bob), affiliation: 'member' });
    await join(b, room, 'Bob');
    const removed = nextOccupantPresence(b, `${room}/Bob`, 'unavailable');
    await adminSet(o, room, { jid: bare(bob), affiliation: 'none' });
    expect(statusCodes(await removed)).toEqual([110, 321]);
  });

  it('removes those who are not members when the room becomes members-only (322)', async () => {
    const room = await roomWithEveryone();
    await adminSet(o, room, { jid: bare(carol), affiliation: 'member' });
    const removed = nextOccupantPresence(b, `${room}/Bob`, 'unavailable');
    await configure(o, room, { 'muc#roomconfig_membersonly': '1' });
    expect(statusCodes(await removed)).toEqual([110, 322]);
    await settle(c);
  });
});

describe('voice in a moderated room', () => {
  it('makes newcomers visitors who may not speak until a moderator gives them voice', async () => {
    const room = await roomWithEveryone({ 'muc#roomconfig_moderatedroom': '1' });
    const refused = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(groupchat(room, 'can I speak?'));
    expect(errorCondition(await refused)).toBe('forbidden');

    const voiced = nextStanza(c, (s) => s.is('presence') && s.attrs.from === `${room}/Bob` && mucItem(s).role === 'participant');
    await adminSet(o, room, { nick: 'Bob', role: 'participant' });
    await voiced;
    const heard = nextGroupchat(c, room, 'thank you');
    await b.send(groupchat(room, 'thank you'));
    await heard;

    const participants = await adminList(o, room, { role: 'participant' });
    expect(participants.map((i) => i.attrs.nick)).toEqual(['Bob']);
    await expect(adminSet(b, room, { nick: 'Owner', role: 'visitor' })).rejects.toMatchObject({ condition: 'forbidden' });
  });
});
