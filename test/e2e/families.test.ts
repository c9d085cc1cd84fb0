// End to end for families: the real server (in this process, real ports, real SQLite), the built
// admin UI in Debian's Chromium. An admin makes an invitation on the Invites page and sees its QR
// code; its landing page (over HTTPS) shows the QR code and registers someone through the web
// form; the newcomer is in the family circle with the family in their contacts; the Circles page
// shows it and makes another circle. Screenshots go to test-artifacts/screenshots/.
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
import { getRoster, rosterItems } from '../support/stanzas.js';

const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath);
// Locally a missing browser skips these tests; in CI it fails them (.ci/run installs it).
const skip = browserMissing && process.env.CI !== 'true';
const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

let dataDir: string;
let hearth: HearthServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
const problems: string[] = [];
const clients: Client[] = [];
let landingUrl = '';

const port = (name: string) => hearth.listeners.find((l) => l.name === name)!.port;

async function shoot(target: Page, name: string): Promise<void> {
  await target.evaluate('window.scrollTo(0, 0)');
  await target.mouse.move(0, 0);
  for (const [sizeName, size] of Object.entries(sizes)) {
    await target.setViewportSize(size);
    for (const colorScheme of ['light', 'dark'] as const) {
      await target.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      await target.screenshot({ path: join(screenshots, `${name}-${sizeName}-${colorScheme}.png`), fullPage: true, animations: 'disabled' });
    }
  }
  await target.setViewportSize(sizes.desktop);
  await target.emulateMedia({ colorScheme: 'light' });
}

function watch(p: Page, expectedStatuses = '401|404'): void {
  // A CSP violation or a script error is a bug even when the page still looks right.
  const expected = new RegExp(`Failed to load resource: the server responded with a status of (${expectedStatuses})`);
  p.on('console', (message) => {
    if (message.type() === 'error' && !expected.test(message.text())) problems.push(message.text());
  });
  p.on('pageerror', (error) => problems.push(error.message));
}

function openPage(name: 'Dashboard' | 'Invites' | 'Circles') {
  return page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
}

describe.skipIf(skip)('families in the admin UI and the invitation page', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    if (browserMissing) throw new Error(`no browser at ${executablePath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
    if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
    mkdirSync(screenshots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-families-'));
    writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify({ domain: 'localhost' }));
    const loaded = loadConfig({
      dataDir,
      overrides: {
        bind: '127.0.0.1',
        ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 },
        tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
      },
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    hearth = await startServer(loaded.config, { log: silentLogger, authFailureDelayMs: 50, configFile: loaded.file });
    // The household, its admin and one more person, as the setup wizard and the Users page make them.
    const setup = await hearth.control.request('setup.complete', { domain: 'localhost', username: 'mum', password: 'mum has a long password' });
    if (!setup.ok) throw new Error(setup.error);
    const dad = await hearth.control.request('users.add', { username: 'dad', password: 'dad has a long password' });
    if (!dad.ok) throw new Error(dad.error);
    const family = (await hearth.control.request('circles.list', {})) as { ok: true; value: Array<{ id: number }> };
    await hearth.control.request('circles.addMember', { id: family.value[0]!.id, username: 'dad' });

    base = `http://127.0.0.1:${port('admin')}`;
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    // The invitation page is served with the test CA's certificate, which Chromium does not know.
    context = await browser.newContext({ viewport: sizes.desktop, colorScheme: 'light', reducedMotion: 'reduce', ignoreHTTPSErrors: true });
    page = await context.newPage();
    watch(page);
    await page.goto(`${base}/#token=${readAdminToken(dataDir)!}`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await stopQuietly(client);
    await browser?.close();
    await hearth?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('makes an invitation on the Invites page and shows its QR code', async () => {
    await openPage('Invites');
    await page.getByRole('heading', { name: 'Invites', level: 1 }).waitFor();
    await shoot(page, 'invites-empty');
    await expect.poll(() => page.getByRole('checkbox', { name: 'Family' }).isChecked()).toBe(true);
    await page.getByLabel('Who is it for? (optional)').fill('Grandma');
    await page.getByRole('button', { name: 'Make the invitation' }).click();

    const card = page.getByTestId('invite').filter({ hasText: 'Grandma' });
    const qr = card.getByRole('img', { name: 'QR code of the invitation link: Grandma' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    expect(await qr.evaluate((img) => { const image = img as unknown as { complete: boolean; naturalWidth: number }; return image.complete && image.naturalWidth > 0; })).toBe(true);
    landingUrl = await card.getByRole('textbox', { name: 'Link' }).inputValue();
    expect(landingUrl).toMatch(new RegExp(`^https://localhost:${port('https')}/invite/[A-Za-z0-9]{22}$`));
    await card.getByText('joins Family').waitFor();
    await shoot(page, 'invites-created');
  });

  it('opens the landing page with the QR code and instructions, and registers through the web form', async () => {
    const landing = await context.newPage();
    // 400: the form sent back with a mistake to correct, on purpose below.
    watch(landing, '400');
    await landing.goto(landingUrl);
    await landing.getByRole('heading', { name: /You are invited to join localhost/ }).waitFor();
    await landing.getByRole('img', { name: /QR code of the invitation link/ }).waitFor();
    expect(await landing.getByRole('link', { name: 'Create my account in the chat app' }).getAttribute('href')).toMatch(/^xmpp:localhost\?register;preauth=/);
    await shoot(landing, 'invite-landing');

    await landing.getByLabel('Choose a password').fill('knitting needles');
    await landing.getByLabel('The same password again').fill('knitting kneedles');
    await landing.getByLabel('Choose a user name').fill('grandma');
    await landing.getByRole('button', { name: 'Create my account' }).click();
    await landing.getByRole('alert').filter({ hasText: 'the two passwords are not the same' }).waitFor();
    expect(await landing.getByLabel('Choose a user name').inputValue()).toBe('grandma');
    await shoot(landing, 'invite-landing-error');

    await landing.getByLabel('Choose a password').fill('knitting needles');
    await landing.getByLabel('The same password again').fill('knitting needles');
    await landing.getByRole('button', { name: 'Create my account' }).click();
    await landing.getByRole('heading', { name: 'Welcome! Your account is ready.' }).waitFor();
    await landing.getByText('grandma@localhost', { exact: true }).first().waitFor();
    await shoot(landing, 'invite-welcome');
    await landing.close();

    // Grandma signs in and finds the family in her contacts.
    const grandma = connectClient(port('c2s'), 'grandma', { password: 'knitting needles', mechanism: 'SCRAM-SHA-256' });
    clients.push(grandma);
    await grandma.start();
    const roster = rosterItems(await getRoster(grandma));
    expect([...roster.keys()].sort()).toEqual(['dad@localhost', 'mum@localhost']);
  });

  it('counts the invitation as used on the Invites page', async () => {
    await page.getByRole('region', { name: 'Used or expired' }).getByText('Grandma').waitFor();
    await shoot(page, 'invites-used');
  });

  it('shows the family circle on the Circles page and makes another one', async () => {
    await openPage('Circles');
    await page.getByRole('heading', { name: 'Circles', level: 1 }).waitFor();
    const family = page.getByTestId('circle').filter({ has: page.getByRole('heading', { name: 'Family' }) });
    await family.getByRole('list', { name: 'People in Family' }).getByText('grandma').waitFor();
    expect(await family.getByText('3 people').count()).toBe(1);
    await shoot(page, 'circles');

    await page.getByLabel('Name', { exact: true }).fill('Grandparents');
    await page.getByRole('button', { name: 'Make the circle' }).click();
    const grandparents = page.getByTestId('circle').filter({ has: page.getByRole('heading', { name: 'Grandparents' }) });
    await grandparents.waitFor();
    await grandparents.getByLabel('Add someone to Grandparents').selectOption('grandma');
    await grandparents.getByRole('button', { name: 'Add', exact: true }).click();
    await grandparents.getByText('1 person').waitFor();
    expect(hearth.storage.circles.byName('Grandparents')?.members).toEqual(['grandma']);
    await shoot(page, 'circles-two');
  });

  it('shows how to connect at home on the dashboard', async () => {
    await openPage('Dashboard');
    await page.getByLabel('Connecting at home').waitFor();
    expect(await page.getByTestId('certificate-fingerprint').textContent()).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('broke no content security policy and threw no script errors', () => {
    expect(problems).toEqual([]);
  });
});
