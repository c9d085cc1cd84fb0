// End to end: the Privacy page in Debian's Chromium against the real server (in this process, real
// ports, real SQLite). The page says what the running settings keep; a retention changed on the
// Storage page shows at once, one saved on the Settings page after Hearth restarts; the public
// statement at /privacy on the HTTPS listener says the same. Screenshots (light and dark, 800x600
// and phone size) go to test-artifacts/screenshots/ like the other pages'.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openAdminPage, openBrowser, requireBrowserAndUi, shoot, skipWhenMissing } from '../support/browser.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';

let dataDir: string;
let hearth: RunningHearth;
let browser: Browser;
let page: Page;
let problems: string[] = [];

const openPage = (name: 'Privacy' | 'Settings' | 'Storage') => page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
const keptFor = (id: string) => page.getByTestId(`privacy-${id}-kept`);

describe.skipIf(skipWhenMissing(browserMissing))('the Privacy page in a browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    dataDir = temporaryDataDir('privacy');
    // The test certificate is for "localhost"; restarted in place (same ports) when the admin page asks.
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost' }, { restartable: true });
    // Set up already: the page opens on the dashboard, not the wizard.
    hearth.addAccount('mum', 'admin');
    // The public page is served with the test CA's certificate, which Chromium does not know.
    ({ browser, page, problems } = await openBrowser({ ignoreHTTPSErrors: true }));
    await openAdminPage(page, hearth.port('admin'), dataDir);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    removeDataDir(dataDir);
  });

  it('opens from the navigation and lists what Hearth keeps, for how long', async () => {
    await openPage('Privacy');
    await page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor();
    expect(await keptFor('archive').textContent()).toBe('7 days');
    expect(await keptFor('uploads').textContent()).toBe('30 days');
    expect(await keptFor('failed-sign-ins').textContent()).toBe('24 hours');
    expect(await page.getByRole('heading', { name: 'What is never kept' }).isVisible()).toBe(true);
    await shoot(page, 'privacy');
  });

  it('shows a file retention changed on the Storage page at once', async () => {
    await openPage('Storage');
    const days = page.getByRole('spinbutton', { name: 'Keep uploaded files for (days)' });
    await expect.poll(() => days.inputValue()).toBe('30');
    await days.fill('12');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved. The new limits apply now.').waitFor();

    await openPage('Privacy');
    await expect.poll(() => keptFor('uploads').textContent()).toBe('12 days');
  });

  it('shows the message history saved on the Settings page once Hearth has restarted', async () => {
    await openPage('Settings');
    const days = page.getByLabel('Keep message history on the server for (days)');
    await expect.poll(() => days.inputValue()).toBe('7');
    await days.fill('3');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. The changes take effect when Hearth restarts.').waitFor();
    await openPage('Privacy');
    // Saved is not running: the page keeps saying what the running server does.
    await expect.poll(() => keptFor('archive').textContent()).toBe('7 days');

    await openPage('Settings');
    await page.getByRole('button', { name: 'Restart Hearth now' }).click();
    await page.getByText('Restart needed').waitFor({ state: 'detached', timeout: 20_000 });
    expect(hearth.restarts).toBe(1);
    await openPage('Privacy');
    await expect.poll(() => keptFor('archive').textContent()).toBe('3 days');
  });

  it('warns on the page while debug logging is on', async () => {
    await openPage('Settings');
    await page.getByLabel("Detail in Hearth's log").selectOption('debug');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved. The changes take effect when Hearth restarts.').waitFor();
    await page.getByRole('button', { name: 'Restart Hearth now' }).click();
    await page.getByText('Restart needed').waitFor({ state: 'detached', timeout: 20_000 });
    await openPage('Privacy');
    await page.getByText('Debug logging is on', { exact: true }).waitFor();
    await shoot(page, 'privacy-debug-logging');
  });

  it('links the public statement, which says the same over HTTPS', async () => {
    await openPage('Privacy');
    const link = page.getByRole('link', { name: /\/privacy$/ });
    const url = await link.getAttribute('href');
    expect(url).toBe(`https://localhost:${hearth.port('https')}/privacy`);

    const response = await page.goto(url!);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'/);
    await page.getByRole('heading', { name: 'What localhost keeps about you', level: 1 }).waitFor();
    expect(await page.locator('#archive .kept').textContent()).toBe('3 days · Stored on the server');
    expect(await page.locator('#uploads .kept').textContent()).toBe('12 days · Stored on the server');
    await page.getByText('Debug logging is on right now:').waitFor();
    await shoot(page, 'privacy-statement');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
