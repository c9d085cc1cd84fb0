// XEP-0352 with a raw client, so the test sees exactly what is held and when.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawLogin } from '../../support/raw-streams.js';
import { defaultPassword, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, loginWithFeatures, roundTrip } from '../../support/stanzas.js';

const csiNs = 'urn:xmpp:csi:0';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** bob (raw, resource "phone") and alice are mutual contacts, both online. */
async function contacts() {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  for (const [user, contact] of [[alice, bob], [bob, alice]] as const) {
    t.server.storage.roster.save(
      user,
      { contact: bare(contact), name: undefined, groups: [], listed: true, subscription: 'both', askOut: false, pendingIn: false, preApproved: false, pendingInStanza: undefined },
      true,
    );
  }
  const phone = await rawLogin(t.port('c2s'), bob, defaultPassword, 'phone');
  phone.send('<presence/>');
  const a = await login(t, alice, { presence: false });
  return { alice, bob, phone, a };
}

it('offers client state indication after authentication', async () => {
  const [carol] = freshAccounts(t, 'carol');
  const { client, features } = await loginWithFeatures(t, carol);
  expect(features.getChild('csi', csiNs)).toBeDefined();
  await stopQuietly(client);
});

it('holds presence while inactive and keeps only the newest', async () => {
  const { alice, phone, a } = await contacts();
  // Stream-management acks are not stanzas, so they make a sync point CSI does not flush for.
  phone.send(`<enable xmlns='urn:xmpp:sm:3'/><inactive xmlns='${csiNs}'/>`);
  await phone.waitFor(/<enabled /);
  await a.send(xml('presence', {}, xml('status', {}, 'first')));
  await a.send(xml('presence', {}, xml('status', {}, 'second')));
  await roundTrip(a);
  phone.send(`<r xmlns='urn:xmpp:sm:3'/>`);
  const meanwhile = await phone.waitFor(/<a xmlns="urn:xmpp:sm:3"/);
  expect(meanwhile).not.toContain('first');
  expect(meanwhile).not.toContain('second');

  phone.send(`<active xmlns='${csiNs}'/><iq type='get' id='probe2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const flushed = await phone.waitFor(/id="probe2"/);
  expect(flushed).toContain('second');
  expect(flushed).not.toContain('first');
  expect(flushed).toContain(`from="${bare(alice)}/`);
  phone.destroy();
  await stopQuietly(a);
});

it('lets messages through at once while inactive, after what was held', async () => {
  const { bob, phone, a } = await contacts();
  phone.send(`<inactive xmlns='${csiNs}'/>`);
  await a.send(xml('presence', {}, xml('status', {}, 'typing away')));
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
  await a.send(xml('message', { type: 'chat', to: `${bare(bob)}/phone` }, xml('body', {}, 'wake up')));
  const received = await phone.waitFor(/wake up/);
  const order = ['typing away', 'composing', 'wake up'].map((needle) => received.indexOf(needle));
  expect(order.every((index) => index >= 0)).toBe(true);
  expect([...order].sort((x, y) => x - y)).toEqual(order);
  phone.destroy();
  await stopQuietly(a);
});
