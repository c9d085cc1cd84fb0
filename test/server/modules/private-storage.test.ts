// XEP-0049: private XML is kept per account and per (namespace, element name), returned to the
// account's own clients only, with the errors the XEP defines.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login } from '../../support/stanzas.js';

const privateNs = 'jabber:iq:private';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

function storePrivate(client: Client, ...elements: Element[]): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: privateNs }, ...elements)));
}

/** The element a get returns for `name` in `ns`. */
async function getPrivate(client: Client, name: string, ns: string, to?: string): Promise<Element | undefined> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: privateNs }, xml(name, { xmlns: ns }))));
  return result.getChild('query', privateNs)?.getChild(name, ns);
}

function exodusPrefs(nick: string): Element {
  return xml('exodus', { xmlns: 'exodus:prefs' }, xml('defaultnick', {}, nick));
}

describe('private XML storage', () => {
  it('is announced in the server’s disco#info', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const result = await a.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoInfoNs })));
    expect(result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var)).toContain(privateNs);
    await stopQuietly(a);
  });

  it('returns what a client stored, also in a later session', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await storePrivate(a, exodusPrefs('Hamlet'));
    await stopQuietly(a);

    const again = await login(t, alice);
    const stored = await getPrivate(again, 'exodus', 'exodus:prefs');
    expect(stored?.getChildText('defaultnick')).toBe('Hamlet');
    await stopQuietly(again);
  });

  it('answers with the empty element when nothing is stored', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const stored = await getPrivate(a, 'exodus', 'exodus:prefs');
    expect(stored).toBeDefined();
    expect(stored?.children).toEqual([]);
    await stopQuietly(a);
  });

  it('replaces an element stored again with the same name and namespace', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await storePrivate(a, exodusPrefs('Hamlet'));
    await storePrivate(a, exodusPrefs('Macbeth'));
    expect((await getPrivate(a, 'exodus', 'exodus:prefs'))?.getChildText('defaultnick')).toBe('Macbeth');
    await stopQuietly(a);
  });

  it('keeps elements of different namespaces apart', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await storePrivate(a, exodusPrefs('Hamlet'), xml('roster', { xmlns: 'roster:delimiter' }, '::'));
    expect((await getPrivate(a, 'roster', 'roster:delimiter'))?.getText()).toBe('::');
    expect((await getPrivate(a, 'exodus', 'exodus:prefs'))?.getChildText('defaultnick')).toBe('Hamlet');
    await stopQuietly(a);
  });

  it('forgets an element when the empty element is stored', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await storePrivate(a, exodusPrefs('Hamlet'));
    await storePrivate(a, xml('exodus', { xmlns: 'exodus:prefs' }));
    expect((await getPrivate(a, 'exodus', 'exodus:prefs'))?.children).toEqual([]);
    await stopQuietly(a);
  });

  it('keeps one account’s elements from another account', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await storePrivate(a, exodusPrefs('Hamlet'));
    expect((await getPrivate(b, 'exodus', 'exodus:prefs'))?.children).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('refuses to read another account’s private XML with forbidden', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    const b = await login(t, bob);
    await storePrivate(a, exodusPrefs('Hamlet'));
    await expect(getPrivate(b, 'exodus', 'exodus:prefs', bare(alice))).rejects.toMatchObject({ condition: 'forbidden' });
    await expect(
      b.iqCaller.request(xml('iq', { type: 'set', to: bare(alice) }, xml('query', { xmlns: privateNs }, exodusPrefs('Macbeth')))),
    ).rejects.toMatchObject({ condition: 'forbidden' });
    expect((await getPrivate(a, 'exodus', 'exodus:prefs'))?.getChildText('defaultnick')).toBe('Hamlet');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('refuses reserved namespaces with not-acceptable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(storePrivate(a, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Hamlet')))).rejects.toMatchObject({ condition: 'not-acceptable' });
    await expect(storePrivate(a, xml('query', { xmlns: 'jabber:iq:roster' }))).rejects.toMatchObject({ condition: 'not-acceptable' });
    await expect(getPrivate(a, 'query', 'http://jabber.org/protocol/disco#info')).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopQuietly(a);
  });

  it('refuses a query without an element of its own namespace with not-acceptable', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    await expect(a.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: privateNs })))).rejects.toMatchObject({ condition: 'not-acceptable' });
    await expect(storePrivate(a, xml('prefs', {}))).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopQuietly(a);
  });

  it('refuses a get for two elements at once with bad-request', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const query = xml('query', { xmlns: privateNs }, xml('exodus', { xmlns: 'exodus:prefs' }), xml('roster', { xmlns: 'roster:delimiter' }));
    await expect(a.iqCaller.request(xml('iq', { type: 'get' }, query))).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(a);
  });
});
