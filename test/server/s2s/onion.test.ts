// The seam for Tor: a server under .onion is dialled through a SOCKS5 proxy (Tor's, in real life;
// here a small one written for the test that leads to the other Hearth), by name, never resolved
// here. Without Tor running, an onion server cannot be reached and the stanza bounces saying so.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { federationRoute } from '../../../server/services/tor/federation.js';
import { removeCertificates, routesTo, startFederatedServer } from '../../support/federation.js';
import { freeTcpPort } from '../../support/prosody.js';
import { nextStanza, xml, type TestServer } from '../../support/server.js';
import { errorCondition } from '../../support/stanzas.js';

const onion = `${'h'.repeat(52)}aqad.onion`;

/** A SOCKS5 proxy (RFC 1928, no authentication, CONNECT by name) that knows one way: `name` to 127.0.0.1:port. */
async function socksProxy(name: string, target: () => number): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((client: Socket) => {
    client.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'request' | 'relay' = 'greeting';
    client.on('data', function onData(chunk: Buffer) {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 'greeting' && buffer.length >= 3) {
        buffer = buffer.subarray(2 + buffer[1]!);
        client.write(Buffer.from([0x05, 0x00]));
        stage = 'request';
      }
      if (stage === 'request' && buffer.length >= 5 && buffer.length >= 7 + buffer[4]!) {
        const host = buffer.subarray(5, 5 + buffer[4]!).toString('utf8');
        const port = buffer.readUInt16BE(5 + buffer[4]!);
        requests.push(`${buffer[3] === 0x03 ? 'name' : 'address'} ${host}:${port}`);
        if (buffer[3] !== 0x03 || host !== name) {
          client.end(Buffer.from([0x05, 0x04, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
          return;
        }
        stage = 'relay';
        client.off('data', onData);
        const upstream = connect({ host: '127.0.0.1', port: target() }, () => {
          client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0]));
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, requests };
}

describe('federation with an onion server through a SOCKS5 proxy', () => {
  let home: TestServer;
  let hidden: TestServer;
  let proxy: Awaited<ReturnType<typeof socksProxy>>;

  beforeAll(async () => {
    const homePort = await freeTcpPort();
    hidden = await startFederatedServer({ domain: onion, s2s: { routes: routesTo('home-o.test', homePort) } });
    proxy = await socksProxy(onion, () => hidden.port('s2s'));
    home = await startFederatedServer({ domain: 'home-o.test', s2sPort: homePort });
    hidden.addUser('bob');
    home.addUser('alice');
  });
  afterAll(async () => {
    await Promise.all([home?.stop(), hidden?.stop()]);
    await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
    removeCertificates();
  });

  it('bounces a message for an onion server while Tor is not running', async () => {
    const alice = await home.connect('alice', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
    const error = nextStanza(alice, (s) => s.is('message') && s.attrs.type === 'error');
    await alice.send(xml('message', { to: `bob@${onion}`, type: 'chat', id: 'no-tor' }, xml('body', {}, 'hello?')));
    const bounced = await error;
    expect(errorCondition(bounced)).toBe('remote-server-not-found');
    expect(bounced.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toContain('Tor is not running');
    expect(proxy.requests).toEqual([]);
  });

  it('reaches it through the SOCKS port once Tor runs, asking for it by name', async () => {
    home.server.federation.useTor({ federationRoute: (host) => federationRoute(host, 'onions', { host: '127.0.0.1', port: proxy.port }) });
    const alice = await home.connect('alice', { mechanism: 'SCRAM-SHA-256', resource: 'laptop' });
    const bob = await hidden.connect('bob', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
    const atBob = nextStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'through tor');
    await alice.send(xml('message', { to: `bob@${onion}`, type: 'chat' }, xml('body', {}, 'through tor')));
    expect((await atBob).attrs.from).toBe('alice@home-o.test/laptop');
    expect(proxy.requests).toEqual([`name ${onion}:5269`]);

    const atAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'from the onion');
    await bob.send(xml('message', { to: 'alice@home-o.test', type: 'chat' }, xml('body', {}, 'from the onion')));
    expect((await atAlice).attrs.from).toBe(`bob@${onion}/phone`);
  });

  it('never uses Tor for onion servers with tor.federation "clearnet"', async () => {
    home.server.federation.useTor({ federationRoute: (host) => federationRoute(host, 'clearnet', { host: '127.0.0.1', port: proxy.port }) });
    // A fresh pair of domains: the link to the onion host's group chat service does not exist yet.
    const alice = await home.connect('alice', { mechanism: 'SCRAM-SHA-256', resource: 'tablet' });
    const error = nextStanza(alice, (s) => s.is('iq') && s.attrs.type === 'error');
    await alice.send(xml('iq', { type: 'get', id: 'clearnet', to: `conference.${onion}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const bounced = await error;
    expect(errorCondition(bounced)).toBe('remote-server-not-found');
    expect(bounced.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toContain('clearnet');
  });
});
