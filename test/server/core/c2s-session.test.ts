import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../support/raw-client.js';
import { ScramSha256Mechanism } from '../../support/scram-sha-256-mechanism.js';
import { connectClient, defaultPassword, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  t.addUser('alice');
  t.addUser('bob');
});
afterAll(() => t.stop());

describe('client authentication', () => {
  it('logs in with SCRAM-SHA-1 over STARTTLS', async () => {
    const alice = await t.connect('alice', { mechanism: 'SCRAM-SHA-1' });
    expect(alice.jid?.toString()).toMatch(/^alice@localhost\/.+/);
    await stopQuietly(alice);
  });

  it('logs in with SCRAM-SHA-256', async () => {
    const alice = await t.connect('alice', { mechanism: 'SCRAM-SHA-256' });
    expect(alice.jid?.local).toBe('alice');
    await stopQuietly(alice);
  });

  it('logs in with PLAIN once TLS is up', async () => {
    const alice = await t.connect('alice', { mechanism: 'PLAIN' });
    expect(alice.jid?.local).toBe('alice');
    await stopQuietly(alice);
  });

  it('accepts the username in any case', async () => {
    const alice = await t.connect('ALICE');
    expect(alice.jid?.local).toBe('alice');
    await stopQuietly(alice);
  });

  it('refuses a wrong password with not-authorized', async () => {
    const xmpp = connectClient(t.port('c2s'), 'alice', { password: 'wrong password!' });
    await expect(xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' });
    await stopQuietly(xmpp);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const xmpp = connectClient(t.port('c2s'), 'nobody', { mechanism: 'SCRAM-SHA-256' });
    await expect(xmpp.start()).rejects.toMatchObject({ condition: 'not-authorized' });
    await stopQuietly(xmpp);
  });

  it('refuses authentication before STARTTLS and offers only STARTTLS', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    const features = await raw.waitFor(/<\/stream:features>/);
    expect(features).toContain('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>');
    expect(features).not.toContain('mechanisms');
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0alice\0correct horse battery').toString('base64')}</auth>`);
    const answer = await raw.waitFor(/<\/failure>/);
    expect(answer).toContain('<encryption-required/>');
    raw.destroy();
  });

  it('refuses stanzas before authentication with a not-authorized stream error', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    await raw.waitFor(/<\/stream:features>/);
    raw.send(`<message to='bob@localhost'><body>hi</body></message>`);
    const rest = await raw.waitForClose();
    expect(rest).toContain('<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });
});

describe('stream errors', () => {
  it('closes a stream with malformed XML and keeps serving others', async () => {
    const bob = await t.connect('bob');
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    await raw.waitFor(/<\/stream:features>/);
    raw.send('<iq type="get" id="1"><query></iq>');
    const rest = await raw.waitForClose();
    expect(rest).toContain('<not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
    expect(rest).toContain('</stream:stream>');

    const pong = await bob.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong.attrs.type).toBe('result');
    await stopQuietly(bob);
  });

  it('answers a stream to another domain with host-unknown', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream('example.org');
    const rest = await raw.waitForClose();
    expect(rest).toContain('<stream:stream');
    expect(rest).toContain('<host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('refuses a DOCTYPE with restricted-xml', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.send(`<?xml version='1.0'?><!DOCTYPE foo [<!ENTITY a "aaaa">]><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`);
    const rest = await raw.waitForClose();
    expect(rest).toMatch(/restricted-xml|not-well-formed/);
  });

  it('closes a stream whose stanza exceeds the size limit with policy-violation', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    await raw.waitFor(/<\/stream:features>/);
    raw.send(`<message><body>${'x'.repeat(t.config.limits.maxStanzaBytes + 10)}</body></message>`);
    const rest = await raw.waitForClose();
    expect(rest).toContain('<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });
});

describe('direct TLS (XEP-0368)', () => {
  it('speaks XMPP right after the TLS handshake, with ALPN xmpp-client', async () => {
    const raw = await RawClient.directTls(t.port('c2sTls'), { alpn: ['xmpp-client'] });
    expect((raw.socket as import('node:tls').TLSSocket).alpnProtocol).toBe('xmpp-client');
    raw.openStream();
    const features = await raw.waitFor(/<\/stream:features>/);
    expect(features).toContain('<mechanism>SCRAM-SHA-256</mechanism>');
    expect(features).not.toContain('starttls');
    raw.destroy();
  });

  it('negotiates TLS 1.2 or newer only', async () => {
    const raw = await RawClient.directTls(t.port('c2sTls'));
    expect(['TLSv1.2', 'TLSv1.3']).toContain((raw.socket as import('node:tls').TLSSocket).getProtocol());
    raw.destroy();
  });
});

describe('resource binding', () => {
  it('binds two resources of one account at once', async () => {
    const phone = await t.connect('alice', { resource: 'phone' });
    const laptop = await t.connect('alice', { resource: 'laptop' });
    expect(phone.jid?.toString()).toBe('alice@localhost/phone');
    expect(laptop.jid?.toString()).toBe('alice@localhost/laptop');
    expect(t.server.sessions.sessionsOf('alice')).toHaveLength(2);
    await stopQuietly(phone);
    await stopQuietly(laptop);
  });

  it('gives a different resource when the requested one is taken', async () => {
    const first = await t.connect('bob', { resource: 'desk' });
    const second = await t.connect('bob', { resource: 'desk' });
    expect(first.jid?.resource).toBe('desk');
    expect(second.jid?.resource).not.toBe('desk');
    expect(second.jid?.resource.startsWith('desk')).toBe(true);
    await stopQuietly(first);
    await stopQuietly(second);
  });
});

describe('channel binding', () => {
  it('authenticates with SCRAM-SHA-256-PLUS bound to the TLS 1.3 session (tls-exporter)', async () => {
    const raw = await RawClient.directTls(t.port('c2sTls'));
    const socket = raw.socket as import('node:tls').TLSSocket;
    expect(socket.getProtocol()).toBe('TLSv1.3');
    raw.openStream();
    const features = await raw.waitFor(/<\/stream:features>/);
    expect(features).toContain('<mechanism>SCRAM-SHA-256-PLUS</mechanism>');
    expect(features).toContain('<channel-binding type="tls-exporter"/>');

    const cbData = socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    const mechanism = new ScramSha256Mechanism(cbData);
    const credentials = { username: 'alice', password: defaultPassword };
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>${b64(mechanism.response(credentials))}</auth>`);
    const challenge = await raw.waitFor(/<\/challenge>/);
    mechanism.challenge(Buffer.from(/<challenge[^>]*>([^<]+)</.exec(challenge)![1]!, 'base64').toString());
    raw.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(mechanism.response(credentials))}</response>`);
    const success = await raw.waitFor(/<\/success>|<\/failure>/);
    const additional = Buffer.from(/<success[^>]*>([^<]+)</.exec(success)?.[1] ?? '', 'base64').toString();
    expect(additional).toBe(`v=${mechanism.serverSignature}`);
    raw.destroy();
  });

  it('refuses SCRAM-SHA-256-PLUS with channel-binding data from another connection', async () => {
    const raw = await RawClient.directTls(t.port('c2sTls'));
    raw.openStream();
    await raw.waitFor(/<\/stream:features>/);
    const mechanism = new ScramSha256Mechanism(Buffer.alloc(32, 7));
    const credentials = { username: 'alice', password: defaultPassword };
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>${b64(mechanism.response(credentials))}</auth>`);
    const challenge = await raw.waitFor(/<\/challenge>/);
    mechanism.challenge(Buffer.from(/<challenge[^>]*>([^<]+)</.exec(challenge)![1]!, 'base64').toString());
    raw.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(mechanism.response(credentials))}</response>`);
    const failure = await raw.waitFor(/<\/failure>/);
    expect(failure).toContain('<not-authorized/>');
    raw.destroy();
  });
});

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

