// Limited accounts (children, guests): the server keeps them at home whatever their app tries —
// nothing to other servers (messages, subscriptions, requests, entering group chats there), no
// invitations — while everything on this server works as for anyone.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, errorCondition, freshAccounts, login } from '../../support/stanzas.js';

const commandsNs = 'http://jabber.org/protocol/commands';
let t: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await stopQuietly(client);
  await t.stop();
});

async function limitedAndFriend(): Promise<{ kid: string; kidClient: Client; friend: string; friendClient: Client }> {
  const [kid, friend] = freshAccounts(t, 'kid', 'friend');
  expect((await t.server.control.request('users.setRole', { username: kid, role: 'limited' })).ok).toBe(true);
  const kidClient = await login(t, kid);
  const friendClient = await login(t, friend);
  clients.push(kidClient, friendClient);
  return { kid, kidClient, friend, friendClient };
}

/** Sends `stanza` and waits for the error that answers it (same name and id). */
async function answerTo(client: Client, stanza: Element): Promise<Element> {
  const id = stanza.attrs.id as string;
  const answer = nextStanza(client, (s) => s.name === stanza.name && s.attrs.id === id && s.attrs.type === 'error');
  await client.send(stanza);
  return answer;
}

describe('a limited account', () => {
  it('cannot send a message to another server: not-allowed', async () => {
    const { kidClient } = await limitedAndFriend();
    const answer = await answerTo(kidClient, xml('message', { to: 'stranger@elsewhere.example', type: 'chat', id: 'm1' }, xml('body', {}, 'hello')));
    expect(errorCondition(answer)).toBe('not-allowed');
    expect(answer.attrs.from).toBe('stranger@elsewhere.example');
  });

  it('cannot ask someone on another server to be a contact: not-allowed', async () => {
    const { kidClient } = await limitedAndFriend();
    const answer = await answerTo(kidClient, xml('presence', { to: 'stranger@elsewhere.example', type: 'subscribe', id: 'p1' }));
    expect(errorCondition(answer)).toBe('not-allowed');
  });

  it('cannot enter a group chat on another server: not-allowed', async () => {
    const { kidClient } = await limitedAndFriend();
    const join = xml('presence', { to: 'games@conference.elsewhere.example/kid', id: 'j1' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }));
    expect(errorCondition(await answerTo(kidClient, join))).toBe('not-allowed');
  });

  it('cannot send requests to another server: not-allowed', async () => {
    const { kidClient } = await limitedAndFriend();
    const ping = xml('iq', { to: 'elsewhere.example', type: 'get', id: 'i1' }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(errorCondition(await answerTo(kidClient, ping))).toBe('not-allowed');
  });

  it('still chats with people on this server and enters its group chats', async () => {
    const { kid, kidClient, friend, friendClient } = await limitedAndFriend();
    const received = nextStanza(friendClient, (s) => s.is('message') && s.getChildText('body') === 'hi from home');
    await kidClient.send(xml('message', { to: bare(friend), type: 'chat', id: 'm2' }, xml('body', {}, 'hi from home')));
    expect((await received).attrs.from).toMatch(new RegExp(`^${kid}@${domain}/`));
    const entered = nextStanza(kidClient, (s) => s.is('presence') && String(s.attrs.from).startsWith(`homework${kid}@conference.${domain}/`));
    await kidClient.send(xml('presence', { to: `homework${kid}@conference.${domain}/kid` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    expect((await entered).attrs.type).toBeUndefined();
  });

  it('cannot make invitations: the command is not offered and refused with forbidden', async () => {
    const { kid, kidClient } = await limitedAndFriend();
    const list = await kidClient.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: commandsNs })));
    expect(list.getChild('query')!.getChildren('item')).toEqual([]);
    await expect(
      kidClient.iqCaller.request(xml('iq', { type: 'set', to: domain }, xml('command', { xmlns: commandsNs, node: 'urn:xmpp:invite#invite', action: 'execute' }))),
    ).rejects.toMatchObject({ condition: 'forbidden' });
    const viaAdmin = await t.server.control.request('invites.create', { inviter: kid });
    expect(viaAdmin).toEqual({ ok: false, error: `${kid} has a limited account, and limited accounts cannot invite people` });
  });

  it('is limited from the moment the role changes, without signing in again', async () => {
    const [teen] = freshAccounts(t, 'teen');
    const client = await login(t, teen);
    clients.push(client);
    const ping = (id: string) => xml('iq', { to: 'elsewhere.example', type: 'get', id }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    await t.server.control.request('users.setRole', { username: teen, role: 'limited' });
    expect(errorCondition(await answerTo(client, ping('after')))).toBe('not-allowed');
  });
});
