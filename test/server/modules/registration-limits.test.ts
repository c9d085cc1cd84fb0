// Registration throttling per network address (issue 11, registration.maxPerAddressPerHour):
// in-band registration (XEP-0077), registration with an invitation's token (XEP-0445) and the
// invitation page's web form share one count per address. Each test comes from its own loopback
// address (127.0.0.8x), as if from its own machine.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invite } from '../../../server/control/contract.js';
import { parsNs } from '../../../server/modules/invites/token-registration.js';
import { openSecureStream, rawIq } from '../../support/raw-streams.js';
import { domain, startTestServer, type TestServer } from '../../support/server.js';
import { errorCondition } from '../../support/stanzas.js';

const registerNs = 'jabber:iq:register';
const password = 'a long enough password';
let t: TestServer;
let counter = 0;
const unusedName = (base: string) => `${base}${++counter}r`;

beforeAll(async () => {
  t = await startTestServer({ registration: { open: true, maxPerAddressPerHour: 2 }, auth: { exemptLoopback: false } });
});
afterAll(() => t.stop());

/** Registers in-band from `address`, with an invitation's token when given; returns the answer. */
async function registerInBand(address: string, username: string, token?: string) {
  const { raw } = await openSecureStream(t.port('c2s'), { localAddress: address });
  try {
    if (token !== undefined) {
      const preauth = await rawIq(raw, 'pa', `<iq type='set' id='pa' to='${domain}'><preauth xmlns='${parsNs}' token='${token}'/></iq>`);
      if (preauth.attrs.type !== 'result') return preauth;
    }
    return await rawIq(raw, 'reg', `<iq type='set' id='reg'><query xmlns='${registerNs}'><username>${username}</username><password>${password}</password></query></iq>`);
  } finally {
    raw.destroy();
  }
}

async function createInvite(input: Record<string, unknown> = {}): Promise<Invite> {
  const result = await t.server.control.request('invites.create', input);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** An HTTPS request from `address` (fetch cannot choose the local address). */
function httpsFrom(address: string, url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url.replace(`https://${domain}:`, 'https://localhost:'));
    const outgoing = request(target, { method: options.method ?? 'GET', headers: options.headers, localAddress: address }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** Opens the invitation page from `address` and sends its form, as a browser there would. */
async function registerOnPage(address: string, invite: Invite, username: string) {
  const page = await httpsFrom(address, invite.landingUrl);
  const key = /name="form_key" value="([^"]+)"/.exec(page.text)![1]!;
  return httpsFrom(address, invite.landingUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ form_key: key, username, password, password2: password }).toString(),
  });
}

const tokenOf = (invite: Invite) => /preauth=([A-Za-z0-9]+)/.exec(invite.uri)![1]!;

describe('registration throttling', () => {
  it('refuses a third in-band registration from one address within the hour with policy-violation', async () => {
    for (const name of [unusedName('cousin'), unusedName('cousin')]) expect((await registerInBand('127.0.0.81', name)).attrs.type).toBe('result');
    const third = unusedName('cousin');
    const answer = await registerInBand('127.0.0.81', third);
    expect(errorCondition(answer)).toBe('policy-violation');
    expect(answer.getChild('error')!.attrs.type).toBe('wait');
    expect(answer.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toMatch(/^too many accounts were made from your address; try again in \d+ minutes$/);
    expect(t.server.storage.accounts.exists(third)).toBe(false);
  });

  it('lets another address register meanwhile', async () => {
    for (let i = 0; i < 2; i++) await registerInBand('127.0.0.82', unusedName('aunt'));
    expect((await registerInBand('127.0.0.83', unusedName('uncle'))).attrs.type).toBe('result');
  });

  it('counts the invitation page and in-band registration together, and answers the web form over the limit with 429', async () => {
    const invite = await createInvite({ uses: 10 });
    expect((await registerInBand('127.0.0.84', unusedName('niece'))).attrs.type).toBe('result');
    expect((await registerOnPage('127.0.0.84', invite, unusedName('nephew'))).status).toBe(201);

    const late = unusedName('nephew');
    const refused = await registerOnPage('127.0.0.84', invite, late);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('too many accounts were made from your address; try again in');
    expect(t.server.storage.accounts.exists(late)).toBe(false);
    // The invitation keeps the uses nobody got.
    expect(t.server.storage.invites.byId(invite.id)?.uses).toBe(1);
  });

  it('throttles registration with an invitation’s token like any other', async () => {
    const invite = await createInvite({ uses: 10 });
    for (let i = 0; i < 2; i++) expect((await registerInBand('127.0.0.85', unusedName('grandson'), tokenOf(invite))).attrs.type).toBe('result');
    expect(errorCondition(await registerInBand('127.0.0.85', unusedName('grandson'), tokenOf(invite)))).toBe('policy-violation');
  });

  it('counts only accounts that were made, not refused attempts', async () => {
    const taken = unusedName('taken');
    t.addUser(taken);
    for (let i = 0; i < 3; i++) expect(errorCondition(await registerInBand('127.0.0.86', taken))).toBe('conflict');
    for (let i = 0; i < 2; i++) expect((await registerInBand('127.0.0.86', unusedName('granddaughter'))).attrs.type).toBe('result');
  });

  it('shows how many addresses are held, and no address, on the Privacy page', async () => {
    const facts = await t.server.control.request('privacy.facts', {});
    expect(facts.ok && facts.value.now?.newAccountAddresses).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(facts)).not.toMatch(/127\.0\.0\.8\d/);
  });
});
