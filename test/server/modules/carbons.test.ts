// XEP-0280 with real clients: two devices of one account and a contact.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nextStanza, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, record, settle } from '../../support/stanzas.js';

const carbonsNs = 'urn:xmpp:carbons:2';
const forwardNs = 'urn:xmpp:forward:0';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

async function enableCarbons(client: Client): Promise<void> {
  await client.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: carbonsNs })));
}

function forwardedBody(direction: 'sent' | 'received') {
  return (stanza: Element) => stanza.getChild(direction, carbonsNs)?.getChild('forwarded', forwardNs)?.getChild('message')?.getChildText('body') ?? undefined;
}

it('is advertised by the server', async () => {
  const [alice] = freshAccounts(t, 'alice');
  const a = await login(t, alice);
  const info = await a.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
  expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toContain(carbonsNs);
  await stopQuietly(a);
});

it('copies a message received on one device to the other', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const phone = await login(t, bob, { resource: 'phone' });
  const laptop = await login(t, bob, { resource: 'laptop' });
  await enableCarbons(laptop);
  const a = await login(t, alice);
  const copy = nextStanza(laptop, (s) => forwardedBody('received')(s) === 'to the phone');
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('body', {}, 'to the phone')));
  const carbon = await copy;
  expect(carbon.attrs.from).toBe(bare(bob));
  expect(carbon.getChild('received', carbonsNs)!.getChild('forwarded', forwardNs)!.getChild('message')!.attrs.from).toMatch(new RegExp(`^${bare(alice)}/`));
  for (const c of [phone, laptop, a]) await stopQuietly(c);
});

it('copies a message sent from one device to the other', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const phone = await login(t, bob, { resource: 'phone' });
  const laptop = await login(t, bob, { resource: 'laptop' });
  await enableCarbons(laptop);
  const copy = nextStanza(laptop, (s) => forwardedBody('sent')(s) === 'from the phone');
  await phone.send(xml('message', { type: 'chat', to: bare(alice) }, xml('body', {}, 'from the phone')));
  const carbon = await copy;
  expect(carbon.getChild('sent', carbonsNs)!.getChild('forwarded', forwardNs)!.getChild('message')!.attrs.to).toBe(bare(alice));
  for (const c of [phone, laptop]) await stopQuietly(c);
});

it('respects <private/> and sends nothing to devices that did not enable carbons', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const phone = await login(t, bob, { resource: 'phone' });
  const laptop = await login(t, bob, { resource: 'laptop' });
  const tablet = await login(t, bob, { resource: 'tablet' });
  await enableCarbons(laptop);
  const a = await login(t, alice);
  const onLaptop = record(laptop, (s) => s.getChild('received', carbonsNs) !== undefined);
  const onTablet = record(tablet, (s) => s.getChild('received', carbonsNs) !== undefined);
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('body', {}, 'secret'), xml('private', { xmlns: carbonsNs })));
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('body', {}, 'public')));
  await nextStanza(phone, (s) => s.getChildText('body') === 'public');
  await settle(laptop, tablet);
  expect(onLaptop.stanzas.map(forwardedBody('received'))).toEqual(['public']);
  expect(onTablet.stanzas).toEqual([]);
  for (const c of [phone, laptop, tablet, a]) await stopQuietly(c);
});

it('stops copying after disable', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const phone = await login(t, bob, { resource: 'phone' });
  const laptop = await login(t, bob, { resource: 'laptop' });
  await enableCarbons(laptop);
  await laptop.iqCaller.request(xml('iq', { type: 'set' }, xml('disable', { xmlns: carbonsNs })));
  const a = await login(t, alice);
  const onLaptop = record(laptop, (s) => s.getChild('received', carbonsNs) !== undefined);
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('body', {}, 'quiet')));
  await nextStanza(phone, (s) => s.getChildText('body') === 'quiet');
  await settle(laptop);
  expect(onLaptop.stanzas).toEqual([]);
  for (const c of [phone, laptop, a]) await stopQuietly(c);
});
