// Issue 11, "limits": each limit of the config's `limits` section enforced by the real server over
// real sockets, with small values so a test reaches them quickly. Connections over their byte rate
// are slowed down, not dropped; the rest are refused with the RFC 6120 condition that fits.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../support/raw-client.js';
import { openSecureStream, rawAuthenticate, rawIq, rawLogin } from '../support/raw-streams.js';
import { defaultPassword, startTestServer, stopQuietly, xml, type TestServer } from '../support/server.js';
import { bare, errorCondition, login, record, roundTrip, rosterNs, settle } from '../support/stanzas.js';

const streamErrors = 'urn:ietf:params:xml:ns:xmpp-streams';
const bindNs = 'urn:ietf:params:xml:ns:xmpp-bind';

describe('limits on accounts', () => {
  let t: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestServer({ limits: { maxResourcesPerAccount: 2, maxRosterItems: 3, maxOfflineMessages: 2 } });
    for (const name of ['nana', 'pops', 'kid', 'away']) t.addUser(name);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => stopQuietly(c)));
    await t.stop();
  });

  it('refuses to bind a resource beyond limits.maxResourcesPerAccount with resource-constraint', async () => {
    clients.push(await login(t, 'nana', { resource: 'phone' }), await login(t, 'nana', { resource: 'tablet' }));
    const { raw } = await rawAuthenticate(t.port('c2s'), 'nana', defaultPassword);
    try {
      const answer = await rawIq(raw, 'bind', `<iq type='set' id='bind'><bind xmlns='${bindNs}'><resource>laptop</resource></bind></iq>`);
      // RFC 6120 §7.6.2.2: the account may not bind more resources right now.
      expect(answer.attrs.type).toBe('error');
      expect(answer.getChild('error')?.attrs.type).toBe('wait');
      expect(answer.getChild('error')?.getChild('resource-constraint')).toBeDefined();
      expect(t.server.sessions.sessionsOf('nana')).toHaveLength(2);
    } finally {
      raw.destroy();
    }
  });

  it('refuses a roster item beyond limits.maxRosterItems with resource-constraint, and still changes existing ones', async () => {
    const pops = await login(t, 'pops');
    clients.push(pops);
    const set = (jid: string, name?: string) =>
      pops.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: rosterNs }, xml('item', { jid, ...(name ? { name } : {}) })))).then(
        () => 'ok',
        (error: unknown) => (error as { condition?: string }).condition,
      );
    for (const contact of ['a@elsewhere.example', 'b@elsewhere.example', 'c@elsewhere.example']) expect(await set(contact)).toBe('ok');
    expect(await set('d@elsewhere.example')).toBe('resource-constraint');
    expect(await set('a@elsewhere.example', 'Auntie A')).toBe('ok');
    expect(t.server.storage.roster.listedCount('pops')).toBe(3);
  });

  it('refuses offline messages beyond limits.maxOfflineMessages with resource-constraint', async () => {
    const kid = await login(t, 'kid');
    clients.push(kid);
    const errors = record(kid, (s) => s.is('message') && s.attrs.type === 'error');
    for (let i = 1; i <= 3; i++) await kid.send(xml('message', { to: bare('away'), type: 'chat', id: `m${i}` }, xml('body', {}, `note ${i}`)));
    await settle(kid);
    expect(t.server.storage.offline.count('away')).toBe(2);
    expect(errors.stanzas.map((s) => [s.attrs.id, errorCondition(s)])).toEqual([['m3', 'resource-constraint']]);
  });
});

describe('limits on streams', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ limits: { maxStanzaBytes: 10_000, authTimeoutSeconds: 5 } });
    t.addUser('nana');
  });
  afterAll(() => t.stop());

  it('closes a signed-in stream with policy-violation when a stanza is over limits.maxStanzaBytes', async () => {
    const raw = await rawLogin(t.port('c2s'), 'nana', defaultPassword, 'phone');
    raw.send(`<message to='${bare('nana')}'><body>${'x'.repeat(12_000)}</body></message>`);
    const rest = await raw.waitForClose();
    expect(rest).toContain(`<policy-violation xmlns="${streamErrors}"/>`);
    expect(rest).toContain('a stanza is larger than the limit of 10000 bytes');
  });

  it('takes a stanza just under limits.maxStanzaBytes', async () => {
    const raw = await rawLogin(t.port('c2s'), 'nana', defaultPassword, 'phone2');
    try {
      raw.send(`<message to='${bare('nana')}/phone2' id='big'><body>${'y'.repeat(9_000)}</body></message>`);
      const answer = await rawIq(raw, 'ping', `<iq type='get' id='ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      expect(answer.attrs.type).toBe('result');
      expect(raw.closed).toBe(false);
    } finally {
      raw.destroy();
    }
  });

  it('closes a connection that has not signed in after limits.authTimeoutSeconds with connection-timeout', { timeout: 15_000 }, async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const started = Date.now();
    const rest = await raw.waitForClose(10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    expect(rest).toContain(`<connection-timeout xmlns="${streamErrors}"/>`);
  });
});

describe('the limit on connections signing in', () => {
  let t: TestServer;

  beforeAll(async () => {
    // Its own server: the connections of other tests would count against so small a limit.
    t = await startTestServer({ limits: { maxUnauthenticatedConnections: 2 } });
    t.addUser('nana');
  });
  afterAll(() => t.stop());

  it('refuses a connection beyond limits.maxUnauthenticatedConnections, and admits one again once another signs in', async () => {
    const waiting = [await RawClient.plain(t.port('c2s')), await RawClient.plain(t.port('c2s'))];
    try {
      for (const raw of waiting) {
        raw.openStream();
        await raw.waitFor(/<\/stream:features>/);
      }
      const refused = await RawClient.plain(t.port('c2s'));
      const text = await refused.waitForClose();
      expect(text).toContain(`<policy-violation xmlns="${streamErrors}"/>`);
      expect(text).toContain('too many connections are signing in');

      // One of the two signs in: it no longer counts.
      const first = waiting[0]!;
      first.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      await first.waitFor(/<proceed[^>]*\/>/);
      await first.startTls();
      first.openStream();
      await first.waitFor(/<\/stream:features>/);
      first.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0nana\0${defaultPassword}`).toString('base64')}</auth>`);
      await first.waitFor(/<success/);
      const admitted = await RawClient.plain(t.port('c2s'));
      waiting.push(admitted);
      admitted.openStream();
      expect(await admitted.waitFor(/<\/stream:features>/)).toContain('<starttls');
    } finally {
      for (const raw of waiting) raw.destroy();
    }
  });
});

describe('byte rates', () => {
  let t: TestServer;

  beforeAll(async () => {
    // A burst of twice the rate (at least one largest stanza) goes through at once; the rest at the rate.
    t = await startTestServer({ limits: { maxStanzaBytes: 10_000, c2sBytesPerSecond: 10_000, s2sBytesPerSecond: 10_000 } });
    t.addUser('nana');
    t.addUser('pops');
  });
  afterAll(() => t.stop());

  it('slows a client sending faster than limits.c2sBytesPerSecond, and delivers everything it sent', { timeout: 20_000 }, async () => {
    const nana = await login(t, 'nana');
    const pops = await login(t, 'pops');
    try {
      const received = record(pops, (s) => s.is('message') && s.attrs.type === 'chat');
      const started = Date.now();
      // 14 messages of about 3 kB: 42 kB, some 22 kB over the burst.
      for (let i = 0; i < 14; i++) await nana.send(xml('message', { to: bare('pops'), type: 'chat' }, xml('body', {}, `${i} ${'z'.repeat(3_000)}`)));
      await roundTrip(nana);
      const elapsed = Date.now() - started;
      await settle(pops);
      expect(elapsed).toBeGreaterThanOrEqual(1_500);
      expect(received.stanzas.map((s) => s.getChildText('body')!.split(' ')[0])).toEqual(Array.from({ length: 14 }, (_, i) => String(i)));
      // Slowed, not dropped: the same session goes on.
      expect(t.server.sessions.sessionsOf('nana')).toHaveLength(1);
      await roundTrip(nana);
    } finally {
      await stopQuietly(nana);
      await stopQuietly(pops);
    }
  });

  it('slows another server sending faster than limits.s2sBytesPerSecond, and keeps its stream open', { timeout: 20_000 }, async () => {
    const raw = await RawClient.plain(t.port('s2s'));
    try {
      raw.send(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='peer.example' to='localhost' version='1.0'>`,
      );
      await raw.waitFor(/<\/stream:features>/);
      const started = Date.now();
      // Whitespace between stanzas is allowed anywhere (RFC 6120 §4.6.1): 42 kB of it, then STARTTLS.
      raw.send(' '.repeat(42_000));
      // Read apart from the whitespace, once the server is in debt for it.
      await new Promise((resolve) => setTimeout(resolve, 100));
      raw.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      await raw.waitFor(/<proceed[^>]*\/>/, 15_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    } finally {
      raw.destroy();
    }
  });
});
