// RFC 6121 §3 and §4: the subscription handshake, pre-approval, cancelling, presence broadcast,
// probes at login and directed presence, between real clients.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import {
  bare,
  freshAccounts,
  getRoster,
  isPresence,
  login,
  nextPresence,
  nextRosterPush,
  record,
  rosterItems,
  rosterNs,
  settle,
} from '../../support/stanzas.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Logs in, asks for the roster (so roster pushes come) and sends initial presence. */
async function online(username: string, resource?: string): Promise<Client> {
  const client = await login(t, username, { resource, presence: false });
  await getRoster(client);
  await client.send(xml('presence'));
  return client;
}

function presence(type: string, to: string) {
  return xml('presence', { type, to });
}

/** `user` subscribes to `contact`'s presence and the contact approves: `user` ends with "to". */
async function subscribeAndApprove(user: Client, userName: string, contact: Client, contactName: string): Promise<void> {
  const request = nextPresence(contact, bare(userName), 'subscribe');
  await user.send(presence('subscribe', bare(contactName)));
  await request;
  const approved = nextPresence(user, bare(contactName), 'subscribed');
  await contact.send(presence('subscribed', bare(userName)));
  await approved;
  await settle(user, contact);
}

describe('the subscription handshake', () => {
  it('delivers a subscription request to the contact from the bare JID of the requester', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    const request = nextStanza(b, (s) => s.is('presence') && s.attrs.type === 'subscribe');
    await a.send(xml('presence', { type: 'subscribe', to: bare(bob) }, xml('status', {}, 'It is Alice')));
    const received = await request;
    // RFC 6121 §3.1.2: stamped with the bare JID.
    expect(received.attrs.from).toBe(bare(alice));
    expect(received.getChildText('status')).toBe('It is Alice');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('pushes the pending request to the requester with ask=subscribe', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const push = nextRosterPush(a, bare(bob));
    await a.send(presence('subscribe', bare(bob)));
    // RFC 6121 §3.1.2.
    expect((await push).attrs).toMatchObject({ subscription: 'none', ask: 'subscribe' });
    await stopQuietly(a);
  });

  it('gives the requester a roster push with subscription=to and the contact presence once approved', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob, 'phone');
    const request = nextPresence(b, bare(alice), 'subscribe');
    await a.send(presence('subscribe', bare(bob)));
    await request;

    const subscribed = nextPresence(a, bare(bob), 'subscribed');
    const push = nextStanza(a, (s) => s.is('iq') && s.getChild('query', rosterNs)?.getChild('item')?.attrs.subscription === 'to');
    const bobsPresence = nextPresence(a, `${bare(bob)}/phone`);
    await b.send(presence('subscribed', bare(alice)));

    expect((await subscribed).attrs.from).toBe(bare(bob));
    const item = (await push).getChild('query', rosterNs)!.getChild('item')!;
    expect(item.attrs.jid).toBe(bare(bob));
    expect(item.attrs.ask).toBeUndefined();
    // RFC 6121 §3.1.5: the contact's server sends the contact's current presence.
    await bobsPresence;
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('pushes subscription=from to the contact who approves a request', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    const request = nextPresence(b, bare(alice), 'subscribe');
    await a.send(presence('subscribe', bare(bob)));
    await request;

    const push = nextRosterPush(b, bare(alice));
    await b.send(presence('subscribed', bare(alice)));
    // RFC 6121 §3.1.5: "with the 'subscription' attribute set to a value of 'from'".
    expect((await push).attrs.subscription).toBe('from');
    expect(rosterItems(await getRoster(b)).get(bare(alice))?.attrs.subscription).toBe('from');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('makes a mutual subscription "both" on both rosters', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    await subscribeAndApprove(a, alice, b, bob);
    await subscribeAndApprove(b, bob, a, alice);

    expect(rosterItems(await getRoster(a)).get(bare(bob))?.attrs.subscription).toBe('both');
    expect(rosterItems(await getRoster(b)).get(bare(alice))?.attrs.subscription).toBe('both');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('delivers a subscription request sent while the contact was offline at their next login', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    await a.send(xml('presence', { type: 'subscribe', to: bare(bob) }, xml('status', {}, 'Hello from Alice')));
    await settle(a);

    const b = await login(t, bob, { presence: false });
    const request = nextPresence(b, bare(alice), 'subscribe');
    await b.send(xml('presence'));
    // RFC 6121 §3.1.3: kept and delivered when the contact next becomes available.
    expect((await request).getChildText('status')).toBe('Hello from Alice');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('does not deliver an approval nobody asked for', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    const seen = record(a, (s) => isPresence(s, bare(bob), 'subscribed'));
    await b.send(presence('subscribed', bare(alice)));
    await settle(b, a);
    expect(seen.stanzas).toEqual([]);
    expect(rosterItems(await getRoster(a)).has(bare(bob))).toBe(false);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('pre-approval (RFC 6121 §3.4)', () => {
  it('records an approval sent before any request as an approved roster item', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const b = await online(bob);
    const push = nextRosterPush(b, bare(alice));
    await b.send(presence('subscribed', bare(alice)));
    // §3.4.2: the item is created with subscription "none" and approved="true".
    expect((await push).attrs).toMatchObject({ subscription: 'none', approved: 'true' });
    await stopQuietly(b);
  });

  it('answers a pre-approved request on the contact’s behalf without asking them', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const b = await online(bob);
    await b.send(presence('subscribed', bare(alice)));
    await settle(b);
    const requests = record(b, (s) => isPresence(s, bare(alice), 'subscribe'));

    const a = await online(alice);
    const subscribed = nextPresence(a, bare(bob), 'subscribed');
    const bobsPresence = nextPresence(a, bare(bob));
    const bobsPush = nextRosterPush(b, bare(alice));
    await a.send(presence('subscribe', bare(bob)));

    await subscribed;
    await bobsPresence;
    expect((await bobsPush).attrs.subscription).toBe('from');
    expect((await bobsPush).attrs.approved).toBeUndefined();
    await settle(a, b);
    expect(requests.stanzas).toEqual([]);
    expect(rosterItems(await getRoster(a)).get(bare(bob))?.attrs.subscription).toBe('to');
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('presence broadcast', () => {
  it('sends a contact’s presence when they come online and unavailable when they disconnect', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b1 = await online(bob);
    await subscribeAndApprove(a, alice, b1, bob);
    await stopQuietly(b1);

    const available = nextPresence(a, `${bare(bob)}/laptop`);
    const b2 = await online(bob, 'laptop');
    await available;

    const unavailable = nextPresence(a, `${bare(bob)}/laptop`, 'unavailable');
    await stopQuietly(b2);
    await unavailable;
    await stopQuietly(a);
  });

  it('broadcasts a presence change to subscribers with its status and show', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob, 'phone');
    await subscribeAndApprove(a, alice, b, bob);

    const away = nextPresence(a, `${bare(bob)}/phone`);
    await b.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'Walking the dog')));
    const received = await away;
    expect(received.getChildText('show')).toBe('away');
    expect(received.getChildText('status')).toBe('Walking the dog');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('does not send presence to users without a subscription', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const seen = record(a, (s) => s.is('presence') && String(s.attrs.from).startsWith(bare(bob)));
    const b = await online(bob);
    await b.send(xml('presence', {}, xml('status', {}, 'here')));
    await settle(b, a);
    expect(seen.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('shows a new resource the presence of the account’s other resources', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await online(alice, 'phone');
    const laptop = await login(t, alice, { resource: 'laptop', presence: false });
    const phonesPresence = nextPresence(laptop, `${bare(alice)}/phone`);
    const laptopsPresence = nextPresence(phone, `${bare(alice)}/laptop`);
    await laptop.send(xml('presence'));
    await phonesPresence;
    await laptopsPresence;
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });
});

describe('probes at login', () => {
  it('shows the presence of contacts who are already online', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a1 = await online(alice);
    const b = await online(bob, 'desk');
    await subscribeAndApprove(a1, alice, b, bob);
    await b.send(xml('presence', {}, xml('status', {}, 'Working')));
    await settle(b);
    await stopQuietly(a1);

    const a2 = await login(t, alice, { presence: false });
    const bobsPresence = nextPresence(a2, `${bare(bob)}/desk`);
    await a2.send(xml('presence'));
    // RFC 6121 §4.2.2 and §4.3.2: probed and answered with the last presence.
    expect((await bobsPresence).getChildText('status')).toBe('Working');
    await stopQuietly(a2);
    await stopQuietly(b);
  });
});

describe('cancelling subscriptions', () => {
  it('updates both rosters when the subscriber unsubscribes', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    await subscribeAndApprove(a, alice, b, bob);
    await subscribeAndApprove(b, bob, a, alice);

    const alicePush = nextRosterPush(a, bare(bob));
    const bobPush = nextRosterPush(b, bare(alice));
    const request = nextPresence(b, bare(alice), 'unsubscribe');
    const bobGone = nextPresence(a, bare(bob), 'unavailable');
    await a.send(presence('unsubscribe', bare(bob)));

    // RFC 6121 §3.3: alice no longer sees bob; bob no longer has alice as a subscriber.
    expect((await alicePush).attrs.subscription).toBe('from');
    expect((await bobPush).attrs.subscription).toBe('to');
    await request;
    await bobGone;
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('updates both rosters when the contact cancels the subscription with unsubscribed', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    await subscribeAndApprove(a, alice, b, bob);
    await subscribeAndApprove(b, bob, a, alice);

    const alicePush = nextRosterPush(a, bare(bob));
    const bobPush = nextRosterPush(b, bare(alice));
    const cancelled = nextPresence(a, bare(bob), 'unsubscribed');
    const bobGone = nextPresence(a, bare(bob), 'unavailable');
    await b.send(presence('unsubscribed', bare(alice)));

    // RFC 6121 §3.2: bob stops sharing his presence with alice.
    expect((await bobPush).attrs.subscription).toBe('to');
    expect((await alicePush).attrs.subscription).toBe('from');
    await cancelled;
    await bobGone;

    const seen = record(a, (s) => isPresence(s, bare(bob)));
    await b.send(xml('presence', {}, xml('status', {}, 'still here')));
    await settle(b, a);
    expect(seen.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('cancels both directions and tells the contact when an item is removed from the roster', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice);
    const b = await online(bob);
    await subscribeAndApprove(a, alice, b, bob);
    await subscribeAndApprove(b, bob, a, alice);

    const unsubscribe = nextPresence(b, bare(alice), 'unsubscribe');
    const unsubscribed = nextPresence(b, bare(alice), 'unsubscribed');
    const bobPush = nextStanza(b, (s) => s.is('iq') && s.getChild('query', rosterNs)?.getChild('item')?.attrs.subscription === 'none');
    await a.iqCaller.request(
      xml('iq', { type: 'set' }, xml('query', { xmlns: rosterNs }, xml('item', { jid: bare(bob), subscription: 'remove' }))),
    );
    // RFC 6121 §2.5.2.
    await unsubscribe;
    await unsubscribed;
    await bobPush;
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('directed presence (RFC 6121 §4.6)', () => {
  it('delivers presence to a user without a subscription, and unavailable when the sender leaves', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await online(alice, 'phone');
    const b = await online(bob);
    const directed = nextPresence(b, `${bare(alice)}/phone`);
    await a.send(xml('presence', { to: bare(bob) }, xml('status', {}, 'Just for you')));
    expect((await directed).getChildText('status')).toBe('Just for you');

    const gone = nextPresence(b, `${bare(alice)}/phone`, 'unavailable');
    await stopQuietly(a);
    await gone;
    await stopQuietly(b);
  });
});
