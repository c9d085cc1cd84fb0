// What Hearth refuses, as the seeds insist: a server with a self-signed, expired or wrong-name
// certificate, or one that does not offer TLS. Each time the link is never used, the stanza that
// waited for it comes back with an error saying why, and nothing reaches the other side. And the
// other way round: a server whose certificate is bad cannot get anything delivered here either.
import type { Client, Element } from '@xmpp/client';
import { createServer, type Server, type Socket } from 'node:net';
import { parse } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeCertificates, routesTo, startFederatedServer } from '../../support/federation.js';
import { freeTcpPort } from '../../support/prosody.js';
import type { RawClient } from '../../support/raw-client.js';
import { rawLogin } from '../../support/raw-streams.js';
import { defaultPassword, nextStanza, xml, type TestServer } from '../../support/server.js';
import { errorCondition, record } from '../../support/stanzas.js';

const stanzaErrorsNs = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const login = (t: TestServer, username: string) => t.connect(username, { mechanism: 'SCRAM-SHA-256', resource: 'phone' });

/** A TCP listener that speaks the start of a server stream but offers no STARTTLS, and keeps what it was sent. */
async function plaintextPeer(domain: string): Promise<{ server: Server; port: number; received: () => string }> {
  let received = '';
  const server = createServer((socket: Socket) => {
    socket.setEncoding('utf8');
    let opened = false;
    socket.on('data', (text: string) => {
      received += text;
      if (opened || !received.includes('<stream:stream')) return;
      opened = true;
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' id='plain1' from='${domain}' version='1.0'>` +
          `<stream:features><dialback xmlns='urn:xmpp:features:dialback'/></stream:features>`,
      );
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, received: () => received };
}

/** A TCP listener that accepts and never says anything. */
async function silentPeer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Connections Hearth left open (the silent peer's) do not hold the test up.
    setTimeout(resolve, 500).unref();
  });
}

/** A raw client on a server whose certificate is bad on purpose (@xmpp/client would refuse it). */
function rawLoginAt(t: TestServer, username: string): Promise<RawClient> {
  return rawLogin(t.port('c2s'), username, defaultPassword, 'phone', { domain: t.config.domain, acceptAnyCertificate: true });
}

/** Sends a chat message and returns the error that comes back for it. */
async function bounced(client: Client, to: string, id: string): Promise<Element> {
  const error = nextStanza(client, (s) => s.is('message') && s.attrs.id === id && s.attrs.type === 'error', 15_000);
  await client.send(xml('message', { to, type: 'chat', id }, xml('body', {}, 'are you there?')));
  return error;
}

function errorText(stanza: Element): string | undefined {
  return stanza.getChild('error')?.getChildText('text', stanzaErrorsNs) ?? undefined;
}

describe('refusing insecure links', () => {
  let home: TestServer;
  const peers: Record<string, TestServer> = {};
  let plaintext: Awaited<ReturnType<typeof plaintextPeer>>;
  let silent: Awaited<ReturnType<typeof silentPeer>>;
  let closedPort: number;

  beforeAll(async () => {
    const homePort = await freeTcpPort();
    plaintext = await plaintextPeer('plain.test');
    silent = await silentPeer();
    closedPort = await freeTcpPort();
    // Peers with bad certificates; each can reach home (to see it refuse them in turn).
    for (const [domain, certificate] of [
      ['self-signed.test', 'self-signed'],
      ['expired.test', 'expired'],
      ['wrong-name.test', 'wrong-name'],
    ] as const) {
      peers[domain] = await startFederatedServer({ domain, certificate, s2s: { routes: routesTo('home.test', homePort), connectTimeoutSeconds: 4 } });
      peers[domain].addUser('bob');
    }
    home = await startFederatedServer({
      domain: 'home.test',
      s2sPort: homePort,
      s2s: {
        routes: {
          ...routesTo('self-signed.test', peers['self-signed.test']!.port('s2s')),
          ...routesTo('expired.test', peers['expired.test']!.port('s2s')),
          ...routesTo('wrong-name.test', peers['wrong-name.test']!.port('s2s')),
          'plain.test': `127.0.0.1:${plaintext.port}`,
          'silent.test': `127.0.0.1:${silent.port}`,
          'nobody.test': `127.0.0.1:${closedPort}`,
        },
        connectTimeoutSeconds: 3,
      },
    });
    home.addUser('alice');
  });

  afterAll(async () => {
    await Promise.all([home?.stop(), ...Object.values(peers).map((p) => p.stop()), closeServer(plaintext?.server), closeServer(silent?.server)]);
    removeCertificates();
  });

  for (const [domain, reason] of [
    ['self-signed.test', 'its certificate is self-signed'],
    ['expired.test', 'its certificate has expired'],
    ['wrong-name.test', 'its certificate is for someone-else.test, not wrong-name.test'],
  ] as const) {
    it(`refuses ${domain}: the message bounces with remote-server-not-found and never arrives`, async () => {
      const alice = await login(home, 'alice');
      const error = await bounced(alice, `bob@${domain}`, `refused-${domain}`);
      expect(errorCondition(error)).toBe('remote-server-not-found');
      expect(error.getChild('error')?.attrs.type).toBe('cancel');
      expect(errorText(error)).toContain(reason);
      expect(error.attrs.from).toBe(`bob@${domain}`);
      // bob is offline there: had it arrived, it would wait in his offline store.
      expect(peers[domain]!.server.storage.offline.count('bob')).toBe(0);
    });
  }

  it('refuses a server that does not offer TLS, and sends it nothing', async () => {
    const alice = await login(home, 'alice');
    const error = await bounced(alice, 'bob@plain.test', 'refused-plain');
    expect(errorCondition(error)).toBe('remote-server-not-found');
    expect(errorText(error)).toContain('does not offer TLS');
    expect(plaintext.received()).toContain("to='plain.test'");
    expect(plaintext.received()).not.toContain('<message');
    expect(plaintext.received()).not.toContain('db:result');
    // RFC 6120 §4.9.3.14: it is told why.
    expect(plaintext.received()).toContain('<policy-violation');
  });

  it('bounces with remote-server-timeout when a server never answers', async () => {
    const alice = await login(home, 'alice');
    const started = Date.now();
    const error = await bounced(alice, 'bob@silent.test', 'timeout');
    expect(errorCondition(error)).toBe('remote-server-timeout');
    expect(error.getChild('error')?.attrs.type).toBe('wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
  });

  it('bounces with remote-server-not-found when nothing listens', async () => {
    const alice = await login(home, 'alice');
    const error = await bounced(alice, 'bob@nobody.test', 'unreachable');
    expect(errorCondition(error)).toBe('remote-server-not-found');
    expect(errorText(error)).toContain('connection refused');
  });

  it('gives the iq a server sent on its own behalf the same answer', async () => {
    const alice = await login(home, 'alice');
    const error = await alice.iqCaller
      .request(xml('iq', { type: 'get', to: 'self-signed.test' }, xml('query', { xmlns: 'jabber:iq:version' })))
      .then(() => undefined, (e: { condition?: string; text?: string }) => e);
    expect(error?.condition).toBe('remote-server-not-found');
    expect(error?.text).toContain('its certificate is self-signed');
  });

  it('lets nothing from a server with a bad certificate in, and tells its sender', async () => {
    const alice = await login(home, 'alice');
    const atAlice = record(alice, (s) => s.is('message'));
    const bob = await rawLoginAt(peers['self-signed.test']!, 'bob');
    // Its certificate cannot back SASL EXTERNAL; for dialback, home calls it back and refuses its
    // certificate there, so it answers with a dialback error (XEP-0220 §2.5) and the link fails.
    bob.send(`<message to='alice@home.test' type='chat' id='from-self-signed'><body>let me in</body></message>`);
    const text = await bob.waitFor(/<message[^>]*type="error"[\s\S]*?<\/message>/, 15_000);
    const error = parse(/<message[^>]*type="error"[\s\S]*?<\/message>/.exec(text)![0]) as unknown as Element;
    expect(error.attrs.id).toBe('from-self-signed');
    expect(errorCondition(error)).toBe('remote-server-timeout');
    expect(errorText(error)).toContain('dialback error remote-server-not-found');
    bob.destroy();
    await alice.iqCaller.request(xml('iq', { type: 'get', to: 'home.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(atAlice.stanzas).toEqual([]);
    expect(home.server.storage.offline.count('alice')).toBe(0);
    atAlice.stop();
  });

  it('lists every refusal in the status, by domain, without addresses', async () => {
    const status = await home.server.control.request('status', {});
    if (!status.ok) throw new Error(status.error);
    const errors = new Map(status.value.federation!.lastErrors.map((e) => [e.domain, e.error]));
    expect(errors.get('self-signed.test')).toContain('self-signed');
    expect(errors.get('expired.test')).toContain('expired');
    expect(errors.get('wrong-name.test')).toContain('someone-else.test');
    expect(errors.get('plain.test')).toContain('TLS');
    expect(errors.get('silent.test')).toContain('no working link');
    expect(errors.get('nobody.test')).toContain('connection refused');
    expect(JSON.stringify(status.value.federation)).not.toMatch(/127\.0\.0\.1|\d+\.\d+\.\d+\.\d+/);
  });
});

describe('the allow-list for servers with invalid certificates', () => {
  let home: TestServer;
  let lenient: TestServer;

  beforeAll(async () => {
    const homePort = await freeTcpPort();
    lenient = await startFederatedServer({ domain: 'old-pi.test', certificate: 'self-signed', s2s: { routes: routesTo('lenient-home.test', homePort), insecureDomains: ['lenient-home.test'] } });
    lenient.addUser('bob');
    home = await startFederatedServer({
      domain: 'lenient-home.test',
      s2sPort: homePort,
      s2s: { routes: routesTo('old-pi.test', lenient.port('s2s')), insecureDomains: ['old-pi.test'] },
    });
    home.addUser('alice');
  });

  afterAll(() => Promise.all([home?.stop(), lenient?.stop()]));


  it('delivers both ways to a listed server despite its self-signed certificate', async () => {
    const alice = await login(home, 'alice');
    const bob = await rawLoginAt(lenient, 'bob');
    bob.send(`<presence/>`);
    await alice.send(xml('message', { to: 'bob@old-pi.test', type: 'chat' }, xml('body', {}, 'hi old Pi')));
    const atBob = await bob.waitFor(/hi old Pi/, 10_000);
    expect(atBob).toContain('from="alice@lenient-home.test/phone"');
    const atAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'hi back');
    bob.send(`<message to='alice@lenient-home.test' type='chat'><body>hi back</body></message>`);
    expect((await atAlice).attrs.from).toBe('bob@old-pi.test/phone');
    bob.destroy();
  });

  it('warns about it in the status', async () => {
    const status = await home.server.control.request('status', {});
    if (!status.ok) throw new Error(status.error);
    expect(status.value.federation?.insecureDomains).toEqual(['old-pi.test']);
    const warning = status.value.warnings.find((w) => w.id === 's2s-insecure-domains');
    expect(warning?.severity).toBe('warning');
    expect(warning?.message).toContain('old-pi.test');
  });
});
