// The invitation's landing page over real HTTPS (the test CA is trusted through
// NODE_EXTRA_CA_CERTS): what it shows, how it is protected, and the web registration fallback
// with the mistakes people make.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Invite } from '../../../server/control/contract.js';
import { domain, startTestServer, type TestServer } from '../../support/server.js';
import { bare, freshAccounts } from '../../support/stanzas.js';

let t: TestServer;
let counter = 0;
const unusedName = (base: string) => `${base}${++counter}w`;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const httpsPort = () => t.server.listeners.find((l) => l.name === 'https')!.port;
const pageUrl = (invite: Invite) => invite.landingUrl.replace(`https://${domain}:`, 'https://localhost:');

async function createInvite(input: Record<string, unknown> = {}): Promise<Invite> {
  const result = await t.server.control.request('invites.create', input);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Opens the page and fills in its form as a browser would send it. */
async function submitForm(invite: Invite, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const page = await (await fetch(pageUrl(invite))).text();
  const key = /name="form_key" value="([^"]+)"/.exec(page)![1]!;
  const response = await fetch(pageUrl(invite), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ form_key: key, ...fields }).toString(),
  });
  return { status: response.status, html: await response.text() };
}

describe('the landing page', () => {
  it('is served over HTTPS at the address the admin API gives', async () => {
    const invite = await createInvite();
    expect(invite.landingUrl).toBe(`https://${domain}:${httpsPort()}/invite/${/preauth=(\w+)/.exec(invite.uri)![1]}`);
    const response = await fetch(pageUrl(invite));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('shows the xmpp: link as a button and as a QR code drawn inline', async () => {
    const [mum] = freshAccounts(t, 'mum');
    const invite = await createInvite({ inviter: mum });
    const html = await (await fetch(pageUrl(invite))).text();
    expect(html).toContain(`<a class="button" href="${invite.uri}">Create my account in the chat app</a>`);
    expect(html).toMatch(/<svg class="qr" role="img" aria-label="QR code of the invitation link[^"]*" xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(html).toContain(`<span class="mono">${bare(mum)}</span> invites you`);
  });

  it('explains in plain words what to install on Android, iPhone and a computer', async () => {
    const html = await (await fetch(pageUrl(await createInvite()))).text();
    for (const app of ['Conversations', 'Monal', 'Siskin', 'Gajim', 'Dino']) expect(html).toContain(app);
    for (const place of ['On an Android phone', 'On an iPhone or iPad', 'On a computer']) expect(html).toContain(place);
  });

  it('opens the instructions for the device the page is opened on first', async () => {
    const invite = await createInvite();
    const android = await (await fetch(pageUrl(invite), { headers: { 'User-Agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8)' } })).text();
    expect(android).toMatch(/<details open>\s*<summary>On an Android phone<\/summary>/);
    const iphone = await (await fetch(pageUrl(invite), { headers: { 'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)' } })).text();
    expect(iphone).toMatch(/<details open>\s*<summary>On an iPhone or iPad<\/summary>/);
  });

  it('shows the port phones connect to and the fingerprint of the certificate it was served with', async () => {
    const html = await (await fetch(pageUrl(await createInvite()))).text();
    const fingerprint = new X509Certificate(readFileSync(process.env.HEARTH_TEST_CERT!)).fingerprint256;
    expect(html).toContain(`<dt>Certificate (SHA-256)</dt><dd class="mono">${fingerprint}</dd>`);
    expect(html).toContain(`<dt>Port</dt><dd class="mono">${t.port('c2s')}</dd>`);
  });

  it('allows no script, no framing and no referrer, and only its own style, by hash', async () => {
    const response = await fetch(pageUrl(await createInvite()));
    const csp = response.headers.get('content-security-policy')!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(await response.text())![1]!;
    expect(csp).toBe(
      `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('says plainly that an unknown, used or withdrawn invitation cannot be used', async () => {
    const unknown = await fetch(`https://localhost:${httpsPort()}/invite/NoSuchTokenAtAllHere12`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('This invitation cannot be used');
    const invite = await createInvite();
    await t.server.control.request('invites.revoke', { id: invite.id });
    expect((await fetch(pageUrl(invite))).status).toBe(404);
  });

  it('refuses other methods with 405', async () => {
    const response = await fetch(pageUrl(await createInvite()), { method: 'PUT', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('registration in the page', () => {
  const password = 'apple pie every sunday';

  it('creates the account, makes it the inviter’s contact, and says how to sign in', async () => {
    const [dad] = freshAccounts(t, 'dad');
    const invite = await createInvite({ inviter: dad });
    const name = unusedName('grandpa');
    const { status, html } = await submitForm(invite, { username: name, password, password2: password });
    expect(status).toBe(201);
    expect(html).toContain('Your account is ready');
    expect(html).toContain(`<p class="mono">${bare(name)}</p>`);
    expect(t.server.storage.accounts.exists(name)).toBe(true);
    expect(t.server.storage.roster.item(dad, bare(name))?.subscription).toBe('both');
    // Single use: the page is gone afterwards.
    expect((await fetch(pageUrl(invite))).status).toBe(404);
  });

  it('says when the two passwords differ, keeping the name typed', async () => {
    const name = unusedName('aunt');
    const { status, html } = await submitForm(await createInvite(), { username: name, password, password2: 'apple pie every monday' });
    expect(status).toBe(400);
    expect(html).toContain('The account was not created:</strong> the two passwords are not the same.');
    expect(html).toContain(`value="${name}"`);
    expect(t.server.storage.accounts.exists(name)).toBe(false);
  });

  it('says when the password is too short', async () => {
    const { status, html } = await submitForm(await createInvite(), { username: unusedName('uncle'), password: 'short', password2: 'short' });
    expect(status).toBe(400);
    expect(html).toContain('the password needs at least 8 characters.');
  });

  it('says which characters a user name cannot have', async () => {
    const { status, html } = await submitForm(await createInvite(), { username: 'big uncle', password, password2: password });
    expect(status).toBe(400);
    expect(html).toContain('that user name cannot be used: use letters and digits, without spaces');
  });

  it('says when the name is taken, with 409, and lets the invitation be used again', async () => {
    const [taken] = freshAccounts(t, 'taken');
    const invite = await createInvite();
    const first = await submitForm(invite, { username: taken, password, password2: password });
    expect(first.status).toBe(409);
    expect(first.html).toContain('that user name is taken.');
    expect((await submitForm(invite, { username: unusedName('other'), password, password2: password })).status).toBe(201);
  });

  it('escapes what was typed when showing it again', async () => {
    const { html } = await submitForm(await createInvite(), { username: '<b>"x"', password, password2: password });
    expect(html).not.toContain('<b>"x"');
    expect(html).toContain('value="&lt;b&gt;&quot;x&quot;"');
  });

  it('refuses a form without this server’s key for this invitation', async () => {
    const invite = await createInvite();
    const name = unusedName('forged');
    const response = await fetch(pageUrl(invite), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ form_key: 'abc.def', username: name, password, password2: password }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('did not come from here');
    expect(t.server.storage.accounts.exists(name)).toBe(false);
  });

  it('refuses a form a browser says comes from another site', async () => {
    const invite = await createInvite();
    const name = unusedName('crosssite');
    const fetched = await submitForm(invite, { username: name, password, password2: password }, { 'Sec-Fetch-Site': 'cross-site' });
    expect(fetched.status).toBe(403);
    const origin = await submitForm(invite, { username: name, password, password2: password }, { Origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    expect(t.server.storage.accounts.exists(name)).toBe(false);
  });

  it('accepts the form only as a URL-encoded form, and only small', async () => {
    const invite = await createInvite();
    const json = await fetch(pageUrl(invite), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    const huge = await fetch(pageUrl(invite), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `username=${'a'.repeat(20_000)}`,
    });
    expect(huge.status).toBe(413);
  });

  it('keeps the user name an invitation is for', async () => {
    const kept = unusedName('nan');
    const invite = await createInvite({ username: kept });
    const page = await (await fetch(pageUrl(invite))).text();
    expect(page).toContain(`<input id="username" name="username" value="${kept}" readonly`);
    const { status } = await submitForm(invite, { username: 'someone-else', password, password2: password });
    expect(status).toBe(201);
    expect(t.server.storage.accounts.exists(kept)).toBe(true);
    expect(t.server.storage.accounts.exists('someone-else')).toBe(false);
  });
});
