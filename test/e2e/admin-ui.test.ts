// End to end: the real server (in this process, real ports, real SQLite), the built admin UI in
// Debian's Chromium driven by playwright-core, and a real XMPP client. Screenshots of every page,
// light and dark, at 800x600 and phone size, go to test-artifacts/screenshots/.
import type { Client } from '@xmpp/client';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { readAdminToken } from '../../server/control/admin-token.js';
import { defaultUiDir } from '../../server/control/static-files.js';
import { startServer, type HearthServer } from '../../server/main.js';
import { silentLogger } from '../../server/util/log.js';
import { connectClient, stopQuietly } from '../support/server.js';
import { disconnected } from '../support/stanzas.js';

const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath);
// Locally a missing browser skips these tests; in CI it fails them (.ci/run installs it).
const skip = browserMissing && process.env.CI !== 'true';
const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

let dataDir: string;
let hearth: HearthServer;
let restarts = 0;
let ports: Record<string, number> = { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0 };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let token: string;
const problems: string[] = [];
const clients: Client[] = [];

/**
 * Runs the server like `hearth serve` does: from the config file in the data directory, and
 * restarted in place (same ports) when the admin page asks.
 */
async function launch(): Promise<void> {
  const loaded = loadConfig({
    dataDir,
    overrides: { bind: '127.0.0.1', ports, tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY } },
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  hearth = await startServer(loaded.config, { log: silentLogger, authFailureDelayMs: 50, configFile: loaded.file, restart: () => void relaunch() });
  for (const listener of hearth.listeners) ports[listener.name] = listener.port;
}

async function relaunch(): Promise<void> {
  await hearth.stop();
  restarts++;
  await launch();
}

const port = (name: string) => hearth.listeners.find((l) => l.name === name)!.port;

/** Saves the page as it is now in light and dark, at 800x600 and phone size, then goes back to desktop light. */
async function shoot(name: string, { fullPage = true } = {}): Promise<void> {
  // From the top (the header is sticky), with no button under the mouse.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.mouse.move(0, 0);
  for (const [sizeName, size] of Object.entries(sizes)) {
    await page.setViewportSize(size);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      await page.screenshot({ path: join(screenshots, `${name}-${sizeName}-${colorScheme}.png`), fullPage, animations: 'disabled' });
    }
  }
  await page.setViewportSize(sizes.desktop);
  await page.emulateMedia({ colorScheme: 'light' });
}

function openPage(name: 'Dashboard' | 'Users' | 'Settings') {
  return page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name }).click();
}

function watch(p: Page): void {
  // A CSP violation or a script error is a bug even when the page still looks right.
  p.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404)/.test(message.text())) problems.push(message.text());
  });
  p.on('pageerror', (error) => problems.push(error.message));
}

describe.skipIf(skip)('the admin UI in a browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    if (browserMissing) throw new Error(`no browser at ${executablePath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
    if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
    mkdirSync(screenshots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-'));
    // The test certificate is for "localhost".
    writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify({ domain: 'localhost' }));
    await launch();
    token = readAdminToken(dataDir)!;
    base = `http://127.0.0.1:${port('admin')}`;
    // Every launch gets a fresh temporary profile (user data dir) from Playwright, removed on close.
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: sizes.desktop, colorScheme: 'light', reducedMotion: 'reduce' });
    page = await context.newPage();
    watch(page);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await stopQuietly(client);
    await browser?.close();
    await hearth?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens with the token from the link, and takes it out of the address bar', async () => {
    await page.goto(`${base}/#token=${token}`);
    await expect.poll(() => page.url()).toBe(`${base}/#/`);
    expect(await page.evaluate("sessionStorage.getItem('hearth.adminToken')")).toBe(token);
    await page.getByRole('heading', { name: 'Welcome to Hearth' }).waitFor();
  });

  it('walks through the setup wizard, refusing a bad user name on the way', async () => {
    await expect.poll(() => page.getByLabel('Server name').inputValue()).toBe('localhost');
    await shoot('setup-1-server-name');
    await page.getByRole('radio', { name: /From anywhere/ }).check();
    await shoot('setup-1-internet');
    await page.getByRole('radio', { name: /Only at home/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('heading', { name: 'Your admin account' }).waitFor();
    await page.getByLabel('Your user name').fill('mum of three');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('alert').filter({ hasText: 'That user name is not allowed: spaces cannot be used' }).waitFor();
    await shoot('setup-2-admin-error');
    await page.getByLabel('Your user name').fill('mum');
    await page.getByRole('button', { name: 'Create my account' }).click();

    await page.getByRole('heading', { name: "You're done!" }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Your address', exact: true }).inputValue()).toBe('mum@localhost');
    const password = await page.getByRole('textbox', { name: 'Your password', exact: true }).inputValue();
    expect(password.length).toBeGreaterThanOrEqual(16);
    await expect.poll(() => page.getByText('Conversations').count()).toBeGreaterThan(0);
    await shoot('setup-3-done');
    // The password shown is the admin's real password.
    const mum = connectClient(port('c2s'), 'mum', { password });
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
    await shoot('dashboard');
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
    await shoot('users-added');
  });

  it('explains a bad user name', async () => {
    await page.getByLabel('User name').fill('bad name');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('alert').filter({ hasText: 'That user name is not allowed: spaces cannot be used' }).waitFor();
    expect(await page.getByLabel('User name').getAttribute('aria-invalid')).toBe('true');
    await shoot('users-error');
  });

  it('counts the user online on the dashboard once they sign in over XMPP', async () => {
    await openPage('Dashboard');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByTestId('registered-count').textContent()).toBe('2');
    expect(await page.getByTestId('online-count').textContent()).toBe('0');
    const alice = connectClient(port('c2s'), 'alice', { password: alicePassword });
    clients.push(alice);
    await alice.start();
    // Live, from the event stream: no reload.
    await expect.poll(() => page.getByTestId('online-count').textContent(), { timeout: 10_000 }).toBe('1');
    await shoot('dashboard-online');
  });

  it('removes the user after a confirmation, which signs them out', async () => {
    await openPage('Users');
    await page.getByRole('row', { name: /alice/ }).getByText('Online').waitFor();
    await page.getByRole('button', { name: 'Remove alice' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove alice?' });
    await dialog.waitFor();
    await shoot('users-remove-dialog', { fullPage: false });
    const gone = disconnected(clients[0]!);
    await dialog.getByRole('button', { name: 'Remove alice' }).click();
    await page.getByText('alice@localhost was removed.').waitFor();
    await gone;
    await expect.poll(() => page.getByRole('cell', { name: /alice@localhost/ }).count()).toBe(0);
    expect(hearth.storage.accounts.exists('alice')).toBe(false);

    await openPage('Dashboard');
    await expect.poll(() => page.getByTestId('online-count').textContent()).toBe('0');
    expect(await page.getByTestId('registered-count').textContent()).toBe('1');
  });

  it('saves settings, and refuses a bad value with the reason', async () => {
    await openPage('Settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    const days = page.getByLabel('Keep message history on the server for (days)');
    await expect.poll(() => days.inputValue()).toBe('7');
    await shoot('settings');
    await days.fill('-3');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Days to keep messages cannot be negative.' }).waitFor();
    await days.fill('30');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. The changes take effect when Hearth restarts.').waitFor();
    await page.getByText('Restart needed').waitFor();
    await shoot('settings-saved');
    expect(hearth.config.archive.retentionDays).toBe(7);

    await page.getByRole('button', { name: 'Restart Hearth now' }).click();
    await page.getByText('Restart needed').waitFor({ state: 'detached', timeout: 20_000 });
    expect(restarts).toBe(1);
    expect(hearth.config.archive.retentionDays).toBe(30);
    expect(await days.inputValue()).toBe('30');
  });

  it('asks for the admin link when opened without a token', async () => {
    const other = await context.newPage();
    watch(other);
    // A new tab has its own sessionStorage: no token there.
    await other.goto(`${base}/`);
    await other.getByRole('heading', { name: 'Open the admin page' }).waitFor();
    const previous = page;
    page = other;
    await shoot('sign-in');
    await other.getByLabel('Admin link or token').fill(`${base}/#token=${token}`);
    await other.getByRole('button', { name: 'Open' }).click();
    await other.getByRole('heading', { name: 'Dashboard' }).waitFor();
    page = previous;
    await other.close();
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
