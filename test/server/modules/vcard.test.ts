// XEP-0054 vcard-temp between real clients, and its conversions: a PHOTO becomes a XEP-0084
// avatar in PEP and a PEP avatar becomes the PHOTO (XEP-0398), the avatar's hash rides in
// presence (XEP-0153, XEP-0398 §5), and the profile is mirrored as a XEP-0292 vCard4.
import type { Client, Element } from '@xmpp/client';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRosterItem } from '../../../server/core/storage/roster.js';
import { domain, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, isPresence, login, nextPresence, record, settle } from '../../support/stanzas.js';

const vcardNs = 'vcard-temp';
const updateNs = 'vcard-temp:x:update';
const pubsubNs = 'http://jabber.org/protocol/pubsub';
const eventNs = 'http://jabber.org/protocol/pubsub#event';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const avatarDataNs = 'urn:xmpp:avatar:data';
const avatarMetadataNs = 'urn:xmpp:avatar:metadata';
const vcard4Ns = 'urn:ietf:params:xml:ns:vcard-4.0';

/** A 1x1 PNG, and the SHA-1 of its bytes (XEP-0153 §3.1). */
const pngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const pngHash = 'c7a9c45fd419815a5ab1998503a9f03514c0e229';
/** A 2x1 GIF. */
const gifBase64 = 'R0lGODlhAgABAIAAAAAAAP///yH5BAEAAAAALAAAAAACAAEAAAICBAoAOw==';
const gifHash = createHash('sha1').update(Buffer.from(gifBase64, 'base64')).digest('hex');

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

function setVcard(client: Client, ...properties: Element[]): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('vCard', { xmlns: vcardNs }, ...properties)));
}

async function getVcard(client: Client, to?: string): Promise<Element> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: vcardNs })));
  return result.getChild('vCard', vcardNs)!;
}

function photo(type: string, base64: string): Element {
  return xml('PHOTO', {}, xml('TYPE', {}, type), xml('BINVAL', {}, base64));
}

/** A pubsub items request (XEP-0060 §6.5) to an account's PEP service; resolves with the <item/>s. */
async function pepItems(client: Client, owner: string, node: string): Promise<Element[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: bare(owner) }, xml('pubsub', { xmlns: pubsubNs }, xml('items', { node }))));
  return result.getChild('pubsub', pubsubNs)!.getChild('items')!.getChildren('item');
}

function pepPublish(client: Client, node: string, id: string | undefined, payload: Element): Promise<Element> {
  const item = xml('item', id === undefined ? {} : { id }, payload);
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: pubsubNs }, xml('publish', { node }, item))));
}

function isPepEvent(node: string) {
  return (stanza: Element) => stanza.is('message') && stanza.getChild('event', eventNs)?.getChild('items')?.attrs.node === node;
}

/** Both see each other's presence, as after two approved subscriptions (RFC 6121 §3). */
function mutualContacts(a: string, b: string): void {
  t.server.storage.roster.save(a, { ...newRosterItem(bare(b)), subscription: 'both', listed: true }, true);
  t.server.storage.roster.save(b, { ...newRosterItem(bare(a)), subscription: 'both', listed: true }, true);
}

function photoHashOf(presence: Element): string | undefined {
  const photoElement = presence.getChild('x', updateNs)?.getChild('photo');
  return photoElement === undefined ? undefined : photoElement.getText();
}

describe('vcard-temp', () => {
  it('returns the vCard the account set, also in a later session', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await setVcard(a, xml('FN', {}, 'Alice Liddell'), xml('NICKNAME', {}, 'alice'));
    await stopQuietly(a);

    const again = await login(t, alice);
    const vcard = await getVcard(again);
    expect(vcard.getChildText('FN')).toBe('Alice Liddell');
    expect(vcard.getChildText('NICKNAME')).toBe('alice');
    await stopQuietly(again);
  });

  it('is empty for an account that never set one', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    expect((await getVcard(a)).children).toEqual([]);
    await stopQuietly(a);
  });

  it('can be read by other accounts, contacts or not', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await setVcard(a, xml('FN', {}, 'Alice Liddell'));
    expect((await getVcard(b, bare(alice))).getChildText('FN')).toBe('Alice Liddell');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('answers service-unavailable alike for a missing vCard and a missing account', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const b = await login(t, bob);
    await expect(getVcard(b, bare(alice))).rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(getVcard(b, `nobody-here@${domain}`)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(b);
  });

  it('refuses to change another account’s vCard with forbidden', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await setVcard(a, xml('FN', {}, 'Alice Liddell'));
    const forged = xml('iq', { type: 'set', to: bare(alice) }, xml('vCard', { xmlns: vcardNs }, xml('FN', {}, 'Not Alice')));
    await expect(b.iqCaller.request(forged)).rejects.toMatchObject({ condition: 'forbidden' });
    expect((await getVcard(b, bare(alice))).getChildText('FN')).toBe('Alice Liddell');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('refuses a PHOTO that is not base64 with bad-request', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(setVcard(a, photo('image/png', 'not base64!'))).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(a);
  });

  it('refuses a vCard over 512 KiB with not-acceptable', async () => {
    // Stanzas that big need a larger stream limit than the default 256 KiB.
    const big = await startTestServer({ limits: { maxStanzaBytes: 1024 * 1024 } });
    const [alice] = freshAccounts(big, 'alice');
    const a = await login(big, alice);
    const oversized = Buffer.alloc(400 * 1024, 7).toString('base64');
    await expect(setVcard(a, photo('image/png', oversized))).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopQuietly(a);
    await big.stop();
  });

  it('is announced in the server’s disco#info, and the avatar conversion on the account', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const featuresOf = async (to: string) => {
      const result = await a.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: discoInfoNs })));
      return result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    };
    expect(await featuresOf(domain)).toContain(vcardNs);
    const account = await featuresOf(bare(alice));
    expect(account).toContain('urn:xmpp:pep-vcard-conversion:0');
    expect(account).toContain(vcard4Ns);
    await stopQuietly(a);
  });
});

describe('avatars', () => {
  it('are published to PEP when a vCard with a PHOTO is set', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice, { resource: 'desk' });
    const phone = await login(t, alice, { resource: 'phone' });
    const b = await login(t, bob);
    // The account's other device hears of the new avatar (XEP-0398 §4.2, XEP-0084 §4.3).
    const notified = nextStanza(phone, isPepEvent(avatarMetadataNs));
    await setVcard(a, xml('FN', {}, 'Alice Liddell'), photo('image/png', pngBase64));

    const info = (await notified).getChild('event', eventNs)!.getChild('items')!.getChild('item')!.getChild('metadata', avatarMetadataNs)!.getChild('info')!;
    expect(info.attrs).toMatchObject({ id: pngHash, type: 'image/png', bytes: '70', width: '1', height: '1' });

    // Anyone may fetch it, as anyone may read the vCard (XEP-0084 §4.4).
    const [metadata] = await pepItems(b, alice, avatarMetadataNs);
    expect(metadata?.attrs.id).toBe(pngHash);
    const [data] = await pepItems(b, alice, avatarDataNs);
    expect(data?.attrs.id).toBe(pngHash);
    expect(data?.getChildText('data', avatarDataNs)).toBe(pngBase64);
    await stopQuietly(a);
    await stopQuietly(phone);
    await stopQuietly(b);
  });

  it('published through PEP become the vCard’s PHOTO', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await setVcard(a, xml('FN', {}, 'Alice Liddell'));
    await pepPublish(a, avatarDataNs, gifHash, xml('data', { xmlns: avatarDataNs }, gifBase64));
    await pepPublish(a, avatarMetadataNs, gifHash, xml('metadata', { xmlns: avatarMetadataNs }, xml('info', { id: gifHash, type: 'image/gif', bytes: '43' })));

    const vcard = await getVcard(b, bare(alice));
    expect(vcard.getChildText('FN')).toBe('Alice Liddell');
    expect(vcard.getChild('PHOTO')?.getChildText('TYPE')).toBe('image/gif');
    expect(vcard.getChild('PHOTO')?.getChildText('BINVAL')).toBe(gifBase64);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('disabled through PEP leave the vCard without a PHOTO', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await setVcard(a, xml('FN', {}, 'Alice Liddell'), photo('image/png', pngBase64));
    // XEP-0084 §4.5: an empty metadata element disables the avatar.
    await pepPublish(a, avatarMetadataNs, undefined, xml('metadata', { xmlns: avatarMetadataNs }));
    const vcard = await getVcard(a);
    expect(vcard.getChildText('FN')).toBe('Alice Liddell');
    expect(vcard.getChild('PHOTO')).toBeUndefined();
    await stopQuietly(a);
  });

  it('are announced by their hash in the account’s presence', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const b = await login(t, bob);
    const a = await login(t, alice, { presence: false });
    await setVcard(a, photo('image/png', pngBase64));

    const seen = nextPresence(b, bare(alice));
    await a.send(xml('presence'));
    expect(photoHashOf(await seen)).toBe(pngHash);

    // An empty <x/> means the client is not ready to say; the server says it (XEP-0398 §5).
    const again = nextPresence(b, bare(alice));
    await a.send(xml('presence', {}, xml('show', {}, 'away'), xml('x', { xmlns: updateNs })));
    const away = await again;
    expect(away.getChildText('show')).toBe('away');
    expect(photoHashOf(away)).toBe(pngHash);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are announced in directed presence too', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const b = await login(t, bob);
    const a = await login(t, alice);
    await setVcard(a, photo('image/png', pngBase64));
    const seen = nextPresence(b, bare(alice));
    await a.send(xml('presence', { to: b.jid!.toString() }));
    expect(photoHashOf(await seen)).toBe(pngHash);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('leave a client’s empty photo element in presence alone', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const b = await login(t, bob);
    const a = await login(t, alice, { presence: false });
    await setVcard(a, photo('image/png', pngBase64));
    const seen = nextPresence(b, bare(alice));
    await a.send(xml('presence', {}, xml('x', { xmlns: updateNs }, xml('photo'))));
    expect(photoHashOf(await seen)).toBe('');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('published through PEP are announced in the next presence', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const b = await login(t, bob);
    const a = await login(t, alice, { presence: false });
    await pepPublish(a, avatarDataNs, gifHash, xml('data', { xmlns: avatarDataNs }, gifBase64));
    await pepPublish(a, avatarMetadataNs, gifHash, xml('metadata', { xmlns: avatarMetadataNs }, xml('info', { id: gifHash, type: 'image/gif', bytes: '43' })));
    const seen = nextPresence(b, bare(alice));
    await a.send(xml('presence'));
    expect(photoHashOf(await seen)).toBe(gifHash);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('are not added to the presence of an account without a vCard', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    mutualContacts(alice, bob);
    const b = await login(t, bob);
    const presences = record(b, (s) => isPresence(s, bare(alice)));
    const a = await login(t, alice);
    await settle(a, b);
    expect(presences.stanzas).toHaveLength(1);
    expect(presences.stanzas[0]!.getChild('x', updateNs)).toBeUndefined();
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('the vCard4 profile', () => {
  it('is published to PEP from the vcard-temp', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await setVcard(
      a,
      xml('FN', {}, 'Alice Liddell'),
      xml('NICKNAME', {}, 'alice'),
      xml('EMAIL', {}, xml('INTERNET'), xml('HOME'), xml('USERID', {}, 'alice@example.org')),
      xml('TEL', {}, xml('CELL'), xml('VOICE'), xml('NUMBER', {}, '+44 20 7946 0000')),
      xml('URL', {}, 'https://example.org/alice'),
      xml('DESC', {}, 'Curiouser and curiouser'),
    );
    const [item] = await pepItems(b, alice, 'urn:xmpp:vcard4');
    const card = item!.getChild('vcard', vcard4Ns)!;
    expect(card.getChild('fn')?.getChildText('text')).toBe('Alice Liddell');
    expect(card.getChild('nickname')?.getChildText('text')).toBe('alice');
    expect(card.getChild('email')?.getChildText('text')).toBe('alice@example.org');
    expect(card.getChild('email')?.getChild('parameters')?.getChild('type')?.getChildText('text')).toBe('home');
    expect(card.getChild('tel')?.getChildText('uri')).toBe('tel:+442079460000');
    expect(
      card.getChild('tel')?.getChild('parameters')?.getChild('type')?.getChildren('text').map((e) => e.getText()),
    ).toEqual(['voice', 'cell']);
    expect(card.getChild('url')?.getChildText('uri')).toBe('https://example.org/alice');
    expect(card.getChild('note')?.getChildText('text')).toBe('Curiouser and curiouser');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('published through PEP updates the vcard-temp and keeps its PHOTO', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await setVcard(a, xml('FN', {}, 'Alice'), xml('NICKNAME', {}, 'old nick'), photo('image/png', pngBase64));
    const card = xml(
      'vcard',
      { xmlns: vcard4Ns },
      xml('fn', {}, xml('text', {}, 'Alice Liddell')),
      xml('nickname', {}, xml('text', {}, 'alice')),
      xml('tel', {}, xml('parameters', {}, xml('type', {}, xml('text', {}, 'home'))), xml('uri', {}, 'tel:+44-20-7946-0000')),
      xml('note', {}, xml('text', {}, 'Down the rabbit hole')),
    );
    await pepPublish(a, 'urn:xmpp:vcard4', 'current', card);

    const vcard = await getVcard(b, bare(alice));
    expect(vcard.getChildText('FN')).toBe('Alice Liddell');
    expect(vcard.getChildren('NICKNAME').map((n) => n.getText())).toEqual(['alice']);
    expect(vcard.getChild('TEL')?.getChildText('NUMBER')).toBe('+44-20-7946-0000');
    expect(vcard.getChild('TEL')?.getChild('HOME')).toBeDefined();
    expect(vcard.getChildText('DESC')).toBe('Down the rabbit hole');
    expect(vcard.getChild('PHOTO')?.getChildText('BINVAL')).toBe(pngBase64);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});
