// XMPP over WebSocket (RFC 7395) against the real server: @xmpp/client for the flows a browser
// client goes through, raw WebSockets for what a well-behaved library never sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, roundTrip } from '../../support/stanzas.js';
import {
  framingNs,
  httpsPort,
  RawWebSocket,
  rawWebSocketAuthenticate,
  rawWebSocketLogin,
  underlyingWebSocket,
  webSocketClient,
} from '../../support/websocket-client.js';

const smNs = 'urn:xmpp:sm:3';
const maxStanzaBytes = 10_000;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ limits: { maxStanzaBytes }, websocket: { pingIntervalSeconds: 1 } });
});
afterAll(() => t.stop());

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

function isChat(body: string) {
  return (stanza: { is(name: string): boolean; getChildText(name: string): string | null }) => stanza.is('message') && stanza.getChildText('body') === body;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('a browser client', () => {
  it('signs in with @xmpp/client and exchanges messages with a TCP client', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const web = webSocketClient(t, alice, { resource: 'browser' });
    await web.start();
    await web.send(xml('presence'));
    const tcp = await login(t, bob);
    expect(t.server.sessions.get(alice, 'browser')?.secure).toBe(true);

    const toWeb = nextStanza(web, isChat('from the phone'));
    await tcp.send(chat(`${bare(alice)}/browser`, 'from the phone'));
    expect((await toWeb).attrs.from).toBe(`${bare(bob)}/${tcp.jid!.resource}`);

    const toTcp = nextStanza(tcp, isChat('from the browser'));
    await web.send(chat(bare(bob), 'from the browser'));
    expect((await toTcp).attrs.from).toBe(`${bare(alice)}/browser`);
    await stopQuietly(web);
    await stopQuietly(tcp);
  });

  it('counts a WebSocket session among the server sessions', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const before = t.server.status().sessions;
    const raw = await rawWebSocketLogin(t, alice, 'browser');
    expect(t.server.status().sessions).toBe(before + 1);
    raw.terminate();
    await until(() => t.server.status().sessions === before);
  });

  it('resumes its session (XEP-0198) after the WebSocket drops, without losing a message', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const web = webSocketClient(t, alice, { resource: 'browser', reconnect: true });
    const sm = (web as unknown as { streamManagement: { on(event: 'resumed', listener: () => void): void; id: string } }).streamManagement;
    await web.start();
    await web.send(xml('presence'));
    await until(() => sm.id !== '');
    const tcp = await login(t, bob);

    const resumed = new Promise<void>((resolve) => sm.on('resumed', resolve));
    const session = t.server.sessions.get(alice, 'browser')!;
    underlyingWebSocket(web).terminate();
    await until(() => session.connected === false);
    // Sent while the browser is away: held by the waiting session, not bounced or sent offline.
    const delivered = nextStanza(web, isChat('while you were away'));
    await tcp.send(chat(`${bare(alice)}/browser`, 'while you were away'));
    await roundTrip(tcp);
    await resumed;
    await delivered;
    expect(t.server.sessions.get(alice, 'browser')).toBe(session);
    expect(t.server.storage.offline.count(alice)).toBe(0);
    await stopQuietly(web);
    await stopQuietly(tcp);
  });

  it('resumes with a raw client and gets the unacknowledged stanzas again', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const first = await rawWebSocketLogin(t, alice, 'browser');
    first.send(`<enable xmlns='${smNs}' resume='true'/>`);
    const id = /id="([^"]+)"/.exec(await first.next(/^<enabled /))![1]!;
    first.send(`<presence xmlns='jabber:client'/>`);
    const tcp = await login(t, bob);
    await tcp.send(chat(`${bare(alice)}/browser`, 'before the drop'));
    await first.next(/before the drop/);
    first.terminate();
    await until(() => t.server.sessions.get(alice, 'browser')?.connected === false);

    const { raw: second } = await rawWebSocketAuthenticate(t, alice);
    second.send(`<resume xmlns='${smNs}' previd='${id}' h='0'/>`);
    expect(await second.next(/^<resumed /)).toContain(`previd="${id}"`);
    expect(await second.next(/before the drop/)).toContain('xmlns="jabber:client"');
    second.terminate();
    await stopQuietly(tcp);
  });
});

describe('framing (RFC 7395 §3.3, §3.4)', () => {
  it('answers <open/> with its own <open/>, then features without STARTTLS, each a standalone element', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    const open = await raw.next();
    expect(open).toMatch(new RegExp(`^<open xmlns="${framingNs}"`));
    expect(open).toContain(`from="${domain}"`);
    expect(open).toContain('version="1.0"');
    const features = await raw.next();
    expect(features).toMatch(/^<stream:features xmlns:stream="http:\/\/etherx\.jabber\.org\/streams"/);
    expect(features).toContain('<mechanism>PLAIN</mechanism>');
    expect(features).not.toContain('starttls');
    raw.terminate();
  });

  it('ends the stream on <close/> with its own <close/> and a normal WebSocket close', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send(`<close xmlns='${framingNs}'/>`);
    const { code, messages } = await raw.untilClosed();
    expect(messages).toEqual([`<close xmlns="${framingNs}"/>`]);
    expect(code).toBe(1000);
  });

  it('qualifies stanzas with jabber:client and accepts unqualified ones from the client', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await rawWebSocketLogin(t, alice, 'browser');
    raw.send(`<iq type='get' id='p1' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(await raw.next(/id="p1"/)).toMatch(/^<iq xmlns="jabber:client" [^>]*type="result"/);
    raw.terminate();
  });

  it('expects a fresh <open/> after authentication (RFC 7395 §3.7)', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${alice}\0correct horse battery`).toString('base64')}</auth>`);
    await raw.next(/^<success/);
    raw.send(`<iq type='set' id='b' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    const { messages } = await raw.untilClosed();
    expect(messages.join('')).toContain('<invalid-namespace xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });
});

describe('errors', () => {
  it('refuses a handshake without the xmpp subprotocol', async () => {
    await expect(RawWebSocket.connect(t, { protocols: ['chat'] })).rejects.toThrow('HTTP 400');
    await expect(RawWebSocket.connect(t, { protocols: [] })).rejects.toThrow('HTTP 400');
  });

  it('tells a plain GET what the address is for', async () => {
    const response = await fetch(`https://${domain}:${httpsPort(t)}/xmpp-websocket`);
    expect(response.status).toBe(426);
    expect(await response.text()).toContain('RFC 7395');
  });

  it('opens the stream first and then reports a stanza sent before <open/> (RFC 7395 §3.5)', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.send(`<message xmlns='jabber:client' to='someone@${domain}'/>`);
    const { code, messages } = await raw.untilClosed();
    expect(messages[0]).toMatch(/^<open /);
    expect(messages[1]).toMatch(/^<stream:error xmlns:stream="http:\/\/etherx\.jabber\.org\/streams"><invalid-namespace /);
    expect(messages[2]).toBe(`<close xmlns="${framingNs}"/>`);
    expect(code).toBe(1000);
  });

  it('closes with not-well-formed when a message is not well-formed XML', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send('<message><body>hi</message>');
    const { messages } = await raw.untilClosed();
    expect(messages[0]).toContain('<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
    expect(messages[1]).toBe(`<close xmlns="${framingNs}"/>`);
  });

  it('closes with not-well-formed when a message ends inside an element', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send('<message><body>hi</body>');
    const { messages } = await raw.untilClosed();
    expect(messages[0]).toContain('<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('refuses two elements in one message', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send(`<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>`);
    const { messages } = await raw.untilClosed();
    expect(messages[0]).toContain('exactly one element');
  });

  it('refuses restricted XML such as comments', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send(`<presence xmlns='jabber:client'><!-- hello --></presence>`);
    const { messages } = await raw.untilClosed();
    expect(messages[0]).toContain('<restricted-xml xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('refuses a binary message with close code 1003', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    raw.send(Buffer.from(`<presence xmlns='jabber:client'/>`), { binary: true });
    const { code, messages } = await raw.untilClosed();
    expect(messages[0]).toContain('<unsupported-encoding xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
    expect(code).toBe(1003);
  });

  it('refuses a message larger than the stanza limit with close code 1009, ending the session for good', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await rawWebSocketLogin(t, alice, 'browser');
    raw.send(`<enable xmlns='${smNs}' resume='true'/>`);
    await raw.next(/^<enabled /);
    expect(t.server.sessions.get(alice, 'browser')).toBeDefined();
    raw.send(`<message xmlns='jabber:client' to='${bare(alice)}'><body>${'x'.repeat(maxStanzaBytes)}</body></message>`);
    const { code } = await raw.untilClosed();
    expect(code).toBe(1009);
    // Not kept for resumption: the client would only send the same message again.
    await until(() => t.server.sessions.get(alice, 'browser') === undefined);
  });

  it('pings the client and drops a connection that does not answer', async () => {
    const raw = await RawWebSocket.connect(t, { autoPong: false });
    raw.open();
    await raw.next(/^<stream:features/);
    const { code } = await raw.untilClosed(5000);
    expect(raw.pings).toBeGreaterThanOrEqual(1);
    // Cut off without a closing handshake (RFC 6455 §7.1.5: 1006 is what the client then sees).
    expect(code).toBe(1006);
  });

  it('keeps a connection that answers pings', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open();
    await raw.next(/^<stream:features/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(raw.pings).toBeGreaterThanOrEqual(2);
    expect(raw.closeCode).toBeUndefined();
    raw.terminate();
  });

  it('accepts an XML declaration at the start of a message', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.send(`<?xml version='1.0'?><open xmlns='${framingNs}' to='${domain}' version='1.0'/>`);
    expect(await raw.next()).toMatch(/^<open /);
    raw.terminate();
  });

  it('closes with host-unknown for another domain', async () => {
    const raw = await RawWebSocket.connect(t);
    raw.open('elsewhere.example');
    const { messages } = await raw.untilClosed();
    expect(messages.join('')).toContain('<host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });
});
