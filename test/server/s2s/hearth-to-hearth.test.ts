// Two Hearth servers on loopback, each with its own domain and a certificate from the test CA,
// reaching each other through s2s.routes: what a family on one server and friends on another do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, Element } from '@xmpp/client';
import { newRosterItem } from '../../../server/core/storage/roster.js';
import { capsVerification } from '../../../server/util/caps.js';
import { createRoom, groupchat, join, mucUserNs } from '../modules/muc/muc-helpers.js';
import { freeTcpPort } from '../../support/prosody.js';
import { nextStanza, xml, type TestServer } from '../../support/server.js';
import { getRoster, isPresence, nextPresence, rosterItems } from '../../support/stanzas.js';
import { recordingLogger, removeCertificates, routesTo, startFederatedServer } from '../../support/federation.js';

afterAll(removeCertificates);

const tuneNs = 'http://jabber.org/protocol/tune';

const login = (t: TestServer, username: string, resource: string) => t.connect(username, { mechanism: 'SCRAM-SHA-256', resource });

describe('federation between two Hearth servers', () => {
  let a: TestServer;
  let b: TestServer;
  const logA = recordingLogger();

  beforeAll(async () => {
    const [portA, portB] = [await freeTcpPort(), await freeTcpPort()];
    a = await startFederatedServer({ domain: 'hearth-a.test', s2sPort: portA, s2s: { routes: routesTo('hearth-b.test', portB) }, log: logA });
    b = await startFederatedServer({ domain: 'hearth-b.test', s2sPort: portB, s2s: { routes: routesTo('hearth-a.test', portA) } });
    for (const name of ['alice', 'carol', 'erin']) a.addUser(name);
    for (const name of ['bob', 'dave', 'frank']) b.addUser(name);
  });

  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('delivers chat messages both ways', async () => {
    const alice = await login(a, 'alice', 'phone');
    const bob = await login(b, 'bob', 'laptop');
    const toBob = nextStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'hello from A');
    await alice.send(xml('message', { to: 'bob@hearth-b.test', type: 'chat', id: 'm1' }, xml('body', {}, 'hello from A')));
    const atBob = await toBob;
    expect(atBob.attrs.from).toBe('alice@hearth-a.test/phone');
    expect(atBob.attrs.to).toBe('bob@hearth-b.test');
    expect(atBob.attrs.type).toBe('chat');

    const toAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'hello back');
    await bob.send(xml('message', { to: 'alice@hearth-a.test/phone', type: 'chat', id: 'm2' }, xml('body', {}, 'hello back')));
    expect((await toAlice).attrs.from).toBe('bob@hearth-b.test/laptop');
  });

  it('answers an iq across servers: version of the other server', async () => {
    const carol = await login(a, 'carol', 'phone');
    const result = await carol.iqCaller.request(xml('iq', { type: 'get', to: 'hearth-b.test' }, xml('query', { xmlns: 'jabber:iq:version' })));
    expect(result.attrs.from).toBe('hearth-b.test');
    expect(result.getChild('query', 'jabber:iq:version')?.getChildText('name')).toBe('Hearth');
  });

  it('carries the whole subscription handshake, with presence after it', async () => {
    const erin = await login(a, 'erin', 'phone');
    const frank = await login(b, 'frank', 'laptop');
    await getRoster(erin);
    await getRoster(frank);

    // RFC 6121 §3.1: erin asks, frank's server delivers the request, frank approves.
    const request = nextPresence(frank, 'erin@hearth-a.test', 'subscribe');
    await erin.send(xml('presence', { to: 'frank@hearth-b.test', type: 'subscribe' }));
    expect((await request).attrs.from).toBe('erin@hearth-a.test');

    const pushToErin = nextStanza(erin, (s) => s.is('iq') && s.getChild('query')?.getChild('item')?.attrs.subscription === 'to');
    const frankOnline = nextPresence(erin, 'frank@hearth-b.test/laptop');
    await frank.send(xml('presence', { to: 'erin@hearth-a.test', type: 'subscribed' }));
    const item = (await pushToErin).getChild('query')!.getChild('item')!;
    expect(item.attrs.jid).toBe('frank@hearth-b.test');
    // §3.1.5: the new subscriber gets the contact's presence at once.
    await frankOnline;

    const frankRoster = rosterItems(await getRoster(frank));
    expect(frankRoster.get('erin@hearth-a.test')?.attrs.subscription).toBe('from');

    // A probe on erin's next login is answered from the other server.
    const erin2 = await login(a, 'erin', 'tablet');
    await nextPresence(erin2, 'frank@hearth-b.test/laptop');
    // And frank going offline reaches erin.
    const gone = nextStanza(erin, (s) => isPresence(s, 'frank@hearth-b.test/laptop', 'unavailable'));
    await frank.send(xml('presence', { type: 'unavailable' }));
    await gone;
  });

  it('lets someone from the other server into a local group chat', async () => {
    const alice = await login(a, 'alice', 'room');
    const dave = await login(b, 'dave', 'room');
    const room = 'garden@conference.hearth-a.test';
    await createRoom(alice, room, 'Alice');

    const aliceSeesDave = nextStanza(alice, (s) => s.is('presence') && s.attrs.from === `${room}/Dave`);
    const joined = await join(dave, room, 'Dave');
    expect(joined.others.map((p) => p.attrs.from)).toContain(`${room}/Alice`);
    // The room is not anonymous: everyone sees dave's real address, on the other server.
    const item = (await aliceSeesDave).getChild('x', mucUserNs)?.getChild('item');
    expect(item?.attrs.jid).toBe('dave@hearth-b.test/room');

    const atAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'hi from B');
    await dave.send(groupchat(room, 'hi from B'));
    expect((await atAlice).attrs.from).toBe(`${room}/Dave`);

    const atDave = nextStanza(dave, (s) => s.is('message') && s.getChildText('body') === 'welcome');
    await alice.send(groupchat(room, 'welcome'));
    expect((await atDave).attrs.from).toBe(`${room}/Alice`);
  });

  it("sends a contact on the other server the PEP items its caps ask for (XEP-0163 §4)", async () => {
    // Contacts both ways, arranged in each server's roster before anyone logs in.
    a.addUser('pepa');
    b.addUser('pepb');
    a.server.storage.roster.save('pepa', { ...newRosterItem('pepb@hearth-b.test'), listed: true, subscription: 'both' }, true);
    b.server.storage.roster.save('pepb', { ...newRosterItem('pepa@hearth-a.test'), listed: true, subscription: 'both' }, true);
    const pepa = await login(a, 'pepa', 'phone');
    // pepb's caps ask for tune notifications; pepa's server asks pepb's client what they mean, across servers.
    const pepb = await b.connect('pepb', { mechanism: 'SCRAM-SHA-256', resource: 'laptop', presence: false });
    const identities = [{ category: 'client', type: 'pc', name: 'Hearth test' }];
    const features = ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/caps', `${tuneNs}+notify`];
    const ver = capsVerification({ identities, features, extensions: [] });
    const capsNode = 'https://hearth.test/client';
    let asked!: () => void;
    const capsQueried = new Promise<void>((resolve) => (asked = resolve));
    (pepb as Client & { iqCallee: { get(ns: string, name: string, handler: (context: { element: Element; stanza: Element }) => Element | undefined): void } }).iqCallee.get(
      'http://jabber.org/protocol/disco#info',
      'query',
      (context) => {
        if (context.element.attrs.node !== `${capsNode}#${ver}`) return undefined;
        expect(context.stanza.attrs.from).toBe('hearth-a.test');
        asked();
        return xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: context.element.attrs.node }, ...identities.map((i) => xml('identity', i)), ...features.map((f) => xml('feature', { var: f })));
      },
    );
    await pepb.send(xml('presence', {}, xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: capsNode, ver })));
    await capsQueried;

    const event = nextStanza(pepb, (st) => st.is('message') && st.getChild('event', 'http://jabber.org/protocol/pubsub#event') !== undefined);
    await pepa.iqCaller.request(
      xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('publish', { node: tuneNs }, xml('item', {}, xml('tune', { xmlns: tuneNs }, xml('title', {}, 'Across the Universe')))))),
    );
    const notification = await event;
    expect(notification.attrs.from).toBe('pepa@hearth-a.test');
    const items = notification.getChild('event', 'http://jabber.org/protocol/pubsub#event')!.getChild('items')!;
    expect(items.attrs.node).toBe(tuneNs);
    expect(items.getChild('item')!.getChild('tune', tuneNs)!.getChildText('title')).toBe('Across the Universe');
  });

  it('publishes push notifications to an app server on the other server (XEP-0357)', async () => {
    a.addUser('pushy');
    b.addUser('appserver');
    const app = await login(b, 'appserver', 'push');
    const publishes: Element[] = [];
    (app as Client & { iqCallee: { set(ns: string, name: string, handler: (context: { stanza: Element }) => boolean): void } }).iqCallee.set('http://jabber.org/protocol/pubsub', 'pubsub', ({ stanza }) => {
      publishes.push(stanza);
      return true;
    });
    const phone = await login(a, 'pushy', 'phone');
    await phone.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:push:0', jid: 'appserver@hearth-b.test/push', node: 'device-1' })));
    await phone.stop();
    const carol = await login(a, 'carol', 'desk');
    await carol.send(xml('message', { to: 'pushy@hearth-a.test', type: 'chat' }, xml('body', {}, 'wake up')));
    const deadline = Date.now() + 5000;
    while (publishes.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(publishes).toHaveLength(1);
    expect(publishes[0]!.attrs.from).toBe('pushy@hearth-a.test');
    expect(publishes[0]!.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!.getChild('publish')!.attrs.node).toBe('device-1');
    // The text stays home unless push.includeBody is on.
    expect(JSON.stringify(publishes[0]!.toString())).not.toContain('wake up');
  });

  it('authenticated both ways with certificates (SASL EXTERNAL), and logged no address, content or person', () => {
    const log = logA.lines.join('\n');
    expect(log).toContain('link to hearth-b.test is up (certificate, SASL EXTERNAL)');
    expect(log).toContain('hearth-b.test authenticated its link to us (certificate, SASL EXTERNAL)');
    expect(log).not.toMatch(/127\.0\.0\.1|hello from A|bob@|dave@|frank@/);
  });

  it('shows the links and no errors in the status', async () => {
    const status = await a.server.control.request('status', {});
    if (!status.ok) throw new Error(status.error);
    expect(status.value.federation?.enabled).toBe(true);
    expect(status.value.federation?.outgoingLinks).toBeGreaterThanOrEqual(1);
    expect(status.value.federation?.incomingLinks).toBeGreaterThanOrEqual(1);
    expect(status.value.federation?.connectedDomains).toContain('hearth-b.test');
    expect(status.value.federation?.lastErrors).toEqual([]);
    expect(JSON.stringify(status.value.federation)).not.toMatch(/127\.0\.0\.1/);
  });
});

describe('federation between two Hearth servers whose certificates are for servers only', () => {
  // Public CAs are dropping the clientAuth purpose: such a certificate cannot back SASL EXTERNAL
  // on the receiving side (OpenSSL checks the purpose), so the link authenticates with dialback,
  // verified by a connection back to the sender, whose certificate is checked as a server's.
  let a: TestServer;
  let b: TestServer;
  const logC = recordingLogger();

  beforeAll(async () => {
    const [portA, portB] = [await freeTcpPort(), await freeTcpPort()];
    a = await startFederatedServer({ domain: 'hearth-c.test', certificate: 'server-only', s2sPort: portA, s2s: { routes: routesTo('hearth-d.test', portB) }, log: logC });
    b = await startFederatedServer({ domain: 'hearth-d.test', certificate: 'server-only', s2sPort: portB, s2s: { routes: routesTo('hearth-c.test', portA) } });
    a.addUser('alice');
    b.addUser('bob');
  });

  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('authenticates with dialback and delivers both ways', async () => {
    const alice = await login(a, 'alice', 'phone');
    const bob = await login(b, 'bob', 'laptop');
    const toBob = nextStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'via dialback');
    await alice.send(xml('message', { to: 'bob@hearth-d.test', type: 'chat' }, xml('body', {}, 'via dialback')));
    expect((await toBob).attrs.from).toBe('alice@hearth-c.test/phone');
    const toAlice = nextStanza(alice, (s) => s.is('message') && s.getChildText('body') === 'back via dialback');
    await bob.send(xml('message', { to: 'alice@hearth-c.test', type: 'chat' }, xml('body', {}, 'back via dialback')));
    expect((await toAlice).attrs.from).toBe('bob@hearth-d.test/laptop');
    const log = logC.lines.join('\n');
    expect(log).toContain('link to hearth-d.test is up (dialback)');
    expect(log).toContain('hearth-d.test authenticated its link to us (dialback)');
  });
});

describe('idle links', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const [portA, portB] = [await freeTcpPort(), await freeTcpPort()];
    a = await startFederatedServer({ domain: 'idle-a.test', s2sPort: portA, s2s: { routes: routesTo('idle-b.test', portB), idleTimeoutSeconds: 5 } });
    b = await startFederatedServer({ domain: 'idle-b.test', s2sPort: portB, s2s: { routes: routesTo('idle-a.test', portA), idleTimeoutSeconds: 5 } });
    a.addUser('alice');
    b.addUser('bob');
  });
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('are closed after s2s.idleTimeoutSeconds without traffic, and opened again when needed', { timeout: 30_000 }, async () => {
    const alice = await login(a, 'alice', 'phone');
    const bob = await login(b, 'bob', 'laptop');
    const first = nextStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'first');
    await alice.send(xml('message', { to: 'bob@idle-b.test', type: 'chat' }, xml('body', {}, 'first')));
    await first;
    expect(a.server.federation.status().outgoingLinks).toBe(1);

    const deadline = Date.now() + 15_000;
    while ((a.server.federation.status().outgoingLinks > 0 || b.server.federation.status().incomingLinks > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(a.server.federation.status()).toMatchObject({ outgoingLinks: 0, lastErrors: [] });
    expect(b.server.federation.status().incomingLinks).toBe(0);

    const second = nextStanza(bob, (s) => s.is('message') && s.getChildText('body') === 'second');
    await alice.send(xml('message', { to: 'bob@idle-b.test', type: 'chat' }, xml('body', {}, 'second')));
    await second;
  });
});
