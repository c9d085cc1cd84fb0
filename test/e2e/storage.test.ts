// End to end: the Storage page in Debian's Chromium against the real server (in this process,
// real ports, real SQLite), with a photo uploaded over XMPP and HTTPS first. The page changes the
// retention, which applies at once, is saved in the config file and is still there after the
// server restarts. Screenshots (light and dark, 800x600 and phone size) go to
// test-artifacts/screenshots/ like the other pages'.
import type { Client } from '@xmpp/client';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { https, putFile, requestSlot } from '../support/http-upload.js';
import { connectClient, stopQuietly } from '../support/server.js';

const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath);
// Locally a missing browser skips these tests; in CI it fails them (.ci/run installs it).
const skip = browserMissing && process.env.CI !== 'true';
const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

let dataDir: string;
let hearth: HearthServer;
const ports: Record<string, number> = { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 };
let browser: Browser;
let page: Page;
let grandma: Client | undefined;
const photo = randomBytes(300 * 1024);
let photoUrl: string;
const problems: string[] = [];

/** Runs the server like `hearth serve` does: from the config file in the data directory, on the same ports each time. */
async function launch(): Promise<void> {
  const loaded = loadConfig({
    dataDir,
    overrides: { bind: '127.0.0.1', ports, tls: { certFile: process.env.HEARTH_TEST_CERT, keyFile: process.env.HEARTH_TEST_KEY } },
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  hearth = await startServer(loaded.config, { log: silentLogger, authFailureDelayMs: 50, configFile: loaded.file });
  for (const listener of hearth.listeners) ports[listener.name] = listener.port;
}

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

const retentionField = () => page.getByRole('spinbutton', { name: 'Keep uploaded files for (days)' });

describe.skipIf(skip)('the Storage page in a browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    if (browserMissing) throw new Error(`no browser at ${executablePath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
    if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
    mkdirSync(screenshots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-storage-'));
    // The test certificate is for "localhost" (and upload.localhost).
    writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify({ domain: 'localhost' }));
    await launch();
    // Set up already: the page opens on the dashboard, not the wizard.
    for (const [name, role] of [['mum', 'admin'], ['grandma', 'user']] as const) {
      const password = preparePassword('correct horse battery');
      if (!password.ok) throw new Error(password.reason);
      hearth.storage.accounts.create(name, password.prepared, role);
    }

    // Grandma sends a photo from her phone: a slot over XMPP, the bytes over HTTPS.
    grandma = connectClient(ports.c2s!, 'grandma', { domain: 'localhost', mechanism: 'SCRAM-SHA-256' });
    await grandma.start();
    const slot = await requestSlot(grandma, 'upload.localhost', { filename: 'garden.jpg', size: photo.length, 'content-type': 'image/jpeg' });
    expect((await putFile(slot, photo, 'image/jpeg')).status).toBe(201);
    photoUrl = slot.get;

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
    await page.goto(`http://127.0.0.1:${ports.admin}/#token=${readAdminToken(dataDir)}`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    if (grandma) await stopQuietly(grandma);
    await browser?.close();
    await hearth?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens from the navigation and shows the uploaded photo in the space used', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Storage' }).click();
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
    expect(await page.getByTestId('storage-files').textContent()).toBe('1');
    expect(await page.getByTestId('storage-used').textContent()).toBe('300 KB');
    expect(await retentionField().inputValue()).toBe('30');
    expect(await page.getByRole('spinbutton', { name: 'Largest file' }).inputValue()).toBe('100');
    expect(await page.getByText(/Each file is kept for 30 days/).count()).toBe(1);
    await shoot('storage');
  });

  it('puts a mistake at its field, and saves nothing', async () => {
    await retentionField().fill('0');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Keep uploaded files at least 1 day.').waitFor();
    expect(await retentionField().getAttribute('aria-invalid')).toBe('true');
    // From the top: the sticky header would cover the field in a full-page shot scrolled to it.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(screenshots, 'storage-error-desktop-light.png'), fullPage: true, animations: 'disabled' });
    expect(hearth.config.upload.retentionDays).toBe(30);
  });

  it('saves a new retention, which applies at once and goes into the config file', async () => {
    await retentionField().fill('14');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved. The new limits apply now.').waitFor();
    await page.getByText(/Each file is kept for 14 days/).waitFor();

    expect(hearth.config.upload.retentionDays).toBe(14);
    const saved = JSON.parse(readFileSync(join(dataDir, 'hearth.json'), 'utf8')) as { domain: string; upload?: Record<string, unknown> };
    expect(saved).toEqual({ domain: 'localhost', upload: { retentionDays: 14 } });
    // Files now say how long they may be cached: 14 days at most.
    const cacheControl = (await https(photoUrl, { method: 'HEAD' })).headers['cache-control'];
    expect(Number(/max-age=(\d+)/.exec(cacheControl ?? '')?.[1])).toBeLessThanOrEqual(14 * 86_400);
  });

  it('still shows the new retention after the server restarts', async () => {
    await hearth.stop();
    await launch();
    expect(hearth.config.upload.retentionDays).toBe(14);

    await page.reload();
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
    await expect.poll(() => retentionField().inputValue()).toBe('14');
    expect(await page.getByTestId('storage-files').textContent()).toBe('1');
  });

  it('deletes the expired files now, and says nothing was old enough', async () => {
    await page.getByRole('button', { name: 'Delete expired files now' }).click();
    await page.getByText('No file is older than 14 days: nothing was deleted.').waitFor();
    expect((await https(photoUrl)).body.equals(photo)).toBe(true);
    await shoot('storage-saved');
  });

  it('asks before deleting every uploaded file', async () => {
    await page.getByRole('button', { name: 'Delete all uploaded files…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete every uploaded file?' });
    await dialog.waitFor();
    await page.screenshot({ path: join(screenshots, 'storage-delete-all-dialog-desktop-light.png'), animations: 'disabled' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await https(photoUrl)).status).toBe(200);
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
