// XEP-0198 with raw clients, so the test decides exactly what is acknowledged and when the
// connection dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAuthenticate, rawLogin } from '../../support/raw-streams.js';
import { connectClient, defaultPassword, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, roundTrip } from '../../support/stanzas.js';

const smNs = 'urn:xmpp:sm:3';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

async function enableResumable(raw: Awaited<ReturnType<typeof rawLogin>>): Promise<string> {
  raw.send(`<enable xmlns='${smNs}' resume='true'/>`);
  const enabled = await raw.waitFor(/<enabled [^>]*\/>/);
  return /id="([^"]+)"/.exec(enabled)![1]!;
}

describe('acknowledgements', () => {
  it('offers stream management after authentication', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { raw, features } = await rawAuthenticate(t.port('c2s'), alice, defaultPassword);
    expect(features).toContain(`<sm xmlns="${smNs}"/>`);
    raw.destroy();
  });

  it('refuses to enable before a resource is bound', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { raw } = await rawAuthenticate(t.port('c2s'), alice, defaultPassword);
    raw.send(`<enable xmlns='${smNs}'/>`);
    expect(await raw.waitFor(/<\/failed>/)).toContain('<unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    raw.destroy();
  });

  it('enables resumption with an id and the resume timeout', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await rawLogin(t.port('c2s'), alice, defaultPassword, 'phone');
    raw.send(`<enable xmlns='${smNs}' resume='true'/>`);
    const enabled = await raw.waitFor(/<enabled [^>]*\/>/);
    expect(enabled).toMatch(/resume="true"/);
    expect(enabled).toContain(`max="${t.config.streamManagement.resumeTimeoutSeconds}"`);
    raw.destroy();
  });

  it('answers a request with the number of stanzas it handled', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await rawLogin(t.port('c2s'), alice, defaultPassword, 'phone');
    raw.send(`<enable xmlns='${smNs}'/>`);
    await raw.waitFor(/<enabled [^>]*\/>/);
    raw.send(`<presence/><iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><r xmlns='${smNs}'/>`);
    expect(await raw.waitFor(/<a [^>]*\/>/)).toContain('h="2"');
    raw.destroy();
  });

  it('asks the client to acknowledge what it was sent', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const raw = await rawLogin(t.port('c2s'), bob, defaultPassword, 'phone');
    raw.send(`<enable xmlns='${smNs}'/><presence/>`);
    await raw.waitFor(/<enabled [^>]*\/>/);
    const a = await login(t, alice);
    await a.send(chat(`${bare(bob)}/phone`, 'ack me'));
    const received = await raw.waitFor(/<r xmlns="urn:xmpp:sm:3"\/>/);
    expect(received).toContain('ack me');
    raw.destroy();
    await stopQuietly(a);
  });

  it('closes the stream when the client acknowledges stanzas never sent', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const raw = await rawLogin(t.port('c2s'), alice, defaultPassword, 'phone');
    raw.send(`<enable xmlns='${smNs}'/>`);
    await raw.waitFor(/<enabled [^>]*\/>/);
    raw.send(`<a xmlns='${smNs}' h='5'/>`);
    const rest = await raw.waitForClose();
    expect(rest).toContain('<handled-count-too-high xmlns="urn:xmpp:sm:3" h="5" send-count="0"/>');
  });
});

describe('resumption', () => {
  it('redelivers unacknowledged messages exactly once after a killed socket', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const first = await rawLogin(t.port('c2s'), bob, defaultPassword, 'phone');
    const id = await enableResumable(first);
    first.send('<presence/>');
    const a = await login(t, alice);
    await a.send(chat(`${bare(bob)}/phone`, 'before the tunnel'));
    await first.waitFor(/before the tunnel/);
    first.destroy();
    // Wait until the server has noticed, then send while the session waits.
    const deadline = Date.now() + 5000;
    while (t.server.sessions.get(bob, 'phone')?.connected !== false && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(t.server.sessions.get(bob, 'phone')?.connected).toBe(false);
    await a.send(chat(bare(bob), 'in the tunnel'));
    await roundTrip(a);

    const { raw: second } = await rawAuthenticate(t.port('c2s'), bob, defaultPassword);
    second.send(`<resume xmlns='${smNs}' previd='${id}' h='0'/>`);
    const resumed = await second.waitFor(/in the tunnel/);
    expect(resumed).toMatch(new RegExp(`<resumed xmlns="${smNs}" h="1" previd="${id}"/>`));
    expect(count(resumed, 'before the tunnel')).toBe(1);
    expect(count(resumed, 'in the tunnel')).toBe(1);
    // Acknowledged now: nothing is sent again, nothing goes offline.
    second.send(`<a xmlns='${smNs}' h='2'/><r xmlns='${smNs}'/>`);
    const after = await second.waitFor(/<a [^>]*\/>/);
    expect(after).not.toContain('tunnel');
    expect(t.server.storage.offline.count(bob)).toBe(0);
    second.destroy();
    await stopQuietly(a);
  });

  it('refuses to resume an unknown session', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const { raw } = await rawAuthenticate(t.port('c2s'), alice, defaultPassword);
    raw.send(`<resume xmlns='${smNs}' previd='no-such-session' h='0'/>`);
    expect(await raw.waitFor(/<\/failed>/)).toContain('<item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>');
    raw.destroy();
  });

  it('refuses to resume another account\'s session', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const first = await rawLogin(t.port('c2s'), bob, defaultPassword, 'phone');
    const id = await enableResumable(first);
    const { raw } = await rawAuthenticate(t.port('c2s'), alice, defaultPassword);
    raw.send(`<resume xmlns='${smNs}' previd='${id}' h='0'/>`);
    expect(await raw.waitFor(/<\/failed>/)).toContain('item-not-found');
    raw.destroy();
    first.destroy();
  });
});

describe('what is not resumed', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startTestServer({ streamManagement: { resumeTimeoutSeconds: 1 } });
  });
  afterAll(() => short.stop());

  it('stores unacknowledged messages offline when the session is not resumed in time', async () => {
    const [alice, bob] = freshAccounts(short, 'alice', 'bob');
    const first = await rawLogin(short.port('c2s'), bob, defaultPassword, 'phone');
    await enableResumable(first);
    first.send('<presence/>');
    const a = await login(short, alice);
    await a.send(chat(bare(bob), 'never acknowledged'));
    await first.waitFor(/never acknowledged/);
    first.destroy();

    const deadline = Date.now() + 5000;
    while (short.server.storage.offline.count(bob) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(short.server.sessions.get(bob, 'phone')).toBeUndefined();

    const again = await login(short, bob);
    const stanza = await new Promise<string>((resolve) => {
      again.on('stanza', (s) => {
        if (s.is('message')) resolve(s.getChildText('body') ?? '');
      });
    });
    expect(stanza).toBe('never acknowledged');
    await stopQuietly(again);
    await stopQuietly(a);
  });

  it('stores unacknowledged messages offline when the client closes its stream', async () => {
    const [alice, bob] = freshAccounts(short, 'alice', 'bob');
    const first = await rawLogin(short.port('c2s'), bob, defaultPassword, 'phone');
    await enableResumable(first);
    first.send('<presence/>');
    const a = await login(short, alice);
    await a.send(chat(bare(bob), 'unread at goodbye'));
    await first.waitFor(/unread at goodbye/);
    first.send('</stream:stream>');
    await first.waitForClose();
    expect(short.server.storage.offline.count(bob)).toBe(1);
    await stopQuietly(a);
  });

  it('unbinds at once a session that did not enable resumption', async () => {
    const [bob] = freshAccounts(short, 'bob');
    const raw = await rawLogin(short.port('c2s'), bob, defaultPassword, 'flaky');
    expect(short.server.sessions.get(bob, 'flaky')).toBeDefined();
    raw.destroy();
    const deadline = Date.now() + 5000;
    while (short.server.sessions.get(bob, 'flaky') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(short.server.sessions.get(bob, 'flaky')).toBeUndefined();
  });
});

describe('the unacknowledged limit', () => {
  it('keeps a session that acknowledges a burst bigger than maxUnackedStanzas once asked', async () => {
    // Found by test/server/durability.test.ts: offline messages and an archive page arrive in
    // one burst, and the session was closed at the limit before the client could acknowledge.
    const small = await startTestServer({ streamManagement: { maxUnackedStanzas: 10 } });
    try {
      small.addUser('alice');
      for (let i = 0; i < 25; i++) {
        small.server.storage.offline.store('alice', `<message xmlns="jabber:client" from="bob@localhost" to="alice@localhost" type="chat" id="o${i}"><body>${i}</body></message>`);
      }
      const alice = connectClient(small.port('c2s'), 'alice');
      const received = record(alice, (s) => s.is('message'));
      const streamErrors = record(alice, () => false);
      alice.on('nonza', (nonza) => {
        if (nonza.name === 'stream:error') streamErrors.stanzas.push(nonza);
      });
      await alice.start();
      // The burst must come after <enabled/>, which the client may still be waiting for.
      for (let i = 0; i < 100 && !alice.streamManagement.enabled; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await alice.send(xml('presence'));
      await roundTrip(alice);
      expect(received.stanzas).toHaveLength(25);
      // Past the moment the old limit would have struck, and past the next ack request.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await roundTrip(alice);
      expect(streamErrors.stanzas).toEqual([]);
      await stopQuietly(alice);
    } finally {
      await small.stop();
    }
  });
});
