// XEP-0077: In-Band Registration. Creating an account needs a raw stream (@xmpp/client has no
// IBR); changing the password and removing the account are done by a logged-in @xmpp/client.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../support/raw-client.js';
import { openSecureStream, rawIq } from '../../support/raw-streams.js';
import { connectClient, defaultPassword, domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { disconnected, errorCondition, freshAccounts, login } from '../../support/stanzas.js';

const registerNs = 'jabber:iq:register';
const registerFeature = '<register xmlns="http://jabber.org/features/iq-register"/>';

let nameCounter = 0;
/** A username nobody has registered yet. */
function unusedName(base: string): string {
  return `${base}${++nameCounter}x`;
}

function registration(id: string, username: string, password: string): string {
  return `<iq type='set' id='${id}'><query xmlns='${registerNs}'><username>${username}</username><password>${password}</password></query></iq>`;
}

/** Resolves when logging in with these credentials fails, with the SASL condition. */
async function loginFailure(t: TestServer, username: string, password: string): Promise<unknown> {
  const xmpp = connectClient(t.port('c2s'), username, { password, mechanism: 'SCRAM-SHA-256' });
  try {
    await xmpp.start();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await stopQuietly(xmpp);
  }
}

describe('with open registration', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ registration: { open: true } });
  });
  afterAll(() => t.stop());

  it('offers in-band registration once TLS is up', async () => {
    const { raw, features } = await openSecureStream(t.port('c2s'));
    expect(features).toContain(registerFeature);
    raw.destroy();
  });

  it('does not offer registration before TLS', async () => {
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    const features = await raw.waitFor(/<\/stream:features>/);
    expect(features).not.toContain('iq-register');
    raw.destroy();
  });

  it('refuses a registration sent before TLS and creates no account', async () => {
    const name = unusedName('eve');
    const raw = await RawClient.plain(t.port('c2s'));
    raw.openStream();
    await raw.waitFor(/<\/stream:features>/);
    raw.send(registration('r1', name, 'long enough password'));
    const rest = await raw.waitForClose();
    expect(rest).not.toContain('type="result"');
    expect(t.server.storage.accounts.exists(name)).toBe(false);
  });

  it('lists the fields a registration needs', async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'form1', `<iq type='get' id='form1'><query xmlns='${registerNs}'/></iq>`);
    expect(answer.attrs.type).toBe('result');
    const query = answer.getChild('query', registerNs)!;
    expect(query.getChild('username')).toBeDefined();
    expect(query.getChild('password')).toBeDefined();
    expect(query.getChild('registered')).toBeUndefined();
    raw.destroy();
  });

  it('registers an account that can then log in', async () => {
    const name = unusedName('carol');
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'reg1', registration('reg1', name, 'a good long password'));
    expect(answer.attrs.type).toBe('result');
    raw.destroy();

    const client = await login(t, name, { password: 'a good long password' });
    expect(client.jid?.local).toBe(name);
    await stopQuietly(client);
  });

  it('refuses a username that is taken with conflict and keeps the old password', async () => {
    const [taken] = freshAccounts(t, 'dave');
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'reg2', registration('reg2', taken, 'another long password'));
    expect(answer.attrs.type).toBe('error');
    expect(errorCondition(answer)).toBe('conflict');
    raw.destroy();

    const client = await login(t, taken);
    await stopQuietly(client);
  });

  it('refuses a short password with not-acceptable and creates no account', async () => {
    const name = unusedName('frank');
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'reg3', registration('reg3', name, 'short'));
    expect(answer.attrs.type).toBe('error');
    expect(errorCondition(answer)).toBe('not-acceptable');
    expect(t.server.storage.accounts.exists(name)).toBe(false);
    raw.destroy();
  });

  it('refuses an invalid username with jid-malformed', async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'reg4', registration('reg4', 'with space', 'a good long password'));
    expect(errorCondition(answer)).toBe('jid-malformed');
    raw.destroy();
  });
});

describe('with registration closed (the default)', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  it('does not offer in-band registration', async () => {
    const { raw, features } = await openSecureStream(t.port('c2s'));
    expect(features).not.toContain('iq-register');
    raw.destroy();
  });

  it('answers a registration form request with service-unavailable', async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'form2', `<iq type='get' id='form2'><query xmlns='${registerNs}'/></iq>`);
    expect(errorCondition(answer)).toBe('service-unavailable');
    raw.destroy();
  });

  it('answers a registration with service-unavailable and creates no account', async () => {
    const name = unusedName('mallory');
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'reg5', registration('reg5', name, 'a good long password'));
    expect(errorCondition(answer)).toBe('service-unavailable');
    expect(t.server.storage.accounts.exists(name)).toBe(false);
    raw.destroy();
  });
});

describe('for a logged-in user', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.stop());

  function changePassword(client: Client, username: string, password: string, to?: string) {
    const query = xml('query', { xmlns: registerNs }, xml('username', {}, username), xml('password', {}, password));
    return client.iqCaller.request(xml('iq', { type: 'set', to }, query));
  }

  it('says the account is registered', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    const result = await client.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: registerNs })));
    const query = result.getChild('query', registerNs)!;
    expect(query.getChild('registered')).toBeDefined();
    expect(query.getChildText('username')).toBe(alice);
    await stopQuietly(client);
  });

  it('changes the password, after which only the new one works', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    const result = await changePassword(client, alice, 'a brand new password');
    expect(result.attrs.type).toBe('result');
    await stopQuietly(client);

    const again = await login(t, alice, { password: 'a brand new password' });
    await stopQuietly(again);
    expect(await loginFailure(t, alice, defaultPassword)).toMatchObject({ condition: 'not-authorized' });
  });

  it('changes the password with the request addressed to the server, as in XEP-0077 §3.3', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    const result = await changePassword(client, alice, 'changed via the host', domain);
    expect(result.attrs.type).toBe('result');
    await stopQuietly(client);

    const again = await login(t, alice, { password: 'changed via the host' });
    await stopQuietly(again);
  });

  it('refuses a short new password with not-acceptable and keeps the old one', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const client = await login(t, alice);
    await expect(changePassword(client, alice, 'short')).rejects.toMatchObject({ condition: 'not-acceptable' });
    await stopQuietly(client);

    const again = await login(t, alice);
    await stopQuietly(again);
  });

  it('refuses to change the password of another account', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const client = await login(t, alice);
    await expect(changePassword(client, bob, 'stolen account password')).rejects.toMatchObject({ condition: 'bad-request' });
    await stopQuietly(client);

    const bobClient = await login(t, bob);
    await stopQuietly(bobClient);
  });

  it('removes the account, closes all its sessions, and the account is gone', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const phone = await login(t, alice, { resource: 'phone' });
    const laptop = await login(t, alice, { resource: 'laptop' });
    const gone = Promise.all([disconnected(phone), disconnected(laptop)]);

    const result = await phone.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: registerNs }, xml('remove'))));
    expect(result.attrs.type).toBe('result');
    await gone;

    expect(t.server.storage.accounts.exists(alice)).toBe(false);
    expect(t.server.sessions.sessionsOf(alice)).toEqual([]);
    expect(await loginFailure(t, alice, defaultPassword)).toMatchObject({ condition: 'not-authorized' });
  });
});
