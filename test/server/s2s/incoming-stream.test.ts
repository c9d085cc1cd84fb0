// Streams other servers open to Hearth, spoken by hand: TLS before anything, SASL EXTERNAL only
// for a certificate that names the claimed domain, dialback keys answered, and the addresses of
// every stanza checked against what the stream authenticated (RFC 6120 §4.9.3, §8.1; XEP-0178; XEP-0220).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialbackKeys } from '../../../server/s2s/dialback-key.js';
import { removeCertificates, serverCertificate, startFederatedServer } from '../../support/federation.js';
import { freeTcpPort } from '../../support/prosody.js';
import { RawClient } from '../../support/raw-client.js';
import { nextStanza, type TestServer } from '../../support/server.js';

const home = 'home-i.test';
const peer = 'peer-i.test';

function header(from: string | undefined, to: string): string {
  return `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'${from ? ` from='${from}'` : ''} to='${to}' version='1.0'>`;
}

describe('an incoming server stream', () => {
  let t: TestServer;
  let peerCertificate: { certFile: string; keyFile: string };
  const raws: RawClient[] = [];

  beforeAll(async () => {
    // Answers to the peer go out on a link of Hearth's own, to a port where nothing listens.
    t = await startFederatedServer({ domain: home, s2s: { routes: { [peer]: `127.0.0.1:${await freeTcpPort()}` } } });
    t.addUser('alice');
    peerCertificate = await serverCertificate(peer);
  });
  afterAll(async () => {
    for (const raw of raws) raw.destroy();
    await t?.stop();
    removeCertificates();
  });

  async function plain(from: string | undefined = peer, to = home): Promise<{ raw: RawClient; features: string }> {
    const raw = await RawClient.plain(t.port('s2s'));
    raws.push(raw);
    raw.send(header(from, to));
    const features = await raw.waitFor(/<\/stream:features>|<\/stream:stream>/);
    return { raw, features };
  }

  async function secured(options: { from?: string; certificate?: boolean } = {}): Promise<{ raw: RawClient; features: string }> {
    const from = options.from ?? peer;
    const { raw } = await plain(from);
    raw.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    await raw.waitFor(/<proceed[^>]*\/>/);
    await raw.startTls({ servername: home, ...(options.certificate === false ? {} : { clientCertificate: peerCertificate }) });
    raw.send(header(from, home));
    const features = await raw.waitFor(/<\/stream:features>/);
    return { raw, features };
  }

  async function authenticated(): Promise<RawClient> {
    const { raw, features } = await secured();
    expect(features).toContain('<mechanism>EXTERNAL</mechanism>');
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>${Buffer.from(peer).toString('base64')}</auth>`);
    await raw.waitFor(/<success[^>]*\/>/);
    raw.send(header(peer, home));
    await raw.waitFor(/<stream:features\/>|<\/stream:features>/);
    return raw;
  }

  it('offers nothing but STARTTLS, required, before TLS', async () => {
    const { features } = await plain();
    expect(features.slice(features.indexOf('<stream:features'))).toBe(
      '<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>',
    );
  });

  it('closes with policy-violation when anything but STARTTLS comes first', async () => {
    const { raw } = await plain();
    raw.send(`<db:result from='${peer}' to='${home}'>0123</db:result>`);
    expect(await raw.waitForClose()).toContain('<policy-violation');
  });

  it('refuses a stream for a domain it does not serve (host-unknown)', async () => {
    const { raw, features } = await plain(peer, 'elsewhere.test');
    expect(features + (await raw.waitForClose())).toContain('<host-unknown');
  });

  it('refuses a peer that claims to be this server (invalid-from)', async () => {
    const { raw, features } = await plain(home, home);
    expect(features + (await raw.waitForClose())).toContain('<invalid-from');
  });

  it('offers SASL EXTERNAL and dialback over TLS to a server whose certificate names it', async () => {
    const { features } = await secured();
    expect(features).toContain('<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>EXTERNAL</mechanism></mechanisms>');
    expect(features).toContain('<dialback xmlns="urn:xmpp:features:dialback"><errors/></dialback>');
    expect(features).not.toContain('starttls');
  });

  it('offers only dialback to a server without a client certificate, or claiming another name', async () => {
    expect((await secured({ certificate: false })).features).not.toContain('EXTERNAL');
    const other = await secured({ from: 'other-i.test' });
    expect(other.features).not.toContain('EXTERNAL');
    // Asking anyway is refused (RFC 6120 §6.5.10).
    other.raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>`);
    expect(await other.raw.waitFor(/<\/failure>/)).toContain('<not-authorized/>');
  });

  it('refuses an authorization identity other than the stream header names', async () => {
    const { raw } = await secured();
    raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>${Buffer.from('other-i.test').toString('base64')}</auth>`);
    expect(await raw.waitFor(/<\/failure>/)).toContain('<invalid-authzid/>');
  });

  it('closes with not-authorized when stanzas come before authentication', async () => {
    const { raw } = await secured();
    raw.send(`<message from='mallory@${peer}' to='alice@${home}'><body>early</body></message>`);
    expect(await raw.waitForClose()).toContain('<not-authorized');
  });

  it('delivers what an authenticated server sends, without the stanza-ids it forged in our name', async () => {
    const alice = await t.connect('alice', { mechanism: 'SCRAM-SHA-256', resource: 'phone' });
    const raw = await authenticated();
    const received = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'over s2s');
    raw.send(
      `<message from='romeo@${peer}/desk' to='alice@${home}' type='chat' id='s1'><body>over s2s</body>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' by='alice@${home}' id='forged'/><stanza-id xmlns='urn:xmpp:sid:0' by='romeo@${peer}' id='theirs'/></message>`,
    );
    const message = await received;
    expect(message.attrs.from).toBe(`romeo@${peer}/desk`);
    const ids = message.getChildren('stanza-id', 'urn:xmpp:sid:0').map((s) => `${s.attrs.by} ${s.attrs.id}`);
    expect(ids).not.toContain(`alice@${home} forged`);
    expect(ids).toContain(`romeo@${peer} theirs`);
  });

  it('keeps the stream open while its answers go out on a link of its own', async () => {
    const raw = await authenticated();
    // Streams are one-way (RFC 6120 §4.5): the result goes out on Hearth's own link, which cannot
    // be made here; the peer's stream is not affected and takes more.
    raw.send(`<iq from='romeo@${peer}/desk' to='${home}' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>`);
    raw.send(`<presence from='romeo@${peer}/desk' to='alice@${home}' type='probe'/>`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(raw.closed).toBe(false);
    const status = await t.server.control.request('status', {});
    expect(status.ok && status.value.federation?.lastErrors.map((e) => e.domain)).toContain(peer);
  });

  it('closes with invalid-from when a stanza claims a domain the stream did not authenticate', async () => {
    const raw = await authenticated();
    raw.send(`<message from='eve@elsewhere.test' to='alice@${home}'><body>spoof</body></message>`);
    expect(await raw.waitForClose()).toContain('<invalid-from');
  });

  it('closes with improper-addressing when a stanza lacks its from', async () => {
    const raw = await authenticated();
    raw.send(`<message to='alice@${home}'><body>who?</body></message>`);
    expect(await raw.waitForClose()).toContain('<improper-addressing');
  });

  it('never relays: a stanza for another server closes the stream with host-unknown', async () => {
    const raw = await authenticated();
    raw.send(`<message from='romeo@${peer}' to='juliet@third.test'><body>pass it on</body></message>`);
    expect(await raw.waitForClose()).toContain('<host-unknown');
  });

  it("answers db:verify: valid for this server's own key, invalid for any other (XEP-0220 §2.2.2)", async () => {
    const { raw } = await secured({ certificate: false });
    const key = new DialbackKeys(t.server.storage.secret('s2s-dialback')).generate(peer, home, 'stream-42');
    raw.send(`<db:verify from='${peer}' to='${home}' id='stream-42'>${key}</db:verify>`);
    expect(await raw.waitFor(/<db:verify[^>]*\/>/)).toMatch(/type="valid"/);
    raw.send(`<db:verify from='${peer}' to='${home}' id='stream-43'>${key}</db:verify>`);
    expect(await raw.waitFor(/<db:verify[^>]*\/>/)).toMatch(/type="invalid"/);
  });

  it('answers a dialback request for a domain it does not serve with an item-not-found dialback error', async () => {
    const { raw } = await secured({ certificate: false });
    raw.send(`<db:result from='${peer}' to='stranger.test'>abcd</db:result>`);
    const answer = await raw.waitFor(/<\/db:result>/);
    expect(answer).toMatch(/type="error"/);
    expect(answer).toContain('<item-not-found');
  });
});
