// XEP-0012: off by default for privacy; when privacy.lastActivity is on, the server's uptime and,
// for contacts allowed to see presence, how long ago someone was last online.
import type { Client, Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRosterItem } from '../../../server/core/storage/roster.js';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, freshAccounts, login, nextPresence, record, settle } from '../../support/stanzas.js';

const lastNs = 'jabber:iq:last';
const discoInfoNs = 'http://jabber.org/protocol/disco#info';

function lastActivity(client: Client, to: string): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: lastNs })));
}

async function features(client: Client, to: string): Promise<string[]> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: discoInfoNs })));
  return result.getChild('query', discoInfoNs)!.getChildren('feature').map((f) => String(f.attrs.var));
}

/** `watcher` may see `user`'s presence (RFC 6121: the user's item has subscription from). */
function subscribed(t: TestServer, user: string, watcher: string): void {
  t.server.storage.roster.save(user, { ...newRosterItem(bare(watcher)), subscription: 'from', listed: true }, true);
  t.server.storage.roster.save(watcher, { ...newRosterItem(bare(user)), subscription: 'to', listed: true }, true);
}

describe('last activity by default', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it('is not announced', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    expect(await features(a, domain)).not.toContain(lastNs);
    expect(await features(a, bare(alice))).not.toContain(lastNs);
    await stopQuietly(a);
  });

  it('tells neither the server uptime nor when a contact was last online', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    subscribed(t, bob, alice);
    const a = await login(t, alice);
    await expect(lastActivity(a, domain)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await expect(lastActivity(a, bare(bob))).rejects.toMatchObject({ condition: 'service-unavailable' });
    await stopQuietly(a);
  });

  it("does not pass questions about a device's idle time on to it", async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    subscribed(t, bob, alice);
    const b = await login(t, bob, { resource: 'phone' });
    const asked = record(b, (s) => s.is('iq') && s.getChild('query', lastNs) !== undefined);
    const a = await login(t, alice);
    await expect(lastActivity(a, `${bare(bob)}/phone`)).rejects.toMatchObject({ condition: 'service-unavailable' });
    await settle(b);
    expect(asked.stanzas).toEqual([]);
    await stopQuietly(a);
    await stopQuietly(b);
  });
});

describe('last activity with privacy.lastActivity', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ privacy: { lastActivity: true } });
  });
  afterAll(() => t.stop());

  it('is announced on the server and on accounts', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    expect(await features(a, domain)).toContain(lastNs);
    expect(await features(a, bare(alice))).toContain(lastNs);
    await stopQuietly(a);
  });

  it('tells the server uptime', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const a = await login(t, alice);
    const query = (await lastActivity(a, domain)).getChild('query', lastNs)!;
    expect(Number(query.attrs.seconds)).toBeGreaterThanOrEqual(0);
    expect(query.getText()).toBe('');
    await stopQuietly(a);
  });

  it('tells a contact how long ago the user logged out, with the status they left with', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    subscribed(t, bob, alice);
    const a = await login(t, alice);
    const b = await login(t, bob);
    const gone = nextPresence(a, bare(bob), 'unavailable');
    await b.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Heading home')));
    await stopQuietly(b);
    await gone;
    await settle(a);

    const query = (await lastActivity(a, bare(bob))).getChild('query', lastNs)!;
    expect(Number(query.attrs.seconds)).toBeGreaterThanOrEqual(0);
    expect(Number(query.attrs.seconds)).toBeLessThan(60);
    expect(query.getText()).toBe('Heading home');
    await stopQuietly(a);
  });

  it('answers 0 seconds while the user is online', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    subscribed(t, bob, alice);
    const b = await login(t, bob);
    const a = await login(t, alice);
    expect((await lastActivity(a, bare(bob))).getChild('query', lastNs)!.attrs.seconds).toBe('0');
    await stopQuietly(a);
    await stopQuietly(b);
  });

  it('is forbidden to someone who may not see the presence', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const a = await login(t, alice);
    // §3: "MUST NOT return last activity information but instead MUST return a forbidden error".
    await expect(lastActivity(a, bare(bob))).rejects.toMatchObject({ condition: 'forbidden' });
    const b = await login(t, bob, { resource: 'phone' });
    await expect(lastActivity(a, `${bare(bob)}/phone`)).rejects.toMatchObject({ condition: 'forbidden' });
    await stopQuietly(a);
    await stopQuietly(b);
  });
});
