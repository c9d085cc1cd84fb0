// Occupancy and the life of a session: a phone whose connection drops while its stream
// management session waits to be resumed (XEP-0198) stays in its rooms and gets what was said
// meanwhile; one that does not come back in time leaves them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RawClient } from '../../../support/raw-client.js';
import { rawLogin, rawAuthenticate } from '../../../support/raw-streams.js';
import { defaultPassword, startTestServer, stopQuietly, type TestServer } from '../../../support/server.js';
import { freshAccounts, login, record, settle } from '../../../support/stanzas.js';
import { createRoom, freshRoom, groupchat, mucItem, nextOccupantPresence } from './muc-helpers.js';

const smNs = 'urn:xmpp:sm:3';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ streamManagement: { resumeTimeoutSeconds: 2 } });
});
afterAll(() => t.stop());

/** A raw phone session with resumption enabled, joined to `room` as `nick`; returns it and its resumption id. */
async function resumablePhoneInRoom(username: string, room: string, nick: string): Promise<{ raw: RawClient; id: string }> {
  const raw = await rawLogin(t.port('c2s'), username, defaultPassword, 'phone');
  raw.send(`<enable xmlns='${smNs}' resume='true'/>`);
  const enabled = await raw.waitFor(/<enabled [^>]*\/>/);
  raw.send('<presence/>');
  raw.send(`<presence to='${room}/${nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
  await raw.waitFor(/<subject/);
  return { raw, id: /id="([^"]+)"/.exec(enabled)![1]! };
}

async function waitUntilDetached(username: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (t.server.sessions.get(username, 'phone')?.connected !== false && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(t.server.sessions.get(username, 'phone')?.connected).toBe(false);
}

it('keeps a phone waiting to resume in the room, and gives it what was said meanwhile', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const a = await login(t, alice);
  const room = freshRoom();
  await createRoom(a, room, 'Alice');
  const { raw: first, id } = await resumablePhoneInRoom(bob, room, 'Bob');
  await settle(a);
  const departures = record(a, (s) => s.is('presence') && s.attrs.from === `${room}/Bob`);

  first.destroy();
  await waitUntilDetached(bob);
  await a.send(groupchat(room, 'said in the tunnel'));
  await settle(a);
  expect(departures.stanzas).toEqual([]);

  const { raw: second } = await rawAuthenticate(t.port('c2s'), bob, defaultPassword);
  second.send(`<resume xmlns='${smNs}' previd='${id}' h='0'/>`);
  expect(await second.waitFor(/said in the tunnel/)).toContain(`<resumed xmlns="${smNs}"`);
  expect(departures.stanzas).toEqual([]);
  departures.stop();
  second.destroy();
  await stopQuietly(a);
});

it('removes a phone that does not resume in time', async () => {
  const [alice, bob] = freshAccounts(t, 'alice', 'bob');
  const a = await login(t, alice);
  const room = freshRoom();
  await createRoom(a, room, 'Alice');
  const { raw } = await resumablePhoneInRoom(bob, room, 'Bob');
  await settle(a);
  const left = nextOccupantPresence(a, `${room}/Bob`, 'unavailable', 8000);
  raw.destroy();
  expect(mucItem(await left).role).toBe('none');
  await stopQuietly(a);
});
