// XEP-0479 (XMPP Compliance Suites 2023), the parts that live on the server and on the account:
// what an advanced server must advertise for Core, IM and Mobile, checked the way a client
// (or the Conversations compliance tester) discovers it. Each feature's behaviour is tested in
// its own module's test file; this file checks that nothing is missing from discovery.
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../support/raw-client.js';
import { startTestServer, stopQuietly, xml, type TestServer } from '../support/server.js';
import { bare, freshAccounts, login, loginWithFeatures } from '../support/stanzas.js';

let t: TestServer;
let serverFeatures: string[];
let serverIdentities: string[];
let accountFeatures: string[];
let accountIdentities: string[];
let streamFeatures: Element;

beforeAll(async () => {
  // TURN is advertised only when configured, so the A/V suite is checked with a TURN host set.
  t = await startTestServer({ turn: { host: 'turn.localhost', secret: 'test secret for the compliance run' } });
  const [alice] = freshAccounts(t, 'alice');
  const { client, features } = await loginWithFeatures(t, alice);
  streamFeatures = features;
  const info = async (to: string) => {
    const result = await client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const query = result.getChild('query')!;
    return {
      features: query.getChildren('feature').map((f) => f.attrs.var as string),
      identities: query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`),
    };
  };
  const server = await info('localhost');
  const account = await info(bare(alice));
  serverFeatures = server.features;
  serverIdentities = server.identities;
  accountFeatures = account.features;
  accountIdentities = account.identities;
  await stopQuietly(client);
});
afterAll(() => t.stop());

describe('Core suite, advanced server', () => {
  it('has feature discovery (XEP-0030)', () => {
    expect(serverFeatures).toEqual(expect.arrayContaining(['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items']));
    expect(serverIdentities).toContain('server/im');
  });

  it('announces its entity capabilities in the stream features (XEP-0115)', () => {
    expect(streamFeatures.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.ver).toBeTruthy();
  });

  it('accepts direct TLS connections (XEP-0368)', async () => {
    const raw = await RawClient.directTls(t.port('c2sTls'), { alpn: ['xmpp-client'] });
    raw.openStream();
    expect(await raw.waitFor(/<\/stream:features>/)).toContain('mechanisms');
    raw.destroy();
  });

  it('offers personal eventing on the account (XEP-0163)', () => {
    expect(accountIdentities).toContain('pubsub/pep');
    expect(accountFeatures).toEqual(expect.arrayContaining(['http://jabber.org/protocol/pubsub#publish']));
  });
});

describe('IM suite, advanced server', () => {
  it('copies messages to all devices (XEP-0280)', () => {
    expect(serverFeatures).toContain('urn:xmpp:carbons:2');
  });

  it('keeps vcard-temp (XEP-0054) and converts avatars (XEP-0398, XEP-0153)', () => {
    expect(serverFeatures).toContain('vcard-temp');
    expect(accountFeatures).toContain('urn:xmpp:pep-vcard-conversion:0');
  });

  it('lets users block contacts (XEP-0191)', () => {
    expect(accountFeatures.concat(serverFeatures)).toContain('urn:xmpp:blocking');
  });

  it('stores private data through PubSub with publish-options (XEP-0223) and private XML storage (XEP-0049)', () => {
    expect(accountFeatures).toEqual(expect.arrayContaining(['http://jabber.org/protocol/pubsub#publish-options']));
    expect(accountFeatures.concat(serverFeatures)).toContain('jabber:iq:private');
  });

  it('converts bookmarks between XEP-0048 and XEP-0402', () => {
    expect(accountFeatures).toContain('urn:xmpp:bookmarks:1#compat');
  });

  it('archives messages (XEP-0313) with stanza ids (XEP-0359)', () => {
    expect(accountFeatures).toEqual(expect.arrayContaining(['urn:xmpp:mam:2', 'urn:xmpp:sid:0']));
  });

  it('keeps offline messages', () => {
    expect(serverFeatures).toContain('msgoffline');
  });

  it('has a group chat service (XEP-0045) among the server items, as the Conversations compliance tester looks for it', async () => {
    const [carol] = freshAccounts(t, 'carol');
    const client = await login(t, carol);
    const items = await client.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const service = items.getChild('query')!.getChildren('item').map((i) => String(i.attrs.jid)).find((jid) => jid.startsWith('conference.'))!;
    const info = await client.iqCaller.request(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const query = info.getChild('query')!;
    expect(query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('conference/text');
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain('http://jabber.org/protocol/muc');
    await stopQuietly(client);
  });

  it('has an HTTP file upload service (XEP-0363) among the server items, with its size limit', async () => {
    const [dave] = freshAccounts(t, 'dave');
    const client = await login(t, dave);
    const items = await client.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const service = items.getChild('query')!.getChildren('item').map((i) => String(i.attrs.jid)).find((jid) => jid.startsWith('upload.'))!;
    const info = await client.iqCaller.request(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const query = info.getChild('query')!;
    expect(query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('store/file');
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain('urn:xmpp:http:upload:0');
    const fields = query.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(fields.find((f) => f.attrs.var === 'max-file-size')?.getChildText('value')).toMatch(/^\d+$/);
    await stopQuietly(client);
  });
});

describe('Mobile suite, advanced server', () => {
  it('offers stream management (XEP-0198) and client state indication (XEP-0352)', () => {
    expect(streamFeatures.getChild('sm', 'urn:xmpp:sm:3')).toBeDefined();
    expect(streamFeatures.getChild('csi', 'urn:xmpp:csi:0')).toBeDefined();
  });

  it('publishes push notifications (XEP-0357)', () => {
    expect(accountFeatures).toContain('urn:xmpp:push:0');
  });
});

describe('A/V suite, server', () => {
  it('tells clients about STUN and TURN (XEP-0215)', () => {
    expect(serverFeatures).toContain('urn:xmpp:extdisco:2');
  });
});

describe('also expected by modern clients', () => {
  it('answers ping, time and version', () => {
    expect(serverFeatures).toEqual(expect.arrayContaining(['urn:xmpp:ping', 'urn:xmpp:time', 'jabber:iq:version']));
  });

  it('lets a user log in and use the archive end to end', async () => {
    const [bob] = freshAccounts(t, 'bob');
    const client = await login(t, bob);
    const result = await client.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' })));
    expect(result.getChild('fin', 'urn:xmpp:mam:2')?.attrs.complete).toBe('true');
    await stopQuietly(client);
  });
});
