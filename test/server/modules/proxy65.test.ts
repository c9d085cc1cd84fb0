import type { Client, Element } from '@xmpp/client';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytestreamHash, bytestreamsNs } from '../../../server/modules/proxy65/index.js';
import { bare, freshAccounts, login } from '../../support/stanzas.js';
import { domain, startTestServer, xml, type TestServer } from '../../support/server.js';

const proxy = `proxy.${domain}`;

/** A SOCKS5 client doing what XEP-0065 §6.3 asks of both parties; resolves with the reply code. */
async function socks5Connect(port: number, address: string): Promise<{ socket: Socket; reply: number }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // One listener collects everything; reads take from the front once enough has arrived.
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  const collect = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  };
  socket.on('data', collect);
  const read = async (length: number) => {
    while (buffered.length < length) {
      if (socket.destroyed) throw new Error('the proxy closed the connection');
      await new Promise<void>((resolve) => {
        waiting = resolve;
        socket.once('close', resolve);
      });
    }
    const head = buffered.subarray(0, length);
    buffered = buffered.subarray(length);
    return head;
  };
  socket.write(Buffer.from([5, 1, 0]));
  expect([...(await read(2))]).toEqual([5, 0]);
  const name = Buffer.from(address, 'latin1');
  socket.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([0, 0])]));
  const head = await read(5);
  await read(head[4]! + 2);
  socket.off('data', collect);
  return { socket, reply: head[1]! };
}

function receive(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) resolve(Buffer.concat(chunks));
    });
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

async function activate(client: Client, sid: string, target: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set', to: proxy }, xml('query', { xmlns: bytestreamsNs, sid }, xml('activate', {}, target))));
}

describe('the file-transfer proxy (XEP-0065)', () => {
  let test: TestServer;
  let alice: Client;
  let bob: Client;
  let port: number;

  beforeAll(async () => {
    test = await startTestServer({ proxy65: { maxBytes: 1_048_576 } });
    const [a, b] = freshAccounts(test, 'alice', 'bob');
    alice = await login(test, a);
    bob = await login(test, b);
    const answer = await alice.iqCaller.request(xml('iq', { type: 'get', to: proxy }, xml('query', { xmlns: bytestreamsNs })));
    const streamhost = answer.getChild('query', bytestreamsNs)!.getChild('streamhost')!;
    expect(streamhost.attrs).toMatchObject({ jid: proxy, host: domain });
    port = Number(streamhost.attrs.port);
  });
  afterAll(() => test.stop());

  it('is listed in the server items with the proxy identity', async () => {
    const items = await alice.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    expect(items.getChild('query')!.getChildren('item').map((i: Element) => i.attrs.jid)).toContain(proxy);
    const info = await alice.iqCaller.request(xml('iq', { type: 'get', to: proxy }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const query = info.getChild('query')!;
    expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'proxy', type: 'bytestreams' });
    expect(query.getChildren('feature').map((f: Element) => f.attrs.var)).toContain(bytestreamsNs);
  });

  it('relays a bytestream between two devices once the initiator activates it', async () => {
    const sid = 'transfer-1';
    const address = bytestreamHash(sid, alice.jid!.toString(), bob.jid!.toString());
    const target = await socks5Connect(port, address);
    const initiator = await socks5Connect(port, address);
    expect([target.reply, initiator.reply]).toEqual([0, 0]);

    await activate(alice, sid, bob.jid!.toString());
    const file = Buffer.alloc(300_000, 'hearth');
    const arrived = receive(target.socket, file.length);
    initiator.socket.write(file);
    expect((await arrived).equals(file)).toBe(true);

    const answer = receive(initiator.socket, 5);
    target.socket.write('thank');
    expect((await answer).toString()).toBe('thank');
    initiator.socket.destroy();
    await closed(target.socket);
  });

  it('only lets the initiator it was set up for activate a stream', async () => {
    const sid = 'transfer-2';
    const address = bytestreamHash(sid, alice.jid!.toString(), bob.jid!.toString());
    const target = await socks5Connect(port, address);
    const initiator = await socks5Connect(port, address);
    // Bob's own activation names a different hash (his JID as initiator): nothing to activate.
    const refused = await activate(bob, sid, alice.jid!.toString()).catch((error: { condition: string }) => error.condition);
    expect(refused).toBe('item-not-found');
    target.socket.destroy();
    initiator.socket.destroy();
  });

  it('refuses activation before both parties are connected', async () => {
    const sid = 'transfer-3';
    const target = await socks5Connect(port, bytestreamHash(sid, alice.jid!.toString(), bob.jid!.toString()));
    const refused = await activate(alice, sid, bob.jid!.toString()).catch((error: { condition: string }) => error.condition);
    expect(refused).toBe('not-acceptable');
    target.socket.destroy();
  });

  it('refuses a third connection for the same stream', async () => {
    const address = bytestreamHash('transfer-4', alice.jid!.toString(), bob.jid!.toString());
    const first = await socks5Connect(port, address);
    const second = await socks5Connect(port, address);
    const third = await socks5Connect(port, address);
    expect(third.reply).toBe(2);
    for (const party of [first, second, third]) party.socket.destroy();
  });

  it('closes a transfer that goes over the byte cap', async () => {
    const sid = 'transfer-5';
    const address = bytestreamHash(sid, alice.jid!.toString(), bob.jid!.toString());
    const target = await socks5Connect(port, address);
    const initiator = await socks5Connect(port, address);
    await activate(alice, sid, bob.jid!.toString());
    target.socket.resume();
    initiator.socket.write(Buffer.alloc(1_200_000));
    await Promise.all([closed(target.socket), closed(initiator.socket)]);
  });

  it('refuses SOCKS5 requests XEP-0065 does not use', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    const answer = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    // Username/password authentication only: no acceptable method (RFC 1928 §3).
    socket.write(Buffer.from([5, 1, 2]));
    expect([...(await answer)]).toEqual([5, 0xff]);
    await closed(socket);

    const ipRequest = connect({ port, host: '127.0.0.1' });
    const replies: Buffer[] = [];
    ipRequest.on('data', (chunk: Buffer) => replies.push(chunk));
    ipRequest.write(Buffer.from([5, 1, 0]));
    ipRequest.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 80]));
    await closed(ipRequest);
    expect(Buffer.concat(replies)[3]).toBe(8);
  });

  it('refuses an activation without a stream id', async () => {
    const refused = await alice.iqCaller
      .request(xml('iq', { type: 'set', to: proxy }, xml('query', { xmlns: bytestreamsNs }, xml('activate', {}, bare('x')))))
      .catch((error: { condition: string }) => error.condition);
    expect(refused).toBe('bad-request');
  });
});
