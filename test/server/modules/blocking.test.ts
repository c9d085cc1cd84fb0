// XEP-0191: the blocklist, its pushes, and what a block does to stanzas both ways, between
// real clients.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRosterItem } from '../../../server/core/storage/roster.js';
import { matchesRule } from '../../../server/modules/blocking.js';
import { parseJid } from '../../../server/util/jid.js';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, errorCondition, freshAccounts, isPresence, login, nextPresence, record, settle } from '../../support/stanzas.js';

const blockingNs = 'urn:xmpp:blocking';
const blockingErrorsNs = 'urn:xmpp:blocking:errors';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

function getBlocklist(client: Client): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: blockingNs })));
}

function blockedJids(result: Element): string[] {
  return result.getChild('blocklist', blockingNs)!.getChildren('item').map((item) => String(item.attrs.jid));
}

function block(client: Client, ...jids: string[]): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('block', { xmlns: blockingNs }, ...jids.map((jid) => xml('item', { jid })))));
}

function unblock(client: Client, ...jids: string[]): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('unblock', { xmlns: blockingNs }, ...jids.map((jid) => xml('item', { jid })))));
}

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

/** Both see each other's presence, as after two approved subscriptions (RFC 6121 §3). */
function mutualContacts(a: string, b: string): void {
  t.server.storage.roster.save(a, { ...newRosterItem(bare(b)), subscription: 'both', listed: true }, true);
  t.server.storage.roster.save(b, { ...newRosterItem(bare(a)), subscription: 'both', listed: true }, true);
}

function isMessageWithBody(body: string) {
  return (stanza: Element) => stanza.is('message') && stanza.getChildText('body') === body;
}

describe('the blocklist', () => {
  it('is announced in the server disco#info', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoInfoNs })));
    const features = result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toContain(blockingNs);
    await stopQuietly(a);
  });

  it('is empty for a new account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    expect(blockedJids(await getBlocklist(a))).toEqual([]);
    await stopQuietly(a);
  });

  it('lists the blocked JIDs, also in a later session', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await block(a, 'spammer@example.org', 'Nuisance@Example.org/Phone');
    await stopQuietly(a);

    const again = await login(t, alice);
    // Stored prepared (RFC 7622): localpart and domain lower-cased, resource kept as it is.
    expect(blockedJids(await getBlocklist(again)).sort()).toEqual(['nuisance@example.org/Phone', 'spammer@example.org']);
    await stopQuietly(again);
  });

  it('refuses a block without items with bad-request', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(a.iqCaller.request(xml('iq', { type: 'set' }, xml('block', { xmlns: blockingNs })))).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(a);
  });

  it('refuses an item that is not a JID with jid-malformed', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(block(a, 'not a jid@example.org')).rejects.toMatchObject({ condition: 'jid-malformed' });
    expect(blockedJids(await getBlocklist(a))).toEqual([]);
    await stopQuietly(a);
  });

  it('pushes a block to every resource that asked for the blocklist, and only to those', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const tablet = await login(t, alice, { resource: 'tablet' });
    await getBlocklist(phone);
    await getBlocklist(laptop);
    const tabletPushes = record(tablet, (s) => s.is('iq') && s.getChild('block', blockingNs) !== undefined);

    const pushed = nextStanza(laptop, (s) => s.is('iq') && s.attrs.type === 'set' && s.getChild('block', blockingNs) !== undefined);
    const ownPush = nextStanza(phone, (s) => s.is('iq') && s.attrs.type === 'set' && s.getChild('block', blockingNs) !== undefined);
    await block(phone, 'spammer@example.org');
    const push = await pushed;
    expect(push.attrs.to).toBe(`${bare(alice)}/laptop`);
    expect(push.getChild('block', blockingNs)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['spammer@example.org']);
    // §3.3: all interested resources, the one that blocked included.
    await ownPush;
    await settle(tablet);
    expect(tabletPushes.stanzas).toEqual([]);
    for (const c of [phone, laptop, tablet]) await stopQuietly(c);
  });

  it('pushes an unblock to the resources that asked for the blocklist', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    await getBlocklist(laptop);
    await block(phone, 'spammer@example.org');
    const pushed = nextStanza(laptop, (s) => s.is('iq') && s.getChild('unblock', blockingNs) !== undefined);
    await unblock(phone, 'spammer@example.org');
    expect((await pushed).getChild('unblock', blockingNs)!.getChildren('item').map((i) => i.attrs.jid)).toEqual(['spammer@example.org']);
    expect(blockedJids(await getBlocklist(laptop))).toEqual([]);
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('is emptied by an unblock without items, pushed as an empty unblock', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    await getBlocklist(laptop);
    await block(phone, 'one@example.org', 'two@example.org');
    const pushed = nextStanza(laptop, (s) => s.is('iq') && s.getChild('unblock', blockingNs) !== undefined);
    await unblock(phone);
    // §3.5: the push carries no items either.
    expect((await pushed).getChild('unblock', blockingNs)!.getChildren('item')).toEqual([]);
    expect(blockedJids(await getBlocklist(phone))).toEqual([]);
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });
});

describe('a blocked JID', () => {
  it('cannot send the user a message: it never arrives and the sender gets service-unavailable', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const a = await login(t, alice);
    const b = await login(t, bob);
    await block(a, bare(bob));
    const received = record(a, (s) => s.is('message'));

    const bounce = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(xml('message', { type: 'chat', to: bare(alice), id: 'blocked1' }, xml('body', {}, 'Can you hear me now?')));
    const error = await bounce;
    expect(error.attrs.id).toBe('blocked1');
    expect(error.attrs.from).toBe(bare(alice));
    expect(errorCondition(error)).toBe('service-unavailable');
    // Nothing tells the blocked sender about the block (§3.3: the user appears offline).
    expect(error.getChild('error')!.getChild('blocked', blockingErrorsNs)).toBeUndefined();
    await settle(b, a);
    expect(received.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('cannot leave the user an offline message', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await block(a, bare(bob));
    await stopQuietly(a);

    const b = await login(t, bob);
    const bounce = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(chat(bare(alice), 'while you are away'));
    expect(errorCondition(await bounce)).toBe('service-unavailable');
    expect(t.server.storage.offline.count(alice)).toBe(0);
    await stopQuietly(b);
  });

  it('gets service-unavailable for requests to the user, even those the server would answer', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const a = await login(t, alice, { resource: 'phone' });
    const b = await login(t, bob);
    const discoInfo = () => b.iqCaller.request(xml('iq', { type: 'get', to: bare(alice) }, xml('query', { xmlns: discoInfoNs })));
    // As a contact, bob may ask about alice's account until she blocks him.
    await discoInfo();
    await block(a, bare(bob));
    await expect(discoInfo()).rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(
      b.iqCaller.request(xml('iq', { type: 'get', to: `${bare(alice)}/phone` }, xml('ping', { xmlns: 'urn:xmpp:ping' }))),
    ).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('has its presence dropped without an error', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const a = await login(t, alice);
    const b = await login(t, bob, { presence: false });
    await block(a, bare(bob));
    const seen = record(a, (s) => isPresence(s, bare(bob)) || isPresence(s, bare(bob), 'unavailable'));
    const errors = record(b, (s) => s.attrs.type === 'error');

    await b.send(xml('presence', {}, xml('status', {}, 'Back online')));
    await b.send(xml('presence', { type: 'subscribe', to: bare(alice) }));
    await settle(b, a);
    expect(seen.stanzas).toEqual([]);
    expect(errors.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('receives nothing the user sends: the client gets not-acceptable with <blocked/>', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await block(a, bare(bob));
    const received = record(b, (s) => s.is('message'));

    const bounce = nextStanza(a, (s) => s.is('message') && s.attrs.type === 'error');
    await a.send(xml('message', { type: 'chat', to: bare(bob), id: 'out1' }, xml('body', {}, 'Can you hear me now?')));
    const error = await bounce;
    expect(error.attrs).toMatchObject({ id: 'out1', from: bare(bob) });
    expect(error.getChild('error')!.attrs.type).toBe('cancel');
    expect(errorCondition(error)).toBe('not-acceptable');
    expect(error.getChild('error')!.getChild('blocked', blockingErrorsNs)).toBeDefined();
    await expect(a.iqCaller.request(xml('iq', { type: 'get', to: bare(bob) }, xml('query', { xmlns: discoInfoNs })))).rejects.toMatchObject({
      condition: 'not-acceptable',
    });
    await settle(a, b);
    expect(received.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('sees the user go offline when blocked, and back online when unblocked', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const b = await login(t, bob);
    const online = nextPresence(b, `${bare(alice)}/phone`);
    const a = await login(t, alice, { resource: 'phone' });
    await online;

    const offline = nextPresence(b, `${bare(alice)}/phone`, 'unavailable');
    await block(a, bare(bob));
    await offline;
    // Later presence changes do not reach the blocked contact either.
    const later = record(b, (s) => isPresence(s, bare(alice)));
    await a.send(xml('presence', {}, xml('show', {}, 'away')));
    await settle(a, b);
    expect(later.stanzas).toEqual([]);

    // §3.4: unblocking sends the user's current presence.
    const back = nextPresence(b, `${bare(alice)}/phone`);
    await unblock(a, bare(bob));
    expect((await back).getChildText('show')).toBe('away');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('can write to the user again after an unblock', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await block(a, bare(bob));
    await unblock(a, bare(bob));
    const delivered = nextStanza(a, isMessageWithBody('hello again'));
    await b.send(chat(bare(alice), 'hello again'));
    expect((await delivered).attrs.from).toBe(b.jid!.toString());
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('with a resource blocks only that device of the contact', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const bobPhone = await login(t, bob, { resource: 'phone' });
    const bobLaptop = await login(t, bob, { resource: 'laptop' });
    await block(a, `${bare(bob)}/phone`);

    const bounce = nextStanza(bobPhone, (s) => s.is('message') && s.attrs.type === 'error');
    await bobPhone.send(chat(bare(alice), 'from the phone'));
    expect(errorCondition(await bounce)).toBe('service-unavailable');
    const delivered = nextStanza(a, isMessageWithBody('from the laptop'));
    await bobLaptop.send(chat(bare(alice), 'from the laptop'));
    await delivered;
    for (const c of [a, bobPhone, bobLaptop]) await stopQuietly(c);
  });
});

describe('the user', () => {
  it("can still talk between their own devices and to the server after blocking their own domain", async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const b = await login(t, bob);
    await block(phone, domain);

    // The domain matches every account on it...
    const bounce = nextStanza(b, (s) => s.is('message') && s.attrs.type === 'error');
    await b.send(chat(bare(alice), 'hi'));
    expect(errorCondition(await bounce)).toBe('service-unavailable');
    // ...but never the user's own resources (§5) nor the server itself.
    const own = nextStanza(laptop, isMessageWithBody('note to self'));
    await phone.send(chat(`${bare(alice)}/laptop`, 'note to self'));
    await own;
    await phone.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    for (const c of [phone, laptop, b]) await stopQuietly(c);
  });
});

describe('JID matching (§6)', () => {
  const jid = (text: string) => parseJid(text)!;

  it('matches a full JID only to that resource', () => {
    expect(matchesRule(jid('romeo@example.net/orchard'), jid('romeo@example.net/orchard'))).toBe(true);
    expect(matchesRule(jid('romeo@example.net/orchard'), jid('romeo@example.net/garden'))).toBe(false);
    expect(matchesRule(jid('romeo@example.net/orchard'), jid('romeo@example.net'))).toBe(false);
  });

  it('matches a bare JID to every resource of it', () => {
    expect(matchesRule(jid('romeo@example.net'), jid('romeo@example.net/orchard'))).toBe(true);
    expect(matchesRule(jid('romeo@example.net'), jid('romeo@example.net'))).toBe(true);
    expect(matchesRule(jid('romeo@example.net'), jid('juliet@example.net'))).toBe(false);
  });

  it('matches domain/resource only to that resource of the domain', () => {
    expect(matchesRule(jid('example.net/bot'), jid('example.net/bot'))).toBe(true);
    expect(matchesRule(jid('example.net/bot'), jid('romeo@example.net/bot'))).toBe(false);
    expect(matchesRule(jid('example.net/bot'), jid('example.net'))).toBe(false);
  });

  it('matches a domain to itself and every address at it, but not to subdomains', () => {
    expect(matchesRule(jid('example.net'), jid('example.net'))).toBe(true);
    expect(matchesRule(jid('example.net'), jid('romeo@example.net/orchard'))).toBe(true);
    expect(matchesRule(jid('example.net'), jid('example.net/bot'))).toBe(true);
    expect(matchesRule(jid('example.net'), jid('conference.example.net'))).toBe(false);
  });
});
