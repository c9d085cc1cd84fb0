// XEP-0045 occupant and owner use cases with real clients: discovering the service and rooms,
// creating and configuring rooms, entering (and being refused), nicknames, presence, the subject,
// private messages, invitations, room avatars and destroying a room.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../../support/server.js';
import { bare, errorCondition, freshAccounts, login, record, settle } from '../../../support/stanzas.js';
import {
  adminSet,
  conference,
  configure,
  createRoom,
  dataNs,
  discoInfoNs,
  discoItemsNs,
  freshRoom,
  groupchat,
  join,
  mucItem,
  mucNs,
  mucOwnerNs,
  mucUserNs,
  nextGroupchat,
  nextOccupantPresence,
  statusCodes,
} from './muc-helpers.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Logs in a fresh account for each name. */
async function people<const N extends readonly string[]>(...names: N): Promise<{ [K in keyof N]: Client }> {
  const accounts = freshAccounts(t, ...names);
  return (await Promise.all(accounts.map((account) => login(t, account)))) as { [K in keyof N]: Client };
}

async function stopAll(...clients: Client[]): Promise<void> {
  for (const client of clients) await stopQuietly(client);
}

function discoInfo(client: Client, to: string, node?: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: discoInfoNs, node })));
}

function features(result: Element): string[] {
  return result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => String(f.attrs.var));
}

function formValue(result: Element, name: string): string | undefined {
  const form = result.getChild('query', discoInfoNs)!.getChild('x', dataNs);
  return form?.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
}

function ownerForm(client: Client, room: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: mucOwnerNs })));
}

describe('discovery', () => {
  it('lists the group chat service among the server items', async () => {
    const [a] = await people('alice');
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoItemsNs })));
    const items = result.getChild('query', discoItemsNs)!.getChildren('item').map((i) => i.attrs.jid);
    expect(items).toContain(conference);
    await stopAll(a);
  });

  it('says the service is a text conference service speaking MUC', async () => {
    const [a] = await people('alice');
    const result = await discoInfo(a, conference);
    const identity = result.getChild('query', discoInfoNs)!.getChild('identity')!;
    expect(identity.attrs).toMatchObject({ category: 'conference', type: 'text' });
    expect(features(result)).toEqual(expect.arrayContaining([mucNs, discoInfoNs, discoItemsNs, 'http://jabber.org/protocol/muc#stable_id', 'vcard-temp']));
    await stopAll(a);
  });

  it('lists public rooms only', async () => {
    const [a] = await people('alice');
    const visible = freshRoom('visible');
    const hidden = freshRoom('hidden');
    await createRoom(a, visible, 'A', { 'muc#roomconfig_publicroom': '1', 'muc#roomconfig_roomname': 'Everyone' });
    await createRoom(a, hidden, 'A');
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: conference }, xml('query', { xmlns: discoItemsNs })));
    const items = result.getChild('query', discoItemsNs)!.getChildren('item');
    expect(items.map((i) => i.attrs)).toContainEqual({ jid: visible, name: 'Everyone' });
    expect(items.map((i) => i.attrs.jid)).not.toContain(hidden);
    await stopAll(a);
  });

  it("describes a room with its features and its muc#roominfo form", async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_roomname': 'Holiday 2027', 'muc#roomconfig_roomdesc': 'Planning the trip' });
    await join(b, room, 'B');
    const result = await discoInfo(b, room);
    expect(result.getChild('query', discoInfoNs)!.getChild('identity')!.attrs).toMatchObject({ category: 'conference', type: 'text', name: 'Holiday 2027' });
    expect(features(result)).toEqual(
      expect.arrayContaining([
        mucNs,
        'muc_persistent',
        'muc_open',
        'muc_unsecured',
        'muc_nonanonymous',
        'muc_unmoderated',
        'muc_hidden',
        'urn:xmpp:mam:2',
        'urn:xmpp:sid:0',
        'vcard-temp',
        'urn:xmpp:message-moderate:1',
        'http://jabber.org/protocol/muc#self-ping-optimization',
      ]),
    );
    expect(formValue(result, 'FORM_TYPE')).toBe('http://jabber.org/protocol/muc#roominfo');
    expect(formValue(result, 'muc#roominfo_description')).toBe('Planning the trip');
    expect(formValue(result, 'muc#roominfo_occupants')).toBe('2');
    await stopAll(a, b);
  });

  it('answers for a room that does not exist with item-not-found', async () => {
    const [a] = await people('alice');
    await expect(discoInfo(a, freshRoom('nothing'))).rejects.toMatchObject({ condition: 'item-not-found' });
    await stopAll(a);
  });
});

describe('creating a room', () => {
  it('keeps a new room locked until its owner configures it', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    const joined = await join(a, room, 'A');
    expect(statusCodes(joined.self)).toContain(201);
    await expect(join(b, room, 'B')).rejects.toMatchObject({ condition: 'item-not-found' });
    await configure(a, room, {});
    await join(b, room, 'B');
    await stopAll(a, b);
  });

  it('offers owners the configuration form with the family defaults', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await join(a, room, 'A');
    const form = (await ownerForm(a, room)).getChild('query', mucOwnerNs)!.getChild('x', dataNs)!;
    const value = (name: string) => form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
    expect(value('FORM_TYPE')).toBe('http://jabber.org/protocol/muc#roomconfig');
    expect(value('muc#roomconfig_persistentroom')).toBe('1');
    expect(value('muc#roomconfig_publicroom')).toBe('0');
    expect(value('muc#roomconfig_membersonly')).toBe('0');
    expect(value('muc#roomconfig_whois')).toBe('anyone');
    expect(value('muc#roomconfig_enablearchiving')).toBe('1');
    expect(value('muc#roomconfig_maxusers')).toBe('100');
    await stopAll(a);
  });

  it('destroys a new room whose owner cancels the configuration', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await join(a, room, 'A');
    const gone = nextOccupantPresence(a, `${room}/A`, 'unavailable');
    await a.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mucOwnerNs }, xml('x', { xmlns: dataNs, type: 'cancel' }))));
    expect((await gone).getChild('x', mucUserNs)!.getChild('destroy')).toBeDefined();
    await expect(discoInfo(a, room)).rejects.toMatchObject({ condition: 'item-not-found' });
    await stopAll(a);
  });

  it('refuses configuration from anyone but an owner', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await expect(ownerForm(b, room)).rejects.toMatchObject({ condition: 'forbidden' });
    await expect(configure(b, room, { 'muc#roomconfig_roomname': 'mine' })).rejects.toMatchObject({ condition: 'forbidden' });
    await stopAll(a, b);
  });

  it('refuses a password-protected room without a password, and a room larger than the service allows', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await join(a, room, 'A');
    await expect(configure(a, room, { 'muc#roomconfig_passwordprotectedroom': '1' })).rejects.toMatchObject({ condition: 'not-acceptable' });
    await expect(configure(a, room, { 'muc#roomconfig_maxusers': '5000' })).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopAll(a);
  });

  it('tells occupants when the configuration changes', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const notice = nextStanza(b, (s) => s.is('message') && s.attrs.from === room && statusCodes(s).length > 0);
    await configure(a, room, { 'muc#roomconfig_whois': 'moderators', 'muc#roomconfig_roomname': 'Renamed' });
    expect(statusCodes(await notice)).toEqual([104, 173]);
    await stopAll(a, b);
  });

  it('lets only local accounts create rooms, and as many as muc.maxRoomsPerUser', async () => {
    const limited = await startTestServer({ muc: { maxRoomsPerUser: 1 } });
    try {
      const [owner] = freshAccounts(limited, 'owner');
      const client = await login(limited, owner);
      await createRoom(client, freshRoom(), 'O');
      await expect(join(client, freshRoom(), 'O')).rejects.toMatchObject({ condition: 'not-allowed' });
      await stopQuietly(client);
    } finally {
      await limited.stop();
    }
  });

  it('lets only server admins create rooms when muc.roomCreation is admins', async () => {
    const adminsOnly = await startTestServer({ muc: { roomCreation: 'admins' } });
    try {
      const [user, admin] = freshAccounts(adminsOnly, 'user', 'admin');
      adminsOnly.server.storage.accounts.setRole(admin, 'admin');
      const u = await login(adminsOnly, user);
      const a = await login(adminsOnly, admin);
      await expect(join(u, freshRoom(), 'U')).rejects.toMatchObject({ condition: 'not-allowed' });
      await createRoom(a, freshRoom(), 'A');
      await stopAll(u, a);
    } finally {
      await adminsOnly.stop();
    }
  });
});

describe('entering and leaving', () => {
  it('refuses a nickname someone else uses with conflict', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'Sam');
    await expect(join(b, room, 'Sam')).rejects.toMatchObject({ condition: 'conflict' });
    await stopAll(a, b);
  });

  it('refuses the wrong password and admits the right one', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'cauldron' });
    await expect(join(b, room, 'B')).rejects.toMatchObject({ condition: 'not-authorized' });
    await expect(join(b, room, 'B', { password: 'kettle' })).rejects.toMatchObject({ condition: 'not-authorized' });
    await join(b, room, 'B', { password: 'cauldron' });
    await stopAll(a, b);
  });

  it('refuses a newcomer to a full room with service-unavailable', async () => {
    const [a, b, c] = await people('alice', 'bob', 'carol');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_maxusers': '2' });
    await join(b, room, 'B');
    await expect(join(c, room, 'C')).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopAll(a, b, c);
  });

  it('refuses a join without a nickname with jid-malformed', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    const answer = nextStanza(a, (s) => s.is('presence') && s.attrs.type === 'error');
    await a.send(xml('presence', { to: room }, xml('x', { xmlns: mucNs })));
    expect(errorCondition(await answer)).toBe('jid-malformed');
    await stopAll(a);
  });

  it('turns away a device that sends presence to a room it is not in', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    const answer = nextOccupantPresence(b, `${room}/B`, 'unavailable');
    await b.send(xml('presence', { to: `${room}/B` }));
    expect(statusCodes(await answer)).toEqual([110, 307, 333]);
    await stopAll(a, b);
  });

  it('announces a newcomer to everyone and the others to the newcomer, with real JIDs in a non-anonymous room', async () => {
    const [a, b, c] = await people('alice', 'bob', 'carol');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const seenByA = nextOccupantPresence(a, `${room}/C`);
    const seenByB = nextOccupantPresence(b, `${room}/C`);
    const joined = await join(c, room, 'C');
    expect(joined.others.map((p) => p.attrs.from).sort()).toEqual([`${room}/A`, `${room}/B`]);
    expect(mucItem(await seenByA)).toMatchObject({ affiliation: 'none', role: 'participant', jid: c.jid!.toString() });
    expect(statusCodes(await seenByB)).toEqual([]);
    await stopAll(a, b, c);
  });

  it('shows real JIDs only to moderators in a semi-anonymous room', async () => {
    const [a, b, c] = await people('alice', 'bob', 'carol');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_whois': 'moderators' });
    await join(b, room, 'B');
    const seenByOwner = nextOccupantPresence(a, `${room}/C`);
    const seenByParticipant = nextOccupantPresence(b, `${room}/C`);
    const joined = await join(c, room, 'C');
    expect(statusCodes(joined.self)).not.toContain(100);
    expect(mucItem(await seenByOwner).jid).toBe(c.jid!.toString());
    expect(mucItem(await seenByParticipant).jid).toBeUndefined();
    await stopAll(a, b, c);
  });

  it('passes presence changes on to everyone', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    await settle(a);
    const seen = nextOccupantPresence(a, `${room}/B`);
    await b.send(xml('presence', { to: `${room}/B` }, xml('show', {}, 'away'), xml('status', {}, 'cooking')));
    const presence = await seen;
    expect(presence.getChildText('show')).toBe('away');
    expect(presence.getChildText('status')).toBe('cooking');
    await stopAll(a, b);
  });

  it('changes a nickname with 303 from the old one and presence from the new one', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'Bobby');
    const left = nextOccupantPresence(a, `${room}/Bobby`, 'unavailable');
    const ownLeft = nextOccupantPresence(b, `${room}/Bobby`, 'unavailable');
    const arrived = nextOccupantPresence(a, `${room}/Robert`);
    const ownArrived = nextOccupantPresence(b, `${room}/Robert`);
    await b.send(xml('presence', { to: `${room}/Robert` }));
    expect(statusCodes(await left)).toEqual([303]);
    expect(mucItem(await left).nick).toBe('Robert');
    expect(statusCodes(await ownLeft)).toEqual([110, 303]);
    await arrived;
    expect(statusCodes(await ownArrived)).toEqual([110]);
    await stopAll(a, b);
  });

  it('refuses a nickname change to a nickname in use', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const answer = nextStanza(b, (s) => s.is('presence') && s.attrs.type === 'error');
    await b.send(xml('presence', { to: `${room}/A` }));
    const error = await answer;
    expect(error.attrs.from).toBe(`${room}/A`);
    expect(errorCondition(error)).toBe('conflict');
    await stopAll(a, b);
  });

  it('tells everyone when an occupant leaves, and the occupant with 110', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const seen = nextOccupantPresence(a, `${room}/B`, 'unavailable');
    const own = nextOccupantPresence(b, `${room}/B`, 'unavailable');
    await b.send(xml('presence', { to: `${room}/B`, type: 'unavailable' }, xml('status', {}, 'bye')));
    const presence = await seen;
    expect(mucItem(presence)).toMatchObject({ role: 'none' });
    expect(presence.getChildText('status')).toBe('bye');
    expect(statusCodes(await own)).toEqual([110]);
    await stopAll(a, b);
  });

  it('removes an occupant whose session ends without leaving', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const seen = nextOccupantPresence(a, `${room}/B`, 'unavailable');
    await stopQuietly(b);
    expect(mucItem(await seen).role).toBe('none');
    await stopAll(a);
  });

  it('removes a temporary room when its last occupant leaves', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_persistentroom': '0' });
    expect(features(await discoInfo(a, room))).toContain('muc_temporary');
    const left = nextOccupantPresence(a, `${room}/A`, 'unavailable');
    await a.send(xml('presence', { to: `${room}/A`, type: 'unavailable' }));
    await left;
    await expect(discoInfo(a, room)).rejects.toMatchObject({ condition: 'item-not-found' });
    await stopAll(a);
  });
});

describe('one person on several devices', () => {
  it('joins a second device as the same occupant, under the nickname already in use (210)', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const b = await login(t, bob);
    const room = freshRoom();
    await createRoom(b, room, 'Bob');
    await join(phone, room, 'Alice');
    await settle(b);
    const announced = record(b, (s) => s.is('presence') && String(s.attrs.from).startsWith(`${room}/`));
    const joined = await join(laptop, room, 'Ally');
    expect(joined.self.attrs.from).toBe(`${room}/Alice`);
    expect(statusCodes(joined.self)).toContain(210);

    const onBoth = Promise.all([phone, laptop].map((client) => nextGroupchat(client, room, 'to both devices')));
    await b.send(groupchat(room, 'to both devices'));
    await onBoth;

    // A private message reaches each device once: the room sends it to both, carbons add nothing (XEP-0280 §6).
    for (const client of [phone, laptop]) await client.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    const copies = [phone, laptop].map((client) => record(client, (s) => s.is('message') && JSON.stringify(s.toString()).includes('a secret')));
    await b.send(xml('message', { to: `${room}/Alice`, type: 'chat' }, xml('body', {}, 'a secret')));
    await settle(b, phone, laptop);
    expect(copies.map((c) => c.stanzas.length)).toEqual([1, 1]);
    expect(copies.map((c) => c.stanzas[0]!.attrs.from)).toEqual([`${room}/Bob`, `${room}/Bob`]);
    for (const c of copies) c.stop();

    // The laptop leaving is not the person leaving.
    const laptopLeft = nextOccupantPresence(laptop, `${room}/Alice`, 'unavailable');
    await laptop.send(xml('presence', { to: `${room}/Alice`, type: 'unavailable' }));
    await laptopLeft;
    await settle(b);
    expect(announced.stanzas).toEqual([]);
    announced.stop();
    await stopAll(phone, laptop, b);
  });
});

describe('self-ping (XEP-0410)', () => {
  function ping(client: Client, to: string): Promise<Element> {
    return client.iqCaller.request(xml('iq', { type: 'get', to }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  }

  it('answers a joined device itself', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    expect((await ping(a, `${room}/A`)).attrs.type).toBe('result');
    await stopAll(a);
  });

  it('answers not-acceptable to a device that is not joined, also when another device of the same person is', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const room = freshRoom();
    await createRoom(phone, room, 'A');
    await expect(ping(laptop, `${room}/A`)).rejects.toMatchObject({ condition: 'not-acceptable' });
    await phone.send(xml('presence', { to: `${room}/A`, type: 'unavailable' }));
    await expect(ping(phone, `${room}/A`)).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopAll(phone, laptop);
  });
});

describe('the subject', () => {
  it('is changed by a participant, told to everyone, and sent last to whoever enters', async () => {
    const [a, b, c] = await people('alice', 'bob', 'carol');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const seen = nextStanza(a, (s) => s.is('message') && s.getChildText('subject') === 'Holiday plans');
    await b.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Holiday plans')));
    expect((await seen).attrs.from).toBe(`${room}/B`);
    const joined = await join(c, room, 'C');
    expect(joined.subject.getChildText('subject')).toBe('Holiday plans');
    expect(joined.subject.attrs.from).toBe(`${room}/B`);
    await stopAll(a, b, c);
  });

  it('is only changed by moderators when the room says so', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A', { 'muc#roomconfig_changesubject': '0' });
    await join(b, room, 'B');
    const answer = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Mine now')));
    expect(errorCondition(await answer)).toBe('forbidden');
    await stopAll(a, b);
  });

  it('is empty for a room that never had one', async () => {
    const [a] = await people('alice');
    const joined = await join(a, freshRoom(), 'A');
    expect(joined.subject.getChildText('subject')).toBe('');
    await stopAll(a);
  });
});

describe('messages', () => {
  it('refuses a groupchat message from someone who is not in the room with not-acceptable', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    const answer = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(groupchat(room, 'let me in'));
    expect(errorCondition(await answer)).toBe('not-acceptable');
    await stopAll(a, b);
  });

  it('delivers a private message to the occupant only, from the sender occupant JID, marked as a group chat message', async () => {
    const [a, b, c] = await people('alice', 'bob', 'carol');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    await join(c, room, 'C');
    const others = record(a, (s) => s.is('message') && s.getChildText('body') === 'just for you');
    const received = nextStanza(c, (s) => s.is('message') && s.getChildText('body') === 'just for you');
    await b.send(xml('message', { to: `${room}/C`, type: 'chat' }, xml('body', {}, 'just for you')));
    const message = await received;
    expect(message.attrs.from).toBe(`${room}/B`);
    expect(message.getChild('x', mucUserNs)).toBeDefined();
    await settle(a);
    expect(others.stanzas).toEqual([]);
    await stopAll(a, b, c);
  });

  it('answers private messages to an unknown nickname with item-not-found, and of type groupchat with bad-request', async () => {
    const [a] = await people('alice');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    const notFound = nextStanza(a, (s) => s.is('message') && s.attrs.type === 'error');
    await a.send(xml('message', { to: `${room}/Nobody`, type: 'chat' }, xml('body', {}, 'hello?')));
    expect(errorCondition(await notFound)).toBe('item-not-found');
    const bad = nextStanza(a, (s) => s.is('message') && s.attrs.type === 'error');
    await a.send(xml('message', { to: `${room}/A`, type: 'groupchat' }, xml('body', {}, 'hello?')));
    expect(errorCondition(await bad)).toBe('bad-request');
    await stopAll(a);
  });

  it('routes a direct invitation (XEP-0249) from one user to another', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    const room = freshRoom();
    const received = nextStanza(b, (s) => s.is('message') && s.getChild('x', 'jabber:x:conference') !== undefined);
    await a.send(xml('message', { to: bare(bob) }, xml('x', { xmlns: 'jabber:x:conference', jid: room, reason: 'come in' })));
    expect((await received).getChild('x', 'jabber:x:conference')!.attrs).toMatchObject({ jid: room, reason: 'come in' });
    await stopAll(a, b);
  });

  it('passes a vCard request for an occupant on to the account behind it', async () => {
    const [a, b] = await people('alice', 'bob');
    await b.iqCaller.request(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Bob Builder'))));
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: `${room}/B` }, xml('vCard', { xmlns: 'vcard-temp' })));
    expect(result.attrs.from).toBe(`${room}/B`);
    expect(result.getChild('vCard', 'vcard-temp')!.getChildText('FN')).toBe('Bob Builder');
    await stopAll(a, b);
  });
});

describe('room avatars (XEP-0486)', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');

  it('lets an owner set the room vCard, tells occupants, and shows the hash in the room info', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const notice = nextStanza(b, (s) => s.is('message') && s.attrs.from === room && statusCodes(s).includes(104));
    const vcard = xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png)));
    await a.iqCaller.request(xml('iq', { type: 'set', to: room }, vcard));
    await notice;
    const fetched = await b.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('vCard', { xmlns: 'vcard-temp' })));
    expect(fetched.getChild('vCard', 'vcard-temp')!.getChild('PHOTO')!.getChildText('BINVAL')).toBe(png);
    const hash = formValue(await discoInfo(b, room), 'muc#roominfo_avatarhash');
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
    await expect(b.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('vCard', { xmlns: 'vcard-temp' })))).rejects.toMatchObject({ condition: 'forbidden' });
    await stopAll(a, b);
  });
});

describe('destroying a room', () => {
  it('removes everyone with the reason and the alternate venue, and the room is gone', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    const venue = freshRoom('venue');
    await createRoom(a, room, 'A');
    await join(b, room, 'B');
    const removed = nextOccupantPresence(b, `${room}/B`, 'unavailable');
    await a.iqCaller.request(
      xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mucOwnerNs }, xml('destroy', { jid: venue }, xml('reason', {}, 'moving house')))),
    );
    const destroy = (await removed).getChild('x', mucUserNs)!.getChild('destroy')!;
    expect(destroy.attrs.jid).toBe(venue);
    expect(destroy.getChildText('reason')).toBe('moving house');
    await expect(discoInfo(b, room)).rejects.toMatchObject({ condition: 'item-not-found' });
    await stopAll(a, b);
  });

  it('is for owners only', async () => {
    const [a, b] = await people('alice', 'bob');
    const room = freshRoom();
    await createRoom(a, room, 'A');
    await adminSet(a, room, { affiliation: 'admin', jid: bare(b.jid!.local) });
    await expect(
      b.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mucOwnerNs }, xml('destroy')))),
    ).rejects.toMatchObject({ condition: 'forbidden' });
    await stopAll(a, b);
  });
});
