// XMPP over BOSH (XEP-0124, XEP-0206) against the real server over real HTTPS, with a small BOSH
// client (test/support/bosh-client.ts) that lets each test choose rids, attributes and payloads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoshClient, boshHttp, httpbindNs, parseBody, xboshNs } from '../../support/bosh-client.js';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, roundTrip } from '../../support/stanzas.js';

const smNs = 'urn:xmpp:sm:3';
const maxStanzaBytes = 10_000;
const inactivitySeconds = 2;

let t: TestServer;
const clients: BoshClient[] = [];
beforeAll(async () => {
  t = await startTestServer({ limits: { maxStanzaBytes }, bosh: { maxWaitSeconds: 10, inactivitySeconds, maxPauseSeconds: 30 } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await t.stop();
});

async function session(options: Parameters<typeof BoshClient.create>[1] = {}): Promise<BoshClient> {
  const client = await BoshClient.create(t, options);
  clients.push(client);
  return client;
}

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

function isChat(body: string) {
  return (stanza: { is(name: string): boolean; getChildText(name: string): string | null }) => stanza.is('message') && stanza.getChildText('body') === body;
}

async function until(condition: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function condition(text: string): string | undefined {
  const body = parseBody(text);
  expect(body.attrs.type).toBe('terminate');
  return body.attrs.condition;
}

describe('sessions', () => {
  it('creates a session with the negotiated attributes and the stream features', async () => {
    const client = await session({ wait: 60, hold: 2, ver: '1.6' });
    const { attrs } = client.creation;
    expect(attrs.sid).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    expect(attrs.wait).toBe('10'); // the server's maximum, below the 60 asked for
    expect(attrs.hold).toBe('1');
    expect(attrs.requests).toBe('2');
    expect(attrs.inactivity).toBe(String(inactivitySeconds));
    expect(attrs.polling).toBe('2');
    expect(attrs.maxpause).toBe('30');
    expect(attrs.ver).toBe('1.6'); // the lower of the two versions
    expect(attrs.from).toBe(domain);
    expect(attrs['xmpp:version']).toBe('1.0');
    expect(attrs['xmlns:xmpp']).toBe(xboshNs);
    expect(attrs['xmpp:restartlogic']).toBe('true');
    const features = client.creation.getChild('features', 'http://etherx.jabber.org/streams')!;
    const mechanisms = features.getChild('mechanisms', 'urn:ietf:params:xml:ns:xmpp-sasl')!.getChildren('mechanism').map((m) => m.getText());
    expect(mechanisms).toContain('PLAIN');
    expect(features.getChild('starttls')).toBeUndefined();
  });

  it('gives every session a different sid', async () => {
    const [a, b] = await Promise.all([session(), session()]);
    expect(a.sid).not.toBe(b.sid);
  });

  it('answers a CORS preflight and marks its answers readable from any origin', async () => {
    const preflight = await boshHttp(t, {
      method: 'OPTIONS',
      headers: { Origin: 'https://web.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain('content-type');
    const post = await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='1' sid='nope'/>`, headers: { Origin: 'https://web.example' } });
    expect(post.headers['access-control-allow-origin']).toBe('*');
    expect(post.headers['content-type']).toBe('text/xml; charset=utf-8');
  });

  it('tells a GET that only POST is served', async () => {
    const answer = await boshHttp(t, { method: 'GET' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST, OPTIONS');
  });

  it('signs in, restarts, binds and exchanges messages with a TCP client', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await session();
    const before = t.server.status().sessions;
    const features = await client.authenticate(alice);
    expect(features).toContain('urn:ietf:params:xml:ns:xmpp-bind');
    const bound = await client.request(`<iq type='set' id='bind' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>`);
    expect(bound).toContain(`<jid>${bare(alice)}/web</jid>`);
    expect(t.server.status().sessions).toBe(before + 1);
    await client.request(`<presence xmlns='jabber:client'/>`);

    const tcp = await login(t, bob);
    const toTcp = nextStanza(tcp, isChat('from the browser'));
    await client.request(`<message xmlns='jabber:client' type='chat' to='${bare(bob)}'><body>from the browser</body></message>`);
    expect((await toTcp).attrs.from).toBe(`${bare(alice)}/web`);

    await tcp.send(chat(`${bare(alice)}/web`, 'from the phone'));
    expect(await client.waitFor(/from the phone/)).toContain(`from="${bare(bob)}/${tcp.jid!.resource}"`);
    await stopQuietly(tcp);
  });

  it('holds an empty request until there is something to send', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await session({ wait: 10 });
    await client.login(alice, 'web');
    const tcp = await login(t, bob);
    const started = Date.now();
    const poll = client.request();
    setTimeout(() => void tcp.send(chat(`${bare(alice)}/web`, 'worth the wait')), 300);
    const text = await poll;
    expect(text).toContain('worth the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
    await stopQuietly(tcp);
  });

  it("answers an empty request with an empty body after 'wait' seconds", async () => {
    const client = await session({ wait: 1 });
    const started = Date.now();
    const text = await client.request();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(text).toBe(`<body xmlns='${httpbindNs}'/>`);
  });

  it('takes requests in rid order whatever order they arrive in', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await session();
    await client.login(alice, 'web');
    const tcp = await login(t, bob);
    const received: string[] = [];
    tcp.on('stanza', (stanza) => {
      if (stanza.is('message')) received.push(stanza.getChildText('body') ?? '');
    });
    const message = (body: string) => `<message xmlns='jabber:client' type='chat' to='${bare(bob)}'><body>${body}</body></message>`;
    const second = client.requestWithRid(client.rid + 2, message('second'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const first = client.requestWithRid(client.rid + 1, message('first'));
    client.rid += 2;
    await Promise.all([first, second]);
    await roundTrip(tcp);
    expect(received).toEqual(['first', 'second']);
    await stopQuietly(tcp);
  });

  it('sends the same response again for a repeated rid (XEP-0124 §14.3)', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await session();
    await client.login(alice, 'web');
    const ping = `<iq type='get' id='again' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`;
    const original = await client.request(ping);
    expect(original).toContain('id="again"');
    const repeated = await client.requestWithRid(client.rid, ping);
    expect(repeated).toBe(original);
    // The session goes on.
    expect(await client.request(`<iq type='get' id='after' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`)).toContain('id="after"');
  });

  it('ends a session the client terminates, after delivering its payload', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await session();
    await client.login(alice, 'web');
    const tcp = await login(t, bob);
    const toTcp = nextStanza(tcp, isChat('goodbye'));
    const text = await client.terminate(`<message xmlns='jabber:client' type='chat' to='${bare(bob)}'><body>goodbye</body></message>`);
    expect(condition(text)).toBeUndefined();
    await toTcp;
    expect(t.server.sessions.get(alice, 'web')).toBeUndefined();
    expect(condition(await client.request())).toBe('item-not-found');
    await stopQuietly(tcp);
  });

  it('ends a session whose client stops asking, after the inactivity period', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await session({ wait: 1 });
    await client.login(alice, 'web');
    expect(t.server.sessions.get(alice, 'web')).toBeDefined();
    await until(() => t.server.sessions.get(alice, 'web') === undefined);
    expect(condition(await client.request())).toBe('item-not-found');
  });

  it('keeps a paused session beyond the inactivity period (XEP-0124 §10)', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await session({ wait: 5 });
    await client.login(alice, 'web');
    const started = Date.now();
    const held = client.request();
    const paused = await client.request('', { pause: '10' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(paused).toBe(`<body xmlns='${httpbindNs}'/>`);
    await held;
    await new Promise((resolve) => setTimeout(resolve, (inactivitySeconds + 1) * 1000));
    expect(t.server.sessions.get(alice, 'web')?.connected).toBe(true);
    expect(await client.request(`<iq type='get' id='back' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`)).toContain('id="back"');
  });

  it('resumes the stream (XEP-0198) in a new session after the old one went idle', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const first = await session({ wait: 1 });
    await first.login(alice, 'web');
    const enabled = await first.request(`<enable xmlns='${smNs}' resume='true'/>`);
    const id = /<enabled [^>]*id="([^"]+)"/.exec(enabled.includes('<enabled') ? enabled : await first.waitFor(/<enabled /))![1]!;
    await first.request(`<presence xmlns='jabber:client'/>`);
    const tcp = await login(t, bob);
    await tcp.send(chat(`${bare(alice)}/web`, 'before the tunnel'));
    await first.waitFor(/before the tunnel/);
    // The phone goes into a tunnel: no more requests.
    const waiting = t.server.sessions.get(alice, 'web')!;
    await until(() => waiting.connected === false);
    await tcp.send(chat(`${bare(alice)}/web`, 'in the tunnel'));
    await roundTrip(tcp);

    const second = await session();
    await second.authenticate(alice);
    const resumed = await second.request(`<resume xmlns='${smNs}' previd='${id}' h='0'/>`);
    const text = /in the tunnel/.test(resumed) ? resumed : resumed + (await second.waitFor(/in the tunnel/));
    expect(text).toMatch(new RegExp(`<resumed xmlns="${smNs}" h="\\d+" previd="${id}"/>`));
    expect(text).toContain('before the tunnel');
    expect(t.server.sessions.get(alice, 'web')).toBe(waiting);
    expect(waiting.connected).toBe(true);
    expect(t.server.storage.offline.count(alice)).toBe(0);
    await stopQuietly(tcp);
  });
});

describe('terminal binding errors (XEP-0124 §17.2)', () => {
  it('answers an unknown sid with item-not-found', async () => {
    const answer = await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='42' sid='no-such-session'/>` });
    expect(answer.status).toBe(200);
    expect(condition(answer.text)).toBe('item-not-found');
  });

  it('ends the session on a rid beyond the window with item-not-found', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await session();
    await client.login(alice, 'web');
    expect(condition(await client.requestWithRid(client.rid + 5))).toBe('item-not-found');
    await until(() => t.server.sessions.get(alice, 'web') === undefined);
  });

  it('ends the session on a repeated rid whose response is no longer kept', async () => {
    const client = await session();
    const oldest = client.rid;
    await client.request();
    await client.request(`<iq type='get' id='x' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await client.request(`<iq type='get' id='y' to='${domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(condition(await client.requestWithRid(oldest))).toBe('item-not-found');
    expect(condition(await client.request())).toBe('item-not-found');
  });

  it('answers a body that is not well-formed XML with bad-request', async () => {
    const answer = await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='1' to='${domain}'><message></body>` });
    expect(condition(answer.text)).toBe('bad-request');
  });

  it('answers a request that is not a <body/> with bad-request', async () => {
    expect(condition((await boshHttp(t, { body: `<message xmlns='jabber:client'/>` })).text)).toBe('bad-request');
    expect(condition((await boshHttp(t, { body: '' })).text)).toBe('bad-request');
    expect(condition((await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='1'/>trailing` })).text)).toBe('bad-request');
  });

  it('answers a creation request without a rid or wait with bad-request', async () => {
    expect(condition((await boshHttp(t, { body: `<body xmlns='${httpbindNs}' to='${domain}' wait='5' hold='1'/>` })).text)).toBe('bad-request');
    expect(condition((await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='7' to='${domain}' hold='1'/>` })).text)).toBe('bad-request');
  });

  it('refuses a creation request without a domain or for another one', async () => {
    expect(condition((await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='7' wait='5' hold='1'/>` })).text)).toBe('improper-addressing');
    expect(condition((await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='7' to='elsewhere.example' wait='5' hold='1'/>` })).text)).toBe('host-unknown');
  });

  it('refuses a body larger than the limit with policy-violation', async () => {
    const client = await session();
    const big = `<message xmlns='jabber:client' to='${domain}'><body>${'x'.repeat(maxStanzaBytes + 10_000)}</body></message>`;
    expect(condition(await client.request(big))).toBe('policy-violation');
  });

  it('ends a session whose client sends empty requests faster than the polling interval', async () => {
    const client = await session({ wait: 5 });
    const first = client.request();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(condition(await client.request())).toBe('policy-violation');
    expect(condition(await first)).toBe('policy-violation');
  });

  it('refuses a pause longer than maxpause with policy-violation', async () => {
    const client = await session();
    expect(condition(await client.request('', { pause: '31' }))).toBe('policy-violation');
  });

  it('refuses a restart that does not follow authentication with bad-request', async () => {
    const client = await session();
    expect(condition(await client.request('', { 'xmpp:restart': 'true' }))).toBe('bad-request');
  });

  it('carries a stream error in a remote-stream-error body (XEP-0206 §6)', async () => {
    const client = await session();
    const text = await client.request(`<message xmlns='jabber:client' to='${domain}'><body>too early</body></message>`);
    expect(condition(text)).toBe('remote-stream-error');
    const error = parseBody(text).getChild('error', 'http://etherx.jabber.org/streams')!;
    expect(error.getChild('not-authorized', 'urn:ietf:params:xml:ns:xmpp-streams')).toBeDefined();
  });

  it('ends the stream with policy-violation for a stanza larger than the limit', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await session();
    await client.login(alice, 'web');
    const text = await client.request(`<message xmlns='jabber:client' to='${bare(alice)}'><body>${'x'.repeat(maxStanzaBytes)}</body></message>`);
    expect(condition(text)).toBe('remote-stream-error');
    expect(text).toContain('<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
  });

  it('answers a body with restricted XML (a comment) with bad-request', async () => {
    const answer = await boshHttp(t, { body: `<body xmlns='${httpbindNs}' rid='9' to='${domain}' wait='5' hold='1'><!-- hi --></body>` });
    expect(condition(answer.text)).toBe('bad-request');
  });
});
