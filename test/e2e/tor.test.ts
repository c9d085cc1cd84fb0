// End to end: the Tor page in Debian's Chromium against the real server, which runs Debian's real
// tor on loopback. No internet, so tor does not finish bootstrapping: the page shows how far it
// got, and the onion address tor made. Screenshots (light and dark, 800x600 and phone size) go to
// test-artifacts/screenshots/ like the other pages'.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { readAdminToken } from '../../server/control/admin-token.js';
import { defaultUiDir } from '../../server/control/static-files.js';
import { preparePassword } from '../../server/core/storage/accounts.js';
import { startServer, type HearthServer } from '../../server/main.js';
import { silentLogger } from '../../server/util/log.js';
import { processAlive, torBinary, torInstalled, waitUntil } from '../support/tor.js';

const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath);
const torMissing = !torInstalled();
// Locally a missing browser or tor skips these tests; in CI it fails them (.ci/run installs both).
const skip = (browserMissing || torMissing) && process.env.CI !== 'true';
const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

let dataDir: string;
let hearth: HearthServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

async function shoot(name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.mouse.move(0, 0);
  for (const [sizeName, size] of Object.entries(sizes)) {
    await page.setViewportSize(size);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      await page.screenshot({ path: join(screenshots, `${name}-${sizeName}-${colorScheme}.png`), fullPage: true, animations: 'disabled' });
    }
  }
  await page.setViewportSize(sizes.desktop);
  await page.emulateMedia({ colorScheme: 'light' });
}

describe.skipIf(skip)('the Tor page in a browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    if (browserMissing) throw new Error(`no browser at ${executablePath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
    if (torMissing) throw new Error(`no tor ("${torBinary}"): .ci/run installs Debian's tor (apt-get install tor)`);
    if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
    mkdirSync(screenshots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-tor-'));
    writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify({ domain: 'localhost', tor: { binary: torBinary } }));
    const loaded = loadConfig({
      dataDir,
      overrides: {
        bind: '127.0.0.1',
        ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0 },
        tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY },
      },
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    hearth = await startServer(loaded.config, { log: silentLogger, configFile: loaded.file });
    // Set up already: the page opens on the dashboard, not the wizard.
    const password = preparePassword('correct horse battery');
    if (!password.ok) throw new Error(password.reason);
    hearth.storage.accounts.create('mum', password.prepared, 'admin');

    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: sizes.desktop, colorScheme: 'light', reducedMotion: 'reduce' });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404)/.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const admin = hearth.listeners.find((l) => l.name === 'admin')!.port;
    await page.goto(`http://127.0.0.1:${admin}/#token=${readAdminToken(dataDir)}`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens from the navigation with Tor off', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tor' }).click();
    await page.getByRole('heading', { name: 'Tor', level: 1 }).waitFor();
    expect(await page.getByRole('switch', { name: /Reach Hearth from anywhere through Tor/ }).isChecked()).toBe(false);
    await shoot('tor-off');
  });

  it('switches Tor on, and shows the progress and the onion address', async () => {
    await page.getByRole('switch', { name: /Reach Hearth from anywhere through Tor/ }).click();

    await page.getByTestId('tor-state').filter({ hasText: 'Connecting to the Tor network…' }).waitFor({ timeout: 20_000 });
    const progress = page.getByRole('progressbar', { name: 'Connecting to the Tor network' });
    await progress.waitFor();
    expect(Number(await progress.getAttribute('value'))).toBeLessThan(100);
    expect(await page.getByTestId('tor-progress').textContent()).toMatch(/^\d+ %/);
    const address = await page.getByRole('textbox', { name: 'Onion address' }).inputValue();
    expect(address).toMatch(/^[a-z2-7]{56}\.onion$/);
    expect(address).toBe(hearth.tor.onionAddress);
    await page.getByRole('img', { name: `QR code of xmpp:${address}` }).waitFor();
    expect(await page.getByRole('switch', { name: /Reach Hearth/ }).isChecked()).toBe(true);
    expect(processAlive(hearth.tor.pid!)).toBe(true);
    await shoot('tor-on');
  });

  it('asks before getting a new address', async () => {
    await page.getByRole('button', { name: 'Get a new address…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Get a new onion address?' });
    await dialog.waitFor();
    await page.screenshot({ path: join(screenshots, 'tor-rotate-dialog-desktop-light.png'), animations: 'disabled' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('switches Tor off, which ends the tor process', async () => {
    const pid = hearth.tor.pid!;
    await page.getByRole('switch', { name: /Reach Hearth/ }).click();
    await expect.poll(() => page.getByRole('switch', { name: /Reach Hearth/ }).isChecked(), { timeout: 10_000 }).toBe(false);
    await waitUntil(() => !processAlive(pid), 10_000, 'tor to exit');
    expect(hearth.tor.status()).toMatchObject({ enabled: false, state: 'off' });
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
