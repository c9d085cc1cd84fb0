// XEP-0157: contact addresses from the contactInfo setting, in the server's disco#info as a
// serverinfo form that the entity capabilities hash covers.
import type { Client, Element } from '@xmpp/client';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config/load.js';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { freshAccounts, login, loginWithFeatures } from '../../support/stanzas.js';

const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const dataFormsNs = 'jabber:x:data';
const serverInfo = 'http://jabber.org/network/serverinfo';

async function discoInfo(client: Client): Promise<Element> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: discoInfoNs })));
  return result.getChild('query', discoInfoNs)!;
}

function serverInfoForms(query: Element): Element[] {
  return query.getChildren('x', dataFormsNs).filter((form) => form.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === serverInfo));
}

/** XEP-0115 §5.1 written again here, forms included (§5.4 step 3.5-3.9). */
function capsVerificationOf(query: Element): string {
  const octets = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  let s = '';
  const identities = query.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`);
  for (const identity of identities.sort(octets)) s += `${identity}<`;
  for (const feature of query.getChildren('feature').map((f) => String(f.attrs.var)).sort(octets)) s += `${feature}<`;
  const forms = query.getChildren('x', dataFormsNs).map((form) => {
    const fields = form.getChildren('field');
    const formType = fields.find((f) => f.attrs.var === 'FORM_TYPE')!.getChildText('value')!;
    const rest = fields.filter((f) => f.attrs.var !== 'FORM_TYPE').sort((a, b) => octets(String(a.attrs.var), String(b.attrs.var)));
    return { formType, rest };
  });
  for (const form of forms.sort((a, b) => octets(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const field of form.rest) {
      s += `${field.attrs.var}<`;
      for (const value of field.getChildren('value').map((v) => v.getText()).sort(octets)) s += `${value}<`;
    }
  }
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

describe('contact addresses', () => {
  let t: TestServer;
  let alice: string;
  let client: Client;
  beforeAll(async () => {
    t = await startTestServer({
      contactInfo: {
        abuse: ['mailto:abuse@example.org', 'xmpp:abuse@example.org'],
        admin: ['xmpp:admin@example.org'],
        status: ['https://status.example.org/'],
      },
    });
    [alice] = freshAccounts(t, 'alice');
    client = await login(t, alice);
  });
  afterAll(async () => {
    await stopQuietly(client);
    await t.stop();
  });

  it('appear in the server disco#info as a serverinfo form', async () => {
    const forms = serverInfoForms(await discoInfo(client));
    expect(forms).toHaveLength(1);
    const form = forms[0]!;
    expect(form.attrs.type).toBe('result');
    const formType = form.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')!;
    expect(formType.attrs.type).toBe('hidden');
    const fields = new Map(form.getChildren('field').map((f) => [String(f.attrs.var), f.getChildren('value').map((v) => v.getText())]));
    expect(fields.get('abuse-addresses')).toEqual(['mailto:abuse@example.org', 'xmpp:abuse@example.org']);
    expect(fields.get('admin-addresses')).toEqual(['xmpp:admin@example.org']);
    expect(fields.get('status-addresses')).toEqual(['https://status.example.org/']);
    // Roles without addresses are left out.
    expect(fields.has('sales-addresses')).toBe(false);
  });

  it('are covered by the entity capabilities hash of the server', async () => {
    const { client: bob, features } = await loginWithFeatures(t, freshAccounts(t, 'bob')[0]);
    const caps = features.getChild('c', 'http://jabber.org/protocol/caps')!;
    const query = await discoInfo(bob);
    expect(caps.attrs.ver).toBe(capsVerificationOf(query));
    await stopQuietly(bob);
  });
});

describe('without contact addresses', () => {
  let t: TestServer;
  let client: Client;
  beforeAll(async () => {
    t = await startTestServer();
    client = await login(t, freshAccounts(t, 'alice')[0]);
  });
  afterAll(async () => {
    await stopQuietly(client);
    await t.stop();
  });

  it('the server disco#info has no serverinfo form', async () => {
    expect(serverInfoForms(await discoInfo(client))).toEqual([]);
  });
});

describe('the contactInfo setting', () => {
  const parse = (contactInfo: unknown) => parseConfig({ domain: 'example.org', dataDir: '/tmp/hearth-config-test', contactInfo });

  it('refuses an address that is not a URI, naming the key', () => {
    const result = parse({ abuse: ['abuse@example.org'] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatch(/^contactInfo\.abuse\.0: must be a URI/);
  });

  it('refuses a role XEP-0157 does not define', () => {
    expect(parse({ billing: ['mailto:billing@example.org'] })).toMatchObject({ ok: false, errors: ['contactInfo.billing: unknown setting (check the spelling against README.md)'] });
  });
});
