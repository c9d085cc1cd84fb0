// The story, with real clients: a parent creates a private (members-only) family room on
// one phone, invites the others, everyone talks, a device that was away catches up from history
// and from the room's archive (XEP-0313 with paging), and a moderator retracts a message (XEP-0425).
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../../support/server.js';
import { bare, errorCondition, freshAccounts, login, record, settle } from '../../../support/stanzas.js';
import {
  createRoom,
  delayNs,
  freshRoom,
  groupchat,
  join,
  mucUserNs,
  nextGroupchat,
  roomStanzaId,
  statusCodes,
} from './muc-helpers.js';

const mamNs = 'urn:xmpp:mam:2';
const rsmNs = 'http://jabber.org/protocol/rsm';
const forwardNs = 'urn:xmpp:forward:0';
const retractNs = 'urn:xmpp:message-retract:1';
const moderateNs = 'urn:xmpp:message-moderate:1';

let t: TestServer;
let mom: string;
let dad: string;
let kid: string;
let grandma: string;
let m: Client;
let d: Client;
let k: Client;
const room = freshRoom('family');

beforeAll(async () => {
  t = await startTestServer();
  [mom, dad, kid, grandma] = freshAccounts(t, 'mom', 'dad', 'kid', 'grandma');
  m = await login(t, mom, { resource: 'phone' });
  d = await login(t, dad, { resource: 'phone' });
  k = await login(t, kid, { resource: 'tablet' });
});
afterAll(async () => {
  for (const client of [m, d, k]) await stopQuietly(client);
  await t.stop();
});

let queryCounter = 0;

/** A MAM query of the room's archive: the result messages and the <fin/>. */
async function queryRoomArchive(client: Client, set: Element[] = []): Promise<{ results: Element[]; fin: Element }> {
  const queryid = `q${++queryCounter}`;
  const results = record(client, (s) => s.is('message') && s.getChild('result', mamNs)?.attrs.queryid === queryid);
  try {
    const children = set.length > 0 ? [xml('set', { xmlns: rsmNs }, ...set)] : [];
    const answer = await client.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mamNs, queryid }, ...children)));
    return { results: results.stanzas, fin: answer.getChild('fin', mamNs)! };
  } finally {
    results.stop();
  }
}

function archivedBody(result: Element): string | null {
  return result.getChild('result', mamNs)!.getChild('forwarded', forwardNs)!.getChild('message')!.getChildText('body');
}

describe('a private family room', () => {
  it('is created members-only and non-anonymous by its first occupant, who becomes its owner', async () => {
    const joined = await createRoom(m, room, 'Mom', {
      'muc#roomconfig_roomname': 'Family',
      'muc#roomconfig_membersonly': '1',
      'muc#roomconfig_persistentroom': '1',
    });
    expect(statusCodes(joined.self)).toEqual([100, 110, 170, 201]);
    expect(joined.self.getChild('x', mucUserNs)!.getChild('item')!.attrs).toMatchObject({ affiliation: 'owner', role: 'moderator' });
  });

  it('refuses someone who is not a member', async () => {
    await expect(join(d, room, 'Dad')).rejects.toMatchObject({ condition: 'registration-required' });
  });

  it('passes a mediated invitation on and makes the invitee a member', async () => {
    const invitation = nextStanza(d, (s) => s.is('message') && s.attrs.from === room);
    await m.send(xml('message', { to: room }, xml('x', { xmlns: mucUserNs }, xml('invite', { to: bare(dad) }, xml('reason', {}, 'our family chat')))));
    const invite = (await invitation).getChild('x', mucUserNs)!.getChild('invite')!;
    expect(invite.attrs.from).toBe(bare(mom));
    expect(invite.getChildText('reason')).toBe('our family chat');

    const joined = await join(d, room, 'Dad');
    expect(joined.self.getChild('x', mucUserNs)!.getChild('item')!.attrs).toMatchObject({ affiliation: 'member', role: 'participant' });
    expect(joined.others.map((p) => p.attrs.from)).toEqual([`${room}/Mom`]);
  });

  it('lets members invite too, since the room allows invitations', async () => {
    const invitation = nextStanza(k, (s) => s.is('message') && s.attrs.from === room);
    await d.send(xml('message', { to: room }, xml('x', { xmlns: mucUserNs }, xml('invite', { to: bare(kid) }))));
    expect((await invitation).getChild('x', mucUserNs)!.getChild('invite')!.attrs.from).toBe(bare(dad));
    await join(k, room, 'Kid');
  });

  it('answers an invitation to an account that does not exist with item-not-found', async () => {
    const answer = nextStanza(m, (s) => s.is('message') && s.attrs.type === 'error');
    await m.send(xml('message', { to: room }, xml('x', { xmlns: mucUserNs }, xml('invite', { to: `nobody@${t.config.domain}` }))));
    expect(errorCondition(await answer)).toBe('item-not-found');
  });

  it('sends every message to every occupant, with the sender id and one stanza-id by the room', async () => {
    const arrived = Promise.all([m, d, k].map((client) => nextGroupchat(client, room, 'Dinner at six')));
    await d.send(groupchat(room, 'Dinner at six', 'dinner-1'));
    const copies = await arrived;
    expect(copies.map((c) => c.attrs.from)).toEqual([`${room}/Dad`, `${room}/Dad`, `${room}/Dad`]);
    expect(copies.map((c) => c.attrs.id)).toEqual(['dinner-1', 'dinner-1', 'dinner-1']);
    const ids = copies.map((c) => roomStanzaId(c, room));
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(1);
  });

  it('gives a late device the recent history before the subject, stamped by the room', async () => {
    for (let i = 1; i <= 5; i++) {
      const seen = nextGroupchat(m, room, `news ${i}`);
      await k.send(groupchat(room, `news ${i}`));
      await seen;
    }
    const [grandmaClient] = [await login(t, grandma)];
    // Grandma is not a member yet: an admin adds her, then she asks for the last three messages.
    await m.iqCaller.request(
      xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { affiliation: 'member', jid: bare(grandma) }))),
    );
    const joined = await join(grandmaClient, room, 'Grandma', { history: { maxstanzas: '3' } });
    expect(joined.history.map((h) => h.getChildText('body'))).toEqual(['news 3', 'news 4', 'news 5']);
    for (const message of joined.history) {
      expect(message.getChild('delay', delayNs)!.attrs.from).toBe(room);
      expect(roomStanzaId(message, room)).toBeDefined();
      // Non-anonymous room: history says who wrote it.
      expect(message.getChild('x', mucUserNs)!.getChild('item')!.attrs.jid).toBe(bare(kid));
    }
    await stopQuietly(grandmaClient);
  });

  it('gives the default amount of history to a device that does not ask', async () => {
    const again = await login(t, grandma, { resource: 'laptop' });
    const joined = await join(again, room, 'Grandma');
    expect(joined.history.map((h) => h.getChildText('body'))).toEqual(['Dinner at six', 'news 1', 'news 2', 'news 3', 'news 4', 'news 5']);
    await stopQuietly(again);
  });

  it('gives no history to a device that asks for none', async () => {
    const again = await login(t, grandma, { resource: 'watch' });
    expect((await join(again, room, 'Grandma', { history: { maxchars: '0' } })).history).toEqual([]);
    await stopQuietly(again);
  });

  it('pages through the room archive with MAM, forward and from the end', async () => {
    const first = await queryRoomArchive(k, [xml('max', {}, '4')]);
    expect(first.results.map(archivedBody)).toEqual(['Dinner at six', 'news 1', 'news 2', 'news 3']);
    expect(first.fin.attrs.complete).toBe('false');
    const set = first.fin.getChild('set', rsmNs)!;
    expect(set.getChildText('count')).toBe('6');
    const rest = await queryRoomArchive(k, [xml('max', {}, '4'), xml('after', {}, set.getChildText('last')!)]);
    expect(rest.results.map(archivedBody)).toEqual(['news 4', 'news 5']);
    expect(rest.fin.attrs.complete).toBe('true');
    const last = await queryRoomArchive(k, [xml('max', {}, '2'), xml('before')]);
    expect(last.results.map(archivedBody)).toEqual(['news 4', 'news 5']);

    const result = first.results[0]!;
    expect(result.attrs.from).toBe(room);
    const forwarded = result.getChild('result', mamNs)!.getChild('forwarded', forwardNs)!;
    expect(forwarded.getChild('delay', delayNs)).toBeDefined();
    expect(forwarded.getChild('message')!.attrs.from).toBe(`${room}/Dad`);
  });

  it('keeps the archive from anyone who is not a member', async () => {
    const [stranger] = freshAccounts(t, 'stranger');
    const s = await login(t, stranger);
    await expect(s.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: mamNs })))).rejects.toMatchObject({ condition: 'forbidden' });
    await stopQuietly(s);
  });

  it('lets a moderator retract a message for every occupant, leaving a tombstone in the archive', async () => {
    const arrived = Promise.all([m, d, k].map((client) => nextGroupchat(client, room, 'something regrettable')));
    await k.send(groupchat(room, 'something regrettable'));
    const id = roomStanzaId((await arrived)[0]!, room)!;

    const isRetraction = (s: Element) => s.is('message') && s.attrs.from === room && s.getChild('retract', retractNs) !== undefined;
    const retractions = Promise.all([m, d, k].map((client) => nextStanza(client, isRetraction)));
    await m.iqCaller.request(
      xml('iq', { type: 'set', to: room }, xml('moderate', { xmlns: moderateNs, id }, xml('retract', { xmlns: retractNs }), xml('reason', {}, 'not for the family chat'))),
    );
    for (const retraction of await retractions) {
      const retract = retraction.getChild('retract', retractNs)!;
      expect(retract.attrs.id).toBe(id);
      expect(retract.getChild('moderated', moderateNs)!.attrs.by).toBe(`${room}/Mom`);
      expect(retract.getChildText('reason')).toBe('not for the family chat');
      expect(retraction.attrs.type).toBe('groupchat');
    }

    const { results } = await queryRoomArchive(d, [xml('max', {}, '2'), xml('before')]);
    const tombstone = results.find((r) => r.getChild('result', mamNs)!.attrs.id === id)!;
    const archived = tombstone.getChild('result', mamNs)!.getChild('forwarded', forwardNs)!.getChild('message')!;
    expect(archived.getChild('body')).toBeUndefined();
    expect(archived.getChild('retracted', retractNs)!.getChild('moderated', moderateNs)!.attrs.by).toBe(`${room}/Mom`);
    expect(archived.attrs.from).toBe(`${room}/Kid`);
  });

  it("turns an author's own retraction (XEP-0424) into a tombstone, and ignores one of someone else's message", async () => {
    const arrived = Promise.all([m, d].map((client) => nextGroupchat(client, room, 'wrong chat, sorry')));
    await d.send(groupchat(room, 'wrong chat, sorry'));
    const id = roomStanzaId((await arrived)[0]!, room)!;
    const retraction = (target: string) =>
      xml('message', { to: room, type: 'groupchat' }, xml('retract', { xmlns: retractNs, id: target }), xml('body', {}, 'retracted'), xml('store', { xmlns: 'urn:xmpp:hints' }));

    // Kid tries to retract Dad's message: it is passed on (clients check the author), the archive keeps it.
    const passed = nextGroupchat(m, room, 'retracted');
    await k.send(retraction(id));
    await passed;
    const archivedBodies = async () =>
      (await queryRoomArchive(m, [xml('max', {}, '10'), xml('before')])).results.flatMap((r) =>
        r.getChild('result', mamNs)!.attrs.id === id ? [r.getChild('result', mamNs)!.getChild('forwarded', forwardNs)!.getChild('message')!] : [],
      );
    expect((await archivedBodies())[0]!.getChildText('body')).toBe('wrong chat, sorry');

    const own = nextGroupchat(m, room, 'retracted');
    await d.send(retraction(id));
    await own;
    const [tombstone] = await archivedBodies();
    expect(tombstone!.getChild('body')).toBeUndefined();
    expect(tombstone!.getChild('retracted', retractNs)).toBeDefined();
  });

  it('does not let a participant retract messages', async () => {
    const arrived = nextGroupchat(d, room, 'keep me');
    await m.send(groupchat(room, 'keep me'));
    const id = roomStanzaId(await arrived, room)!;
    await expect(
      d.iqCaller.request(xml('iq', { type: 'set', to: room }, xml('moderate', { xmlns: moderateNs, id }, xml('retract', { xmlns: retractNs })))),
    ).rejects.toMatchObject({ condition: 'forbidden' });
  });

  it('stops a participant who sends faster than the room allows', async () => {
    const fast = await startTestServer({ muc: { messagesPerMinute: 2 } });
    try {
      const [owner] = freshAccounts(fast, 'owner');
      const client = await login(fast, owner);
      const small = freshRoom('small');
      await createRoom(client, small, 'Owner');
      const errors = record(client, (s) => s.is('message') && s.attrs.type === 'error');
      for (const body of ['one', 'two', 'three']) await client.send(groupchat(small, body));
      await settle(client);
      expect(errors.stanzas.map(errorCondition)).toEqual(['resource-constraint']);
      await stopQuietly(client);
    } finally {
      await fast.stop();
    }
  });
});
