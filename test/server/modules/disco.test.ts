// XEP-0030 service discovery of the server, and its XEP-0115 entity capabilities in the stream
// features, checked against a verification string computed here from the disco#info answer.
import type { Element } from '@xmpp/client';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { domain, stopQuietly, xml } from '../../support/server.js';
import { freshAccounts, loginWithFeatures, serverWithOneClient } from '../../support/stanzas.js';

const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const discoItemsNs = 'http://jabber.org/protocol/disco#items';
const capsNs = 'http://jabber.org/protocol/caps';

const shared = serverWithOneClient();

function discoInfo(node?: string): Promise<Element> {
  return shared.client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoInfoNs, node })));
}

function features(query: Element): string[] {
  return query.getChildren('feature').map((f) => String(f.attrs.var));
}

/** XEP-0115 §5.1, written from the specification: the string to hash, then SHA-1 and base64. */
function capsVerificationOf(query: Element): string {
  const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  let s = '';
  const identities = query
    .getChildren('identity')
    .map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`)
    .sort(octets);
  for (const identity of identities) s += `${identity}<`;
  for (const feature of features(query).sort(octets)) s += `${feature}<`;
  const forms = query
    .getChildren('x', 'jabber:x:data')
    .map((form) => {
      const fields = form.getChildren('field');
      const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value') ?? '';
      const rest = fields
        .filter((f) => f.attrs.var !== 'FORM_TYPE')
        .sort((a, b) => octets(String(a.attrs.var), String(b.attrs.var)))
        .map((f) => [String(f.attrs.var), ...f.getChildren('value').map((v) => v.getText()).sort(octets)]);
      return { formType, rest };
    })
    .sort((a, b) => octets(a.formType, b.formType));
  for (const form of forms) {
    s += `${form.formType}<`;
    for (const values of form.rest) for (const value of values) s += `${value}<`;
  }
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

describe('server disco#info', () => {
  it('names the server as an IM server', async () => {
    const query = (await discoInfo()).getChild('query', discoInfoNs)!;
    const identities = query.getChildren('identity').map((i) => ({ category: i.attrs.category, type: i.attrs.type }));
    expect(identities).toContainEqual({ category: 'server', type: 'im' });
  });

  it('lists the features the server supports', async () => {
    const query = (await discoInfo()).getChild('query', discoInfoNs)!;
    expect(features(query)).toEqual(
      expect.arrayContaining([discoInfoNs, discoItemsNs, 'urn:xmpp:ping', 'urn:xmpp:time', 'jabber:iq:version', 'msgoffline']),
    );
  });

  it('lists each feature once', async () => {
    const list = features((await discoInfo()).getChild('query', discoInfoNs)!);
    expect(new Set(list).size).toBe(list.length);
  });

  it('does not list in-band registration while registration is closed', async () => {
    const query = (await discoInfo()).getChild('query', discoInfoNs)!;
    expect(features(query)).not.toContain('jabber:iq:register');
  });

  it('answers a node it does not know with item-not-found', async () => {
    await expect(discoInfo('https://example.org#nothing')).rejects.toMatchObject({ condition: 'item-not-found' });
  });
});

describe('server disco#items', () => {
  it('answers with an items list', async () => {
    const result = await shared.client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoItemsNs })));
    expect(result.getChild('query', discoItemsNs)).toBeDefined();
  });
});

describe('entity capabilities (XEP-0115)', () => {
  it('are announced in the features of an authenticated stream with a ver that hashes the disco#info answer', async () => {
    const [bob] = freshAccounts(shared.server, 'bob');
    const { client: bobClient, features: streamFeatures } = await loginWithFeatures(shared.server, bob);
    const caps = streamFeatures.getChild('c', capsNs);
    expect(caps?.attrs.hash).toBe('sha-1');
    expect(caps?.attrs.node).toMatch(/.+/);

    const query = (await discoInfo()).getChild('query', discoInfoNs)!;
    expect(caps?.attrs.ver).toBe(capsVerificationOf(query));
    await stopQuietly(bobClient);
  });

  it('answer disco#info for the node#ver they announce with the same information', async () => {
    const [bob] = freshAccounts(shared.server, 'bob');
    const { client: bobClient, features: streamFeatures } = await loginWithFeatures(shared.server, bob);
    const caps = streamFeatures.getChild('c', capsNs)!;
    const node = `${caps.attrs.node}#${caps.attrs.ver}`;

    const query = (await discoInfo(node)).getChild('query', discoInfoNs)!;
    // XEP-0115 §6.2: the node is echoed, and the answer hashes to the same ver.
    expect(query.attrs.node).toBe(node);
    expect(capsVerificationOf(query)).toBe(caps.attrs.ver);
    await stopQuietly(bobClient);
  });
});
