// The browser side of the end-to-end tests (test/e2e/): Debian's Chromium driven by
// playwright-core, a watcher for script errors and CSP violations, and screenshots of each page in
// light and dark, at 800x600 and phone size, in test-artifacts/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { readAdminToken } from '../../server/control/admin-token.js';
import { defaultUiDir } from '../../server/control/static-files.js';

/** The Chromium the tests drive: Debian's, or HEARTH_CHROMIUM. */
export const chromiumPath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';

/** No browser at chromiumPath. */
export const browserMissing = !existsSync(chromiumPath);

/**
 * Whether to skip an end-to-end suite for the missing things given (true where one is missing):
 * locally a missing browser or tool skips the tests; in CI (CI=true) it fails them instead, since
 * .ci/run installs everything they need. Use with `describe.skipIf(skipWhenMissing(browserMissing))`,
 * and fail in `beforeAll` with requireBrowserAndUi() (and the tool's own message).
 */
export function skipWhenMissing(...missing: boolean[]): boolean {
  return missing.some(Boolean) && process.env.CI !== 'true';
}

/** Where the screenshots go. */
export const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

/** The two sizes every page is shot at. */
export const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

/**
 * For `beforeAll`: fails (in CI, where the suite is not skipped) when there is no browser or the
 * admin UI is not built, and makes the screenshots folder.
 */
export function requireBrowserAndUi(): void {
  if (browserMissing) throw new Error(`no browser at ${chromiumPath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
  if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
  mkdirSync(screenshots, { recursive: true });
}

/**
 * Starts headless Chromium with nothing of its own on the network (no updates, sync or QUIC).
 * Every launch gets a fresh temporary profile (user data dir) from Playwright, removed on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
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
}

/**
 * A browser context at desktop size (800x600), light, with reduced motion: what shoot() comes back
 * to after each set of screenshots. ignoreHTTPSErrors is for pages served with the test CA's
 * certificate, which Chromium does not know.
 */
export function newDesktopContext(browser: Browser, { ignoreHTTPSErrors = false } = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: sizes.desktop, colorScheme: 'light', reducedMotion: 'reduce', ignoreHTTPSErrors });
}

export interface WatchOptions {
  /**
   * HTTP statuses a page gets on purpose, whose "Failed to load resource" console errors are no
   * problem (default 401 and 404: the admin page probes without a token, and for absent things).
   */
  allowedStatuses?: readonly number[];
  /** The list to add to, e.g. the one another page's watcher returned; a new one when unset. */
  into?: string[];
}

/**
 * Collects the page's script errors and console errors (a CSP violation is one) from now on: a
 * bug even when the page still looks right. Returns the list, which a suite's last test expects
 * to be empty.
 */
export function watchForProblems(page: Page, { allowedStatuses = [401, 404], into = [] }: WatchOptions = {}): string[] {
  const allowed = new RegExp(`Failed to load resource: the server responded with a status of (${allowedStatuses.join('|')})\\b`);
  page.on('console', (message) => {
    if (message.type() === 'error' && !allowed.test(message.text())) into.push(message.text());
  });
  page.on('pageerror', (error) => into.push(error.message));
  return into;
}

/** What openBrowser() starts. */
export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  /** A page in the context, watched by watchForProblems(). */
  page: Page;
  /** The page's problems so far; watch another page into it with `{ into: problems }`. */
  problems: string[];
}

/**
 * Everything a suite needs on the browser side, in one call for `beforeAll`: launchChromium(), a
 * newDesktopContext() and a page in it, watched with watchForProblems(). The caller closes
 * `browser` in `afterAll` (it is closed here if the rest fails).
 */
export async function openBrowser({ ignoreHTTPSErrors = false } = {}): Promise<BrowserSession> {
  const browser = await launchChromium();
  try {
    const context = await newDesktopContext(browser, { ignoreHTTPSErrors });
    const page = await context.newPage();
    return { browser, context, page, problems: watchForProblems(page) };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/**
 * Saves the page as it is now in light and dark, at 800x600 and phone size, as
 * <name>-<desktop|phone>-<light|dark>.png, then goes back to desktop light. From the top (the
 * header is sticky), with no button under the mouse; the whole page unless fullPage is false.
 */
export async function shoot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
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

/**
 * Saves one screenshot of the page exactly as it is now (no scrolling, size or colour change) as
 * `file` in the screenshots folder: for a moment shoot() would disturb, such as an open dialog.
 */
export async function shootAsIs(page: Page, file: string, { fullPage = false } = {}): Promise<void> {
  await page.screenshot({ path: join(screenshots, file), fullPage, animations: 'disabled' });
}

/**
 * Opens the admin page the way the admin link does (#token= with the token Hearth wrote in its
 * data directory), and waits for the dashboard: for a Hearth that is set up already.
 */
export async function openAdminPage(page: Page, adminPort: number, dataDir: string): Promise<void> {
  await page.goto(`http://127.0.0.1:${adminPort}/#token=${readAdminToken(dataDir)}`);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}
