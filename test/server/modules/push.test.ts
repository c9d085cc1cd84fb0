// XEP-0357: a device registers an app server; messages that arrive while the device is not
// connected are published there. The app server here is another account's client.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawIq, rawLogin } from '../../support/raw-streams.js';
import { defaultPassword, nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle, stanzaErrorsNs } from '../../support/stanzas.js';

const pushNs = 'urn:xmpp:push:0';
const pubsubNs = 'http://jabber.org/protocol/pubsub';
const dataFormsNs = 'jabber:x:data';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';
const publishOptions = 'http://jabber.org/protocol/pubsub#publish-options';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

interface AppServer {
  client: Client;
  jid: string;
  /** Every publish it has received so far. */
  publishes: Element[];
}

/** An app server: a client that accepts every pubsub publish (or answers with `error`). */
async function appServer(server: TestServer, error?: string): Promise<AppServer> {
  const [name] = freshAccounts(server, 'appserver');
  const client = await login(server, name, { resource: 'push' });
  client.iqCallee.set(pubsubNs, 'pubsub', () => (error ? xml('error', { type: 'cancel' }, xml(error, { xmlns: stanzaErrorsNs })) : true));
  const publishes = record(client, isPublish).stanzas;
  return { client, jid: `${bare(name)}/push`, publishes };
}

function isPublish(stanza: Element): boolean {
  return stanza.is('iq') && stanza.attrs.type === 'set' && stanza.getChild('pubsub', pubsubNs)?.getChild('publish') !== undefined;
}

function enable(client: Client, jid: string, node: string, options: Record<string, string> = {}): Promise<Element> {
  const fields = Object.entries(options).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value)));
  const form =
    fields.length > 0
      ? [xml('x', { xmlns: dataFormsNs, type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, publishOptions)), ...fields)]
      : [];
  return client.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: pushNs, jid, node }, ...form)));
}

function chat(to: string, body: string) {
  return xml('message', { type: 'chat', to }, xml('body', {}, body));
}

/** The summary form's fields by name (XEP-0357 §7). */
function summary(publish: Element): Map<string, string[]> {
  const form = publish.getChild('pubsub', pubsubNs)!.getChild('publish')!.getChild('item')!.getChild('notification', pushNs)!.getChild('x', dataFormsNs)!;
  return new Map(form.getChildren('field').map((f) => [String(f.attrs.var), f.getChildren('value').map((v) => v.getText())]));
}

function registrationsOf(server: TestServer, username: string): unknown[] {
  return server.server.storage.keyval('push/registrations').get<unknown[]>(username, 'registrations') ?? [];
}

/** Waits (up to a deadline) for something the server does after an answer comes back. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('push notifications', () => {
  it('are announced on the account, not on the server', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const featuresOf = async (to: string) =>
      (await a.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: discoInfoNs }))))
        .getChild('query', discoInfoNs)!
        .getChildren('feature')
        .map((f) => f.attrs.var);
    expect(await featuresOf(bare(alice))).toContain(pushNs);
    expect(await featuresOf('localhost')).not.toContain(pushNs);
    await stopQuietly(a);
  });

  it('are published to the app server when the device is disconnected, without the message text', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1', { secret: 'eruio234vzxc2kla-91' });
    await stopQuietly(phone);

    const b = await login(t, bob, { resource: 'laptop' });
    const published = nextStanza(app.client, isPublish);
    await b.send(chat(bare(alice), 'Wherefore art thou, Romeo?'));
    const publish = await published;

    // §7: from the user's account, to the registered service and node.
    expect(publish.attrs.from).toBe(bare(alice));
    expect(publish.getChild('pubsub', pubsubNs)!.getChild('publish')!.attrs.node).toBe('node-1');
    const fields = summary(publish);
    expect(fields.get('FORM_TYPE')).toEqual(['urn:xmpp:push:summary']);
    expect(fields.get('message-count')).toEqual(['1']);
    // Only the bare JID of the sender, and nothing of what was said.
    expect(fields.get('last-message-sender')).toEqual([bare(bob)]);
    expect(fields.has('last-message-body')).toBe(false);
    expect(publish.toString()).not.toContain('Romeo');
    // §7: the publish options given at enable come back with every publish.
    const options = publish.getChild('pubsub', pubsubNs)!.getChild('publish-options')!.getChild('x', dataFormsNs)!;
    const optionFields = new Map(options.getChildren('field').map((f) => [String(f.attrs.var), f.getChildText('value')]));
    expect(optionFields.get('FORM_TYPE')).toBe(publishOptions);
    expect(optionFields.get('secret')).toBe('eruio234vzxc2kla-91');
    // The message itself still waits for the device, and the registration stays.
    expect(t.server.storage.offline.count(alice)).toBe(1);
    expect(registrationsOf(t, alice)).toHaveLength(1);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('are not published while the device is connected', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    const b = await login(t, bob);

    const delivered = nextStanza(phone, (s) => s.is('message'));
    await b.send(chat(bare(alice), 'are you there?'));
    await delivered;
    await settle(b, app.client);
    expect(app.publishes).toEqual([]);
    await stopQuietly(phone);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('are published for a device whose session waits to be resumed', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const raw = await rawLogin(t.port('c2s'), alice, defaultPassword, 'phone');
    const enabled = await rawIq(raw, 'push1', `<iq type='set' id='push1'><enable xmlns='${pushNs}' jid='${app.jid}' node='node-sm'/></iq>`);
    expect(enabled.attrs.type).toBe('result');
    raw.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/><presence/>`);
    await raw.waitFor(/<enabled [^>]*\/>/);
    raw.destroy();
    await until(() => t.server.sessions.get(alice, 'phone')?.connected === false);

    const b = await login(t, bob);
    const published = nextStanza(app.client, isPublish);
    await b.send(chat(bare(alice), 'through the tunnel'));
    expect(summary(await published).get('last-message-sender')).toEqual([bare(bob)]);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('count the messages that arrived while the device was away', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    await stopQuietly(phone);

    const b = await login(t, bob);
    await b.send(chat(bare(alice), 'one'));
    await b.send(chat(bare(alice), 'two'));
    await settle(b, app.client);
    expect(app.publishes.map((p) => summary(p).get('message-count'))).toEqual([['1'], ['2']]);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('are published for an encrypted message without a readable body', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    await stopQuietly(phone);

    const b = await login(t, bob);
    const published = nextStanza(app.client, isPublish);
    await b.send(xml('message', { type: 'chat', to: bare(alice) }, xml('encrypted', { xmlns: 'urn:xmpp:omemo:2' }, xml('payload', {}, 'c2VjcmV0'))));
    await published;
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('are not published for typing notifications', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    await stopQuietly(phone);

    const b = await login(t, bob);
    await b.send(xml('message', { type: 'chat', to: bare(alice) }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await settle(b, app.client);
    expect(app.publishes).toEqual([]);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('stop after the device disables them', async () => {
    const app = await appServer(t);
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    await enable(phone, app.jid, 'node-2');
    await phone.iqCaller.request(xml('iq', { type: 'set' }, xml('disable', { xmlns: pushNs, jid: app.jid, node: 'node-1' })));
    await stopQuietly(phone);

    const b = await login(t, bob);
    await b.send(chat(bare(alice), 'only node 2'));
    await settle(b, app.client);
    expect(app.publishes.map((p) => p.getChild('pubsub', pubsubNs)!.getChild('publish')!.attrs.node)).toEqual(['node-2']);

    // §6: without a node, every registration of that service ends.
    const laptop = await login(t, alice, { resource: 'laptop' });
    await laptop.iqCaller.request(xml('iq', { type: 'set' }, xml('disable', { xmlns: pushNs, jid: app.jid })));
    await b.send(chat(bare(alice), 'nobody is woken'));
    await settle(b, app.client);
    expect(app.publishes).toHaveLength(1);
    expect(registrationsOf(t, alice)).toEqual([]);
    await stopQuietly(laptop);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('are disabled when the app server answers with an error', async () => {
    const app = await appServer(t, 'item-not-found');
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-gone');
    await stopQuietly(phone);

    const b = await login(t, bob);
    const published = nextStanza(app.client, isPublish);
    await b.send(chat(bare(alice), 'first'));
    await published;
    // §7.1: the server considers that JID and node disabled once the error is back.
    await until(() => registrationsOf(t, alice).length === 0);
    await b.send(chat(bare(alice), 'second'));
    await settle(b, app.client);
    expect(app.publishes).toHaveLength(1);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });

  it('replace an earlier registration of the same service and node', async () => {
    const app = await appServer(t);
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1', { secret: 'old' });
    await enable(phone, app.jid, 'node-1', { secret: 'new' });
    expect(registrationsOf(t, alice)).toHaveLength(1);
    await stopQuietly(phone);
    await stopQuietly(app.client);
  });

  it('cannot be enabled without a node or with a form of another type', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice);
    await expect(phone.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: pushNs, jid: 'push.example.org' })))).rejects.toMatchObject({
      condition: 'bad-request',
    });
    const wrongForm = xml('x', { xmlns: dataFormsNs, type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:example:other')));
    await expect(
      phone.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: pushNs, jid: 'push.example.org', node: 'n' }, wrongForm))),
    ).rejects.toMatchObject({ condition: 'bad-request' });
    expect(registrationsOf(t, alice)).toEqual([]);
    await stopQuietly(phone);
  });
});

describe('push notifications with push.includeBody', () => {
  let withBody: TestServer;
  beforeAll(async () => {
    withBody = await startTestServer({ push: { includeBody: true } });
  });
  afterAll(() => withBody.stop());

  it('carry the message text', async () => {
    const app = await appServer(withBody);
    const [alice, bob] = freshAccounts(withBody, 'alice', 'bob');
    const phone = await login(withBody, alice, { resource: 'phone' });
    await enable(phone, app.jid, 'node-1');
    await stopQuietly(phone);

    const b = await login(withBody, bob);
    const published = nextStanza(app.client, isPublish);
    await b.send(chat(bare(alice), 'Wherefore art thou, Romeo?'));
    expect(summary(await published).get('last-message-body')).toEqual(['Wherefore art thou, Romeo?']);
    await stopQuietly(b);
    await stopQuietly(app.client);
  });
});
