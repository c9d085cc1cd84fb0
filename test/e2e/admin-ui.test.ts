// End to end: the real server (in this process, real ports, real SQLite), the built admin UI in
// Debian's Chromium driven by playwright-core, and a real XMPP client. Screenshots of every page,
// light and dark, at 800x600 and phone size, go to test-artifacts/screenshots/.
import type { Client } from '@xmpp/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdminToken } from '../../server/control/admin-token.js';
import { browserMissing, openBrowser, requireBrowserAndUi, shoot, skipWhenMissing, watchForProblems } from '../support/browser.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';
import { connectClient, stopQuietly } from '../support/server.js';
import { disconnected } from '../support/stanzas.js';

let dataDir: string;
let hearth: RunningHearth;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let token: string;
let problems: string[] = [];
const clients: Client[] = [];

function openPage(name: 'Dashboard' | 'Users' | 'Settings') {
  return page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name }).click();
}

describe.skipIf(skipWhenMissing(browserMissing))('the admin UI in a browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    dataDir = temporaryDataDir('admin-ui');
    // The test certificate is for "localhost". Restarted in place (same ports) when the admin page asks.
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost' }, { restartable: true });
    token = readAdminToken(dataDir)!;
    base = `http://127.0.0.1:${hearth.port('admin')}`;
    ({ browser, context, page, problems } = await openBrowser());
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await stopQuietly(client);
    await browser?.close();
    await hearth?.stop();
    removeDataDir(dataDir);
  });

  it('opens with the token from the link, and takes it out of the address bar', async () => {
    await page.goto(`${base}/#token=${token}`);
    await expect.poll(() => page.url()).toBe(`${base}/#/`);
    expect(await page.evaluate("sessionStorage.getItem('hearth.adminToken')")).toBe(token);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
  });

  it('walks through the setup wizard, refusing a bad user name on the way', async () => {
    await expect.poll(() => page.getByLabel('Server name').inputValue()).toBe('localhost');
    await shoot(page, 'setup-1-server-name');
    await page.getByRole('radio', { name: /From anywhere/ }).check();
    await shoot(page, 'setup-1-internet');
    await page.getByRole('radio', { name: /Only at home/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Your admin account' }).waitFor();
    await page.getByLabel('Your user name').fill('mum of three');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('alert').filter({ hasText: 'That user name is not allowed: spaces cannot be used' }).waitFor();
    await shoot(page, 'setup-2-admin-error');
    await page.getByLabel('Your user name').fill('mum');
    await page.getByRole('button', { name: 'Create my account' }).click();

    await page.getByRole('heading', { name: "You're done!" }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Your address', exact: true }).inputValue()).toBe('mum@localhost');
    const password = await page.getByRole('textbox', { name: 'Your password', exact: true }).inputValue();
    expect(password.length).toBeGreaterThanOrEqual(16);
    await expect.poll(() => page.getByText('Conversations').count()).toBeGreaterThan(0);
    await shoot(page, 'setup-3-done');
    // The password shown is the admin's real password.
    const mum = connectClient(hearth.port('c2s'), 'mum', { password });
    await mum.start();
    await stopQuietly(mum);
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
  });

  it('shows the dashboard with the address and the counts', async () => {
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { name: 'Hearth is running' }).waitFor();
    expect(await page.getByTestId('registered-count').textContent()).toBe('1');
    expect(await page.getByTestId('online-count').textContent()).toBe('0');
    expect(await page.getByRole('textbox', { name: 'Server', exact: true }).inputValue()).toBe('localhost');
    await shoot(page, 'dashboard');
  });

  let alicePassword = '';

  it('adds a user and shows the generated password once', async () => {
    await openPage('Users');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByLabel('User name').fill('alice');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('alice@localhost can sign in now').waitFor();
    alicePassword = await page.getByRole('textbox', { name: 'Password for alice', exact: true }).inputValue();
    expect(alicePassword).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    await page.getByRole('cell', { name: /alice@localhost/ }).waitFor();
    await shoot(page, 'users-added');
  });

  it('explains a bad user name', async () => {
    await page.getByLabel('User name').fill('bad name');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('alert').filter({ hasText: 'That user name is not allowed: spaces cannot be used' }).waitFor();
    expect(await page.getByLabel('User name').getAttribute('aria-invalid')).toBe('true');
    await shoot(page, 'users-error');
  });

  it('counts the user online on the dashboard once they sign in over XMPP', async () => {
    await openPage('Dashboard');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByTestId('registered-count').textContent()).toBe('2');
    expect(await page.getByTestId('online-count').textContent()).toBe('0');
    const alice = connectClient(hearth.port('c2s'), 'alice', { password: alicePassword });
    clients.push(alice);
    await alice.start();
    // Live, from the event stream: no reload.
    await expect.poll(() => page.getByTestId('online-count').textContent(), { timeout: 10_000 }).toBe('1');
    await shoot(page, 'dashboard-online');
  });

  it('removes the user after a confirmation, which signs them out', async () => {
    await openPage('Users');
    await page.getByRole('row', { name: /alice/ }).getByText('Online').waitFor();
    await page.getByRole('button', { name: 'Remove alice' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove alice?' });
    await dialog.waitFor();
    await shoot(page, 'users-remove-dialog', { fullPage: false });
    const gone = disconnected(clients[0]!);
    await dialog.getByRole('button', { name: 'Remove alice' }).click();
    await page.getByText('alice@localhost was removed.').waitFor();
    await gone;
    await expect.poll(() => page.getByRole('cell', { name: /alice@localhost/ }).count()).toBe(0);
    expect(hearth.server.storage.accounts.exists('alice')).toBe(false);

    await openPage('Dashboard');
    await expect.poll(() => page.getByTestId('online-count').textContent()).toBe('0');
    expect(await page.getByTestId('registered-count').textContent()).toBe('1');
  });

  it('saves settings, and refuses a bad value with the reason', async () => {
    await openPage('Settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    const days = page.getByLabel('Keep message history on the server for (days)');
    await expect.poll(() => days.inputValue()).toBe('7');
    await shoot(page, 'settings');
    await days.fill('-3');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Days to keep messages cannot be negative.' }).waitFor();
    await days.fill('30');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. The changes take effect when Hearth restarts.').waitFor();
    await page.getByText('Restart needed').waitFor();
    await shoot(page, 'settings-saved');
    expect(hearth.server.config.archive.retentionDays).toBe(7);

    await page.getByRole('button', { name: 'Restart Hearth now' }).click();
    await page.getByText('Restart needed').waitFor({ state: 'detached', timeout: 20_000 });
    expect(hearth.restarts).toBe(1);
    expect(hearth.server.config.archive.retentionDays).toBe(30);
    expect(await days.inputValue()).toBe('30');
  });

  it('asks for the admin link when opened without a token', async () => {
    const other = await context.newPage();
    watchForProblems(other, { into: problems });
    // A new tab has its own sessionStorage: no token there.
    await other.goto(`${base}/`);
    await other.getByRole('heading', { name: 'Open the admin page' }).waitFor();
    await shoot(other, 'sign-in');
    await other.getByLabel('Admin link or token').fill(`${base}/#token=${token}`);
    await other.getByRole('button', { name: 'Open' }).click();
    await other.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await other.close();
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
