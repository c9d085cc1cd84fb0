// Invitations over XMPP: XEP-0445 registration with a token while open registration is off,
// XEP-0379 pre-authenticated subscriptions, and the XEP-0401 ad-hoc commands. Registrations use
// raw streams (@xmpp/client has no in-band registration); everything else real @xmpp/client.
import type { Client, Element } from '@xmpp/client';
import { parse } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invite } from '../../../server/control/contract.js';
import { openSecureStream, rawIq } from '../../support/raw-streams.js';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { bare, errorCondition, freshAccounts, getRoster, login, nextPresence, nextRosterPush, rosterItems, settle } from '../../support/stanzas.js';

const parsNs = 'urn:xmpp:pars:0';
const registerNs = 'jabber:iq:register';
const commandsNs = 'http://jabber.org/protocol/commands';
const password = 'a long enough password';

let t: TestServer;
const clients: Client[] = [];
let nameCounter = 0;
const unusedName = (base: string) => `${base}${++nameCounter}i`;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  for (const client of clients) await stopQuietly(client);
  await t.stop();
});

async function signIn(username: string, options: { password?: string } = {}): Promise<Client> {
  const client = await login(t, username, options);
  clients.push(client);
  return client;
}

async function createInvite(input: Record<string, unknown> = {}): Promise<Invite> {
  const result = await t.server.control.request('invites.create', input);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const httpsPort = () => t.server.listeners.find((l) => l.name === 'https')!.port;
const tokenOf = (uri: string) => /preauth=([A-Za-z0-9]+)/.exec(uri)![1]!;

/** XEP-0445 §4 on a fresh stream: the token, the form, the registration. Stops at the first error. */
async function registerWithToken(token: string, username: string | undefined, secret = password) {
  const { raw, features } = await openSecureStream(t.port('c2s'));
  try {
    const preauth = await rawIq(raw, 'pa1', `<iq type='set' id='pa1' to='${domain}'><preauth xmlns='${parsNs}' token='${token}'/></iq>`);
    if (preauth.attrs.type !== 'result') return { features, preauth };
    const form = await rawIq(raw, 'f1', `<iq type='get' id='f1' to='${domain}'><query xmlns='${registerNs}'/></iq>`);
    const name = username === undefined ? '' : `<username>${username}</username>`;
    const register = await rawIq(raw, 'r1', `<iq type='set' id='r1' to='${domain}'><query xmlns='${registerNs}'>${name}<password>${secret}</password></query></iq>`);
    return { features, preauth, form, register };
  } finally {
    raw.destroy();
  }
}

function formField(command: Element, name: string): string | undefined {
  return command
    .getChild('x', 'jabber:x:data')
    ?.getChildren('field')
    .find((f) => f.attrs.var === name)
    ?.getChildText('value') ?? undefined;
}

function runCommand(client: Client, node: string, children: Element[] = [], attrs: Record<string, string> = {}): Promise<Element> {
  return client.iqCaller.request(xml('iq', { type: 'set', to: domain }, xml('command', { xmlns: commandsNs, node, ...attrs }, ...children)));
}

/** The stanza error a request failed with (@xmpp/client's: condition, text, application). */
async function failure(request: Promise<unknown>): Promise<{ condition: string; application?: Element }> {
  try {
    await request;
  } catch (error) {
    return error as { condition: string; application?: Element };
  }
  throw new Error('the request succeeded');
}

describe('registration with an invitation (XEP-0445)', () => {
  it('offers the ibr-token stream feature once TLS is up', async () => {
    const { raw, features } = await openSecureStream(t.port('c2s'));
    raw.destroy();
    expect(features).toContain('<register xmlns="urn:xmpp:ibr-token:0"/>');
    expect(features).not.toContain('http://jabber.org/features/iq-register');
  });

  it('creates the account while open registration is off, and makes the newcomer and the inviter mutual contacts', async () => {
    const [mum] = freshAccounts(t, 'mum');
    const mumClient = await signIn(mum);
    await getRoster(mumClient);
    const invite = await createInvite({ inviter: mum });
    const grandma = unusedName('grandma');

    const push = nextRosterPush(mumClient, bare(grandma));
    const { preauth, form, register } = await registerWithToken(tokenOf(invite.uri), grandma);
    expect(preauth.attrs.type).toBe('result');
    expect(form!.getChild('query', registerNs)!.getChild('password')).toBeDefined();
    expect(register!.attrs.type).toBe('result');
    expect((await push).attrs.subscription).toBe('both');

    const online = nextPresence(mumClient, bare(grandma));
    const grandmaClient = await signIn(grandma, { password });
    const roster = rosterItems(await getRoster(grandmaClient));
    expect(roster.get(bare(mum))?.attrs.subscription).toBe('both');
    await online;
    expect(t.server.storage.accounts.get(grandma)?.role).toBe('user');
  });

  it('gives the new account the role the invitation says', async () => {
    const invite = await createInvite({ role: 'limited' });
    const child = unusedName('child');
    const { register } = await registerWithToken(tokenOf(invite.uri), child);
    expect(register!.attrs.type).toBe('result');
    expect(t.server.storage.accounts.get(child)?.role).toBe('limited');
  });

  it('refuses a token that was used up, with item-not-found, and creates no account', async () => {
    const invite = await createInvite();
    const first = unusedName('first');
    expect((await registerWithToken(tokenOf(invite.uri), first)).register!.attrs.type).toBe('result');
    const second = unusedName('second');
    const { preauth } = await registerWithToken(tokenOf(invite.uri), second);
    expect(errorCondition(preauth)).toBe('item-not-found');
    expect(preauth.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toMatch(/used already/);
    expect(t.server.storage.accounts.exists(second)).toBe(false);
  });

  it('lets a group invitation register as many people as it has uses', async () => {
    const invite = await createInvite({ uses: 2 });
    for (const name of [unusedName('cousin'), unusedName('cousin')]) {
      expect((await registerWithToken(tokenOf(invite.uri), name)).register!.attrs.type).toBe('result');
    }
    expect(errorCondition((await registerWithToken(tokenOf(invite.uri), unusedName('cousin'))).preauth)).toBe('item-not-found');
  });

  it('refuses an expired token with item-not-found', async () => {
    const expired = t.server.storage.invites.create({ kind: 'account', expiresAt: Date.now() - 1000 });
    const { preauth } = await registerWithToken(expired.token, unusedName('late'));
    expect(errorCondition(preauth)).toBe('item-not-found');
    expect(preauth.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toMatch(/expired/);
  });

  it('refuses a withdrawn token with item-not-found', async () => {
    const invite = await createInvite();
    expect((await t.server.control.request('invites.revoke', { id: invite.id })).ok).toBe(true);
    const { preauth } = await registerWithToken(tokenOf(invite.uri), unusedName('nobody'));
    expect(errorCondition(preauth)).toBe('item-not-found');
  });

  it('refuses a registration without a token while open registration is off', async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const name = unusedName('stranger');
    const answer = await rawIq(raw, 'r1', `<iq type='set' id='r1'><query xmlns='${registerNs}'><username>${name}</username><password>${password}</password></query></iq>`);
    raw.destroy();
    expect(errorCondition(answer)).toBe('service-unavailable');
    expect(t.server.storage.accounts.exists(name)).toBe(false);
  });

  it('keeps the user name an invitation is for, and refuses another one with not-acceptable', async () => {
    const kept = unusedName('nana');
    const invite = await createInvite({ username: kept });
    expect(invite.uri).toBe(`xmpp:${kept}@${domain}?register;preauth=${tokenOf(invite.uri)}`);
    const wrong = await registerWithToken(tokenOf(invite.uri), unusedName('other'));
    expect(wrong.form!.getChild('query', registerNs)!.getChildText('username')).toBe(kept);
    expect(errorCondition(wrong.register!)).toBe('not-acceptable');
    // Refused registrations use nothing (XEP-0445 §4).
    const right = await registerWithToken(tokenOf(invite.uri), undefined);
    expect(right.register!.attrs.type).toBe('result');
    expect(t.server.storage.accounts.exists(kept)).toBe(true);
  });

  it('answers a taken user name with conflict and lets the token be used again', async () => {
    const [taken] = freshAccounts(t, 'taken');
    const invite = await createInvite();
    expect(errorCondition((await registerWithToken(tokenOf(invite.uri), taken)).register!)).toBe('conflict');
    expect((await registerWithToken(tokenOf(invite.uri), unusedName('free'))).register!.attrs.type).toBe('result');
  });

  it('takes the token inside the registration data form too', async () => {
    const invite = await createInvite();
    const name = unusedName('formuser');
    const { raw } = await openSecureStream(t.port('c2s'));
    const form =
      `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${registerNs}</value></field>` +
      `<field var='username'><value>${name}</value></field><field var='password'><value>${password}</value></field>` +
      `<field var='preauth'><value>${tokenOf(invite.uri)}</value></field></x>`;
    const answer = await rawIq(raw, 'r1', `<iq type='set' id='r1'><query xmlns='${registerNs}'>${form}</query></iq>`);
    raw.destroy();
    expect(answer.attrs.type).toBe('result');
    expect(t.server.storage.accounts.exists(name)).toBe(true);
  });

  it('refuses a preauth request without a token with bad-request', async () => {
    const { raw } = await openSecureStream(t.port('c2s'));
    const answer = await rawIq(raw, 'pa', `<iq type='set' id='pa'><preauth xmlns='${parsNs}'/></iq>`);
    raw.destroy();
    expect(errorCondition(answer)).toBe('bad-request');
  });
});

describe('ad-hoc invitation commands (XEP-0401)', () => {
  it('lists the invite command for users, and both commands for admins', async () => {
    const [user, admin] = freshAccounts(t, 'user', 'admin');
    t.server.storage.accounts.setRole(admin, 'admin');
    const list = async (client: Client) => {
      const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: commandsNs })));
      return result.getChild('query')!.getChildren('item').map((item) => item.attrs.node as string);
    };
    expect(await list(await signIn(user))).toEqual(['urn:xmpp:invite#invite']);
    expect(await list(await signIn(admin))).toEqual(['urn:xmpp:invite#invite', 'urn:xmpp:invite#create-account']);
  });

  it('makes a contact invitation with its link, landing page and expiry', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const result = await runCommand(await signIn(alice), 'urn:xmpp:invite#invite', [], { action: 'execute' });
    const command = result.getChild('command', commandsNs)!;
    expect(command.attrs.status).toBe('completed');
    const uri = formField(command, 'uri')!;
    expect(uri).toMatch(new RegExp(`^xmpp:${alice}@${domain}\\?roster;preauth=[A-Za-z0-9]{22};ibr=y$`));
    expect(formField(command, 'landing-url')).toBe(`https://${domain}:${httpsPort()}/invite/${tokenOf(uri)}`);
    expect(Date.parse(formField(command, 'expire')!)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  });

  it('answers an unknown command with item-not-found', async () => {
    const [alice] = freshAccounts(t, 'alice');
    expect((await failure(runCommand(await signIn(alice), 'urn:example:nothing'))).condition).toBe('item-not-found');
  });

  it('refuses the create-account command to non-admins with forbidden', async () => {
    const [alice] = freshAccounts(t, 'alice');
    expect((await failure(runCommand(await signIn(alice), 'urn:xmpp:invite#create-account'))).condition).toBe('forbidden');
  });

  it('makes an account invitation from the form an admin fills in, keeping the user name', async () => {
    const [admin] = freshAccounts(t, 'admin');
    t.server.storage.accounts.setRole(admin, 'admin');
    const client = await signIn(admin);
    const first = (await runCommand(client, 'urn:xmpp:invite#create-account', [], { action: 'execute' })).getChild('command', commandsNs)!;
    expect(first.attrs.status).toBe('executing');
    expect(first.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attrs.var)).toEqual(['username', 'roster-subscription']);
    const kept = unusedName('juliet');
    const form = parse(
      `<x xmlns='jabber:x:data' type='submit'><field var='username'><value>${kept}</value></field><field var='roster-subscription'><value>1</value></field></x>`,
    ) as Element;
    const done = (await runCommand(client, 'urn:xmpp:invite#create-account', [form], { sessionid: first.attrs.sessionid, action: 'complete' })).getChild('command', commandsNs)!;
    expect(done.attrs.status).toBe('completed');
    const uri = formField(done, 'uri')!;
    expect(uri).toMatch(new RegExp(`^xmpp:${kept}@${domain}\\?register;preauth=`));

    const push = nextRosterPush(client, bare(kept));
    await getRoster(client);
    expect((await registerWithToken(tokenOf(uri), kept)).register!.attrs.type).toBe('result');
    expect((await push).attrs.subscription).toBe('both');
  });

  it('refuses a command session that is not the requester’s with bad-request and bad-sessionid', async () => {
    const [admin] = freshAccounts(t, 'admin');
    t.server.storage.accounts.setRole(admin, 'admin');
    const answer = await failure(runCommand(await signIn(admin), 'urn:xmpp:invite#create-account', [], { sessionid: 'nosuchsession', action: 'complete' }));
    expect(answer.condition).toBe('bad-request');
    expect(answer.application?.is('bad-sessionid', commandsNs)).toBe(true);
  });
});

describe('pre-authenticated subscriptions (XEP-0379)', () => {
  async function contactInvite(client: Client): Promise<string> {
    const command = (await runCommand(client, 'urn:xmpp:invite#invite', [], { action: 'execute' })).getChild('command', commandsNs)!;
    return formField(command, 'uri')!;
  }

  it('subscribes both ways at once when the request carries the inviter’s token', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const aliceClient = await signIn(alice);
    const bobClient = await signIn(bob);
    await getRoster(aliceClient);
    await getRoster(bobClient);
    const uri = await contactInvite(aliceClient);

    const alicePush = nextRosterPush(aliceClient, bare(bob));
    const bobSeesAlice = nextPresence(bobClient, bare(alice));
    await bobClient.send(xml('presence', { type: 'subscribe', to: bare(alice) }, xml('preauth', { xmlns: parsNs, token: tokenOf(uri) })));
    expect((await alicePush).attrs.subscription).toBe('both');
    await bobSeesAlice;
    await settle(aliceClient, bobClient);
    expect(rosterItems(await getRoster(bobClient)).get(bare(alice))?.attrs.subscription).toBe('both');
    expect(t.server.storage.invites.list().find((i) => i.token === tokenOf(uri))?.uses).toBe(1);
  });

  it('leaves a request with an unknown token for the inviter to answer', async () => {
    const [alice, bob] = freshAccounts(t, 'alice', 'bob');
    const aliceClient = await signIn(alice);
    const bobClient = await signIn(bob);
    const request = nextPresence(aliceClient, bare(bob), 'subscribe');
    await bobClient.send(xml('presence', { type: 'subscribe', to: bare(alice) }, xml('preauth', { xmlns: parsNs, token: 'AAAAAAAAAAAAAAAAAAAAAA' })));
    await request;
    expect(t.server.storage.roster.item(alice, bare(bob))?.subscription ?? 'none').toBe('none');
  });

  it('does not let one person’s token approve requests to someone else', async () => {
    const [alice, carol, bob] = freshAccounts(t, 'alice', 'carol', 'bob');
    const aliceClient = await signIn(alice);
    const carolClient = await signIn(carol);
    const bobClient = await signIn(bob);
    const uri = await contactInvite(aliceClient);
    const request = nextPresence(carolClient, bare(bob), 'subscribe');
    await bobClient.send(xml('presence', { type: 'subscribe', to: bare(carol) }, xml('preauth', { xmlns: parsNs, token: tokenOf(uri) })));
    await request;
    expect(t.server.storage.roster.item(carol, bare(bob))?.subscription ?? 'none').toBe('none');
  });

  it('lets a newcomer register with a contact invitation (ibr=y) and become the inviter’s contact', async () => {
    const [alice] = freshAccounts(t, 'alice');
    const aliceClient = await signIn(alice);
    const uri = await contactInvite(aliceClient);
    const newcomer = unusedName('friend');
    expect((await registerWithToken(tokenOf(uri), newcomer)).register!.attrs.type).toBe('result');
    expect(t.server.storage.roster.item(alice, bare(newcomer))?.subscription).toBe('both');
    expect(t.server.storage.roster.item(newcomer, bare(alice))?.subscription).toBe('both');
  });
});
