// End to end: the Tor page in Debian's Chromium against the real server, which runs Debian's real
// tor on loopback. No internet, so tor does not finish bootstrapping: the page shows how far it
// got, and the onion address tor made. Screenshots (light and dark, 800x600 and phone size) go to
// test-artifacts/screenshots/ like the other pages'.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openAdminPage, openBrowser, requireBrowserAndUi, shoot, shootAsIs, skipWhenMissing } from '../support/browser.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';
import { processAlive, torBinary, torInstalled, waitUntil } from '../support/tor.js';

const torMissing = !torInstalled();

let dataDir: string;
let hearth: RunningHearth;
let browser: Browser;
let page: Page;
let problems: string[] = [];

describe.skipIf(skipWhenMissing(browserMissing, torMissing))('the Tor page in a browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    if (torMissing) throw new Error(`no tor ("${torBinary}"): .ci/run installs Debian's tor (apt-get install tor)`);
    dataDir = temporaryDataDir('tor');
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost', tor: { binary: torBinary } });
    // Set up already: the page opens on the dashboard, not the wizard.
    hearth.addAccount('mum', 'admin');

    ({ browser, page, problems } = await openBrowser());
    await openAdminPage(page, hearth.port('admin'), dataDir);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    removeDataDir(dataDir);
  });

  it('opens from the navigation with Tor off', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tor', exact: true }).click();
    await page.getByRole('heading', { name: 'Tor', level: 1 }).waitFor();
    expect(await page.getByRole('switch', { name: /Reach Hearth from anywhere through Tor/ }).isChecked()).toBe(false);
    await shoot(page, 'tor-off');
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
    expect(address).toBe(hearth.server.tor.onionAddress);
    await page.getByRole('img', { name: `QR code of xmpp:${address}` }).waitFor();
    expect(await page.getByRole('switch', { name: /Reach Hearth/ }).isChecked()).toBe(true);
    expect(processAlive(hearth.server.tor.pid!)).toBe(true);
    await shoot(page, 'tor-on');
  });

  it('asks before getting a new address', async () => {
    await page.getByRole('button', { name: 'Get a new address…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Get a new onion address?' });
    await dialog.waitFor();
    await shootAsIs(page, 'tor-rotate-dialog-desktop-light.png');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('switches Tor off, which ends the tor process', async () => {
    const pid = hearth.server.tor.pid!;
    await page.getByRole('switch', { name: /Reach Hearth/ }).click();
    await expect.poll(() => page.getByRole('switch', { name: /Reach Hearth/ }).isChecked(), { timeout: 10_000 }).toBe(false);
    await waitUntil(() => !processAlive(pid), 10_000, 'tor to exit');
    expect(hearth.server.tor.status()).toMatchObject({ enabled: false, state: 'off' });
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
