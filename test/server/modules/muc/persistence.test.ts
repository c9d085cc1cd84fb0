// Persistent rooms are in the database: after a restart a family room has its configuration,
// affiliations, subject, avatar and archived history; a temporary room is gone. Occupants are
// told when the service shuts down (332).
import type { Client, Element } from '@xmpp/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, startTestServer, stopQuietly, xml, type TestServer } from '../../../support/server.js';
import { bare, freshAccounts, login } from '../../../support/stanzas.js';
import {
  adminList,
  adminSet,
  createRoom,
  dataNs,
  discoInfoNs,
  freshRoom,
  groupchat,
  join,
  mucItem,
  nextGroupchat,
  nextOccupantPresence,
  statusCodes,
} from './muc-helpers.js';

const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');

let dataDir: string;
let first: TestServer;
let second: TestServer;
let owner: string;
let member: string;
let banned: string;
let admin: string;
const family = freshRoom('family');
const temporary = freshRoom('temporary');
let shutdownPresence: Element;

function discoInfo(client: Client, room: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: discoInfoNs })));
}

function roomInfo(result: Element, name: string): string | undefined {
  const form = result.getChild('query', discoInfoNs)!.getChild('x', dataNs)!;
  return form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
}

beforeAll(async () => {
  dataDir = mkdtempSync(joinPath(tmpdir(), 'hearth-muc-restart-'));
  first = await startTestServer({}, dataDir);
  [owner, member, banned, admin] = freshAccounts(first, 'owner', 'member', 'banned', 'admin');
  // Connected outside the test server's own list, so it is still online when the server stops.
  const o = connectClient(first.port('c2s'), owner, { mechanism: 'SCRAM-SHA-256' });
  await o.start();
  await o.send(xml('presence'));
  await createRoom(o, family, 'Mom', {
    'muc#roomconfig_roomname': 'Family',
    'muc#roomconfig_membersonly': '1',
    'muc#roomconfig_persistentroom': '1',
  });
  await adminSet(o, family, { jid: bare(member), affiliation: 'member' }, { jid: bare(banned), affiliation: 'outcast', reason: 'spam' }, { jid: bare(admin), affiliation: 'admin' });
  await o.send(xml('message', { to: family, type: 'groupchat' }, xml('subject', {}, 'Sunday lunch')));
  await o.iqCaller.request(xml('iq', { type: 'set', to: family }, xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png)))));
  for (const body of ['before the restart 1', 'before the restart 2']) {
    const seen = nextGroupchat(o, family, body);
    await o.send(groupchat(family, body));
    await seen;
  }
  await createRoom(o, temporary, 'Mom', { 'muc#roomconfig_persistentroom': '0' });

  const shutdown = nextOccupantPresence(o, `${family}/Mom`, 'unavailable');
  const stopping = first.stop();
  shutdownPresence = await shutdown;
  await stopping;
  await stopQuietly(o);
  second = await startTestServer({}, dataDir);
});
afterAll(async () => {
  await second?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a persistent room across a restart', () => {
  it('told its occupants that the service was shutting down', () => {
    expect(statusCodes(shutdownPresence)).toEqual([110, 332]);
  });

  it('keeps its name, its configuration and its avatar', async () => {
    const client = await login(second, member);
    const info = await discoInfo(client, family);
    const features = info.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['muc_persistent', 'muc_membersonly', 'muc_nonanonymous']));
    expect(info.getChild('query', discoInfoNs)!.getChild('identity')!.attrs.name).toBe('Family');
    expect(roomInfo(info, 'muc#roominfo_avatarhash')).toMatch(/^[0-9a-f]{40}$/);
    await stopQuietly(client);
  });

  it('keeps its affiliations: the member enters, the banned user does not, the admin moderates', async () => {
    const m = await login(second, member);
    const joined = await join(m, family, 'Kid');
    expect(mucItem(joined.self)).toMatchObject({ affiliation: 'member', role: 'participant' });
    // The subject and the archived history are there too.
    expect(joined.subject.getChildText('subject')).toBe('Sunday lunch');
    expect(joined.history.map((h) => h.getChildText('body'))).toEqual(['before the restart 1', 'before the restart 2']);

    const b = await login(second, banned);
    await expect(join(b, family, 'Spammer')).rejects.toMatchObject({ condition: 'forbidden' });

    const a = await login(second, admin);
    expect(mucItem((await join(a, family, 'Grandpa')).self)).toMatchObject({ affiliation: 'admin', role: 'moderator' });
    const owners = await adminList(a, family, { affiliation: 'owner' });
    expect(owners.map((i) => i.attrs.jid)).toEqual([bare(owner)]);
    const outcasts = await adminList(a, family, { affiliation: 'outcast' });
    expect(outcasts.map((i) => [i.attrs.jid, i.getChildText('reason')])).toEqual([[bare(banned), 'spam']]);
    for (const client of [m, b, a]) await stopQuietly(client);
  });

  it('does not keep a temporary room', async () => {
    const client = await login(second, owner);
    await expect(discoInfo(client, temporary)).rejects.toMatchObject({ condition: 'item-not-found' });
    await stopQuietly(client);
  });
});
