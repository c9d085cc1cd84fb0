// RFC 6121 §8: where messages and iqs for local accounts and resources go, and the errors for
// addresses nobody answers.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, errorCondition, freshAccounts, login, record, settle } from '../../support/stanzas.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Logs in and sends initial presence with the given priority. */
async function onlineWithPriority(username: string, resource: string, priority: number): Promise<Client> {
  const client = await login(t, username, { resource, presence: false });
  await client.send(xml('presence', {}, xml('priority', {}, String(priority))));
  return client;
}

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

function isMessageWithBody(body: string) {
  return (stanza: import('@xmpp/client').Element) => stanza.is('message') && stanza.getChildText('body') === body;
}

describe('messages to a bare JID', () => {
  it('go to the resource with the highest priority only', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const high = await onlineWithPriority(bob, 'high', 5);
    const low = await onlineWithPriority(bob, 'low', 1);
    await settle(high, low);
    const missed = record(low, isMessageWithBody('hello'));

    const received = nextStanza(high, isMessageWithBody('hello'));
    await a.send(chat(bare(bob), 'hello'));
    expect((await received).attrs.from).toBe(a.jid?.toString());
    await settle(a, low);
    expect(missed.stanzas).toEqual([]);
    for (const c of [a, high, low]) await stopQuietly(c);
  });

  it('go to every resource that shares the highest priority', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const phone = await onlineWithPriority(bob, 'phone', 3);
    const laptop = await onlineWithPriority(bob, 'laptop', 3);
    const tablet = await onlineWithPriority(bob, 'tablet', 0);
    await settle(phone, laptop, tablet);
    const missed = record(tablet, isMessageWithBody('to both'));

    const received = Promise.all([phone, laptop].map((c) => nextStanza(c, isMessageWithBody('to both'))));
    await a.send(chat(bare(bob), 'to both'));
    await received;
    await settle(a, tablet);
    expect(missed.stanzas).toEqual([]);
    for (const c of [a, phone, laptop, tablet]) await stopQuietly(c);
  });

  it('never go to a resource with a negative priority', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const hidden = await onlineWithPriority(bob, 'hidden', -1);
    await settle(hidden);
    const missed = record(hidden, isMessageWithBody('not for you'));
    const errors = record(a, (s) => s.attrs.type === 'error');

    await a.send(chat(bare(bob), 'not for you'));
    await settle(a, hidden);
    expect(missed.stanzas).toEqual([]);
    // RFC 6121 §8.5.2.1.1: as if no resource were available, so it is kept offline.
    expect(errors.stanzas).toEqual([]);
    expect(t.server.storage.offline.count(bob)).toBe(1);
    for (const c of [a, hidden]) await stopQuietly(c);
  });

  it('to an unknown local user are answered with service-unavailable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const error = nextStanza(a, (s) => s.is('message') && s.attrs.type === 'error');
    await a.send(chat(`nobody@${domain}`, 'anyone there?'));
    const received = await error;
    // RFC 6121 §8.5.1.
    expect(received.attrs.from).toBe(`nobody@${domain}`);
    expect(errorCondition(received)).toBe('service-unavailable');
    await stopQuietly(a);
  });
});

describe('messages to a full JID', () => {
  it('go to that resource only', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const high = await onlineWithPriority(bob, 'high', 10);
    const low = await onlineWithPriority(bob, 'low', 0);
    await settle(high, low);
    const missed = record(high, isMessageWithBody('just low'));

    const received = nextStanza(low, isMessageWithBody('just low'));
    await a.send(chat(`${bare(bob)}/low`, 'just low'));
    await received;
    await settle(a, high);
    expect(missed.stanzas).toEqual([]);
    for (const c of [a, high, low]) await stopQuietly(c);
  });

  it('reach a resource with a negative priority', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const hidden = await onlineWithPriority(bob, 'hidden', -5);
    const received = nextStanza(hidden, isMessageWithBody('directly'));
    await a.send(chat(`${bare(bob)}/hidden`, 'directly'));
    await received;
    for (const c of [a, hidden]) await stopQuietly(c);
  });

  it('of a resource that is gone go to the bare JID instead', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const phone = await onlineWithPriority(bob, 'phone', 0);
    const received = nextStanza(phone, isMessageWithBody('where are you?'));
    // RFC 6121 §8.5.3.2.1: chat to a full JID with no such resource is treated as to the bare JID.
    await a.send(chat(`${bare(bob)}/laptop`, 'where are you?'));
    await received;
    for (const c of [a, phone]) await stopQuietly(c);
  });

  it('of type headline to a resource that is gone are dropped', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const phone = await onlineWithPriority(bob, 'phone', 0);
    const seen = record(phone, isMessageWithBody('news'));
    // RFC 6121 §8.5.3.2.1: a headline for a missing resource is silently ignored.
    await a.send(xml('message', { type: 'headline', to: `${bare(bob)}/laptop` }, xml('body', {}, 'news')));
    await settle(a, phone);
    seen.stop();
    expect(seen.stanzas).toEqual([]);
    for (const c of [a, phone]) await stopQuietly(c);
  });
});

describe('iq stanzas', () => {
  it('to a full JID reach that resource and its answer comes back', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob, { resource: 'phone' });
    // @xmpp/client answers XEP-0199 pings itself.
    const answer = await a.iqCaller.request(xml('iq', { type: 'get', to: `${bare(bob)}/phone` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(answer.attrs.type).toBe('result');
    expect(answer.attrs.from).toBe(`${bare(bob)}/phone`);
    for (const c of [a, b]) await stopQuietly(c);
  });

  it('to the full JID of an unknown local user are answered with service-unavailable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const request = xml('iq', { type: 'get', to: `nobody@${domain}/phone` }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    // RFC 6121 §8.5.1.
    await expect(a.iqCaller.request(request)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(a);
  });

  it('to a resource that is gone are answered with service-unavailable', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob, { resource: 'phone' });
    const request = xml('iq', { type: 'get', to: `${bare(bob)}/laptop` }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    // RFC 6121 §8.5.3.2.3.
    await expect(a.iqCaller.request(request)).rejects.toMatchObject({ condition: 'service-unavailable' });
    for (const c of [a, b]) await stopQuietly(c);
  });

  it('to the server that nothing handles are answered with service-unavailable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const request = xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'urn:example:nothing-here' }));
    // RFC 6120 §8.4.
    const error = await a.iqCaller.request(request).catch((e: unknown) => e);
    expect(error).toMatchObject({ condition: 'service-unavailable', type: 'cancel' });
    await stopQuietly(a);
  });

  it('of type set to the server that nothing handles are answered with service-unavailable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const request = xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: 'urn:example:nothing-here' }));
    await expect(a.iqCaller.request(request)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(a);
  });
});
