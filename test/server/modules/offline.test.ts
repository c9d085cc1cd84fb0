// XEP-0160: messages for an account with no available resource are kept and delivered, with a
// XEP-0203 delay stamp, at the next login — once.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle } from '../../support/stanzas.js';

const delayNs = 'urn:xmpp:delay';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/**
 * Logs in without presence, starts recording messages, then sends initial presence and waits
 * until everything the server had for this login has arrived.
 */
async function loginAndCollectMessages(username: string): Promise<{ client: Client; messages: Element[] }> {
  const client = await login(t, username, { presence: false });
  const messages = record(client, (s) => s.is('message'));
  await client.send(xml('presence'));
  await settle(client);
  return { client, messages: messages.stanzas };
}

describe('offline messages', () => {
  it('are delivered with a delay stamp when the user sends initial presence', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice, { resource: 'phone' });
    const sentAt = Date.now();
    await a.send(xml('message', { type: 'chat', to: bare(bob), id: 'm1' }, xml('body', {}, 'Call me when you are back')));
    await settle(a);

    const b = await login(t, bob, { presence: false });
    const delivered = nextStanza(b, (s) => s.is('message'));
    await b.send(xml('presence'));
    const message = await delivered;

    expect(message.attrs).toMatchObject({ type: 'chat', id: 'm1', from: `${bare(alice)}/phone` });
    expect(message.attrs.to).toBe(b.jid?.toString());
    expect(message.getChildText('body')).toBe('Call me when you are back');
    const delay = message.getChild('delay', delayNs);
    expect(delay?.attrs.from).toBe(domain);
    // XEP-0082 DateTime in UTC, at about the time the message was sent.
    const stamp = String(delay?.attrs.stamp);
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(stamp) - sentAt)).toBeLessThan(5000);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('wait while the only session has a negative priority, and come when it turns non-negative', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('body', {}, 'for later')));
    await settle(a);

    const b = await login(t, bob, { presence: false });
    const messages = record(b, (s) => s.is('message'));
    await b.send(xml('presence', {}, xml('priority', {}, '-1')));
    await settle(b);
    expect(messages.stanzas).toEqual([]);
    await b.send(xml('presence', {}, xml('priority', {}, '1')));
    await settle(b);
    expect(messages.stanzas.map((m) => m.getChildText('body'))).toEqual(['for later']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are delivered in the order they were sent', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    for (const body of ['one', 'two', 'three']) await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('body', {}, body)));
    await settle(a);

    const { client: b, messages } = await loginAndCollectMessages(bob);
    expect(messages.map((m) => m.getChildText('body'))).toEqual(['one', 'two', 'three']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are delivered only once', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('body', {}, 'just once')));
    await settle(a);

    const first = await loginAndCollectMessages(bob);
    expect(first.messages).toHaveLength(1);
    await stopQuietly(first.client);

    const second = await loginAndCollectMessages(bob);
    expect(second.messages).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(second.client);
  });

  it('are kept for normal messages too', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(xml('message', { to: bare(bob) }, xml('subject', {}, 'Dinner'), xml('body', {}, 'At eight?')));
    await settle(a);

    const { client: b, messages } = await loginAndCollectMessages(bob);
    expect(messages.map((m) => m.getChildText('body'))).toEqual(['At eight?']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are not delivered before the user sends initial presence', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('body', {}, 'wait for it')));
    await settle(a);

    const b = await login(t, bob, { presence: false });
    const early = record(b, (s) => s.is('message'));
    await settle(b);
    expect(early.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('do not include chat states without content', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const errors = record(a, (s) => s.attrs.type === 'error');
    await a.send(xml('message', { type: 'chat', to: bare(bob) }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await settle(a);
    // XEP-0085 §5.6: dropped silently, not bounced.
    expect(errors.stanzas).toEqual([]);
    expect(t.server.storage.offline.count(bob)).toBe(0);

    const { client: b, messages } = await loginAndCollectMessages(bob);
    expect(messages).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('keep a message with a body and a chat state', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(
      xml('message', { type: 'chat', to: bare(bob) }, xml('body', {}, 'Hi'), xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })),
    );
    await settle(a);

    const { client: b, messages } = await loginAndCollectMessages(bob);
    expect(messages.map((m) => m.getChildText('body'))).toEqual(['Hi']);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are not kept for headline messages', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    await a.send(xml('message', { type: 'headline', to: bare(bob) }, xml('body', {}, 'News')));
    await settle(a);
    // RFC 6121 §8.5.2.2.1: a headline for an account with no available resource is dropped.
    expect(t.server.storage.offline.count(bob)).toBe(0);
    await stopQuietly(a);
  });
});
