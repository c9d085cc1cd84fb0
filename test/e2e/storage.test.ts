// End to end: the Storage page in Debian's Chromium against the real server (in this process,
// real ports, real SQLite), with a photo uploaded over XMPP and HTTPS first. The page changes the
// retention, which applies at once, is saved in the config file and is still there after the
// server restarts. Screenshots (light and dark, 800x600 and phone size) go to
// test-artifacts/screenshots/ like the other pages'.
import type { Client } from '@xmpp/client';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openAdminPage, openBrowser, requireBrowserAndUi, shoot, shootAsIs, skipWhenMissing } from '../support/browser.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';
import { https, putFile, requestSlot } from '../support/http-upload.js';
import { connectClient, stopQuietly } from '../support/server.js';

let dataDir: string;
let hearth: RunningHearth;
let browser: Browser;
let page: Page;
let grandma: Client | undefined;
const photo = randomBytes(300 * 1024);
let photoUrl: string;
let problems: string[] = [];

const retentionField = () => page.getByRole('spinbutton', { name: 'Keep uploaded files for (days)' });

describe.skipIf(skipWhenMissing(browserMissing))('the Storage page in a browser', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    dataDir = temporaryDataDir('storage');
    // The test certificate is for "localhost" (and upload.localhost).
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost' });
    // Set up already: the page opens on the dashboard, not the wizard.
    hearth.addAccount('mum', 'admin');
    hearth.addAccount('grandma', 'user');

    // Grandma sends a photo from her phone: a slot over XMPP, the bytes over HTTPS.
    grandma = connectClient(hearth.port('c2s'), 'grandma', { domain: 'localhost', mechanism: 'SCRAM-SHA-256' });
    await grandma.start();
    const slot = await requestSlot(grandma, 'upload.localhost', { filename: 'garden.jpg', size: photo.length, 'content-type': 'image/jpeg' });
    expect((await putFile(slot, photo, 'image/jpeg')).status).toBe(201);
    photoUrl = slot.get;

    ({ browser, page, problems } = await openBrowser());
    await openAdminPage(page, hearth.port('admin'), dataDir);
  }, 60_000);

  afterAll(async () => {
    if (grandma) await stopQuietly(grandma);
    await browser?.close();
    await hearth?.stop();
    removeDataDir(dataDir);
  });

  it('opens from the navigation and shows the uploaded photo in the space used', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Storage' }).click();
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
    expect(await page.getByTestId('storage-files').textContent()).toBe('1');
    expect(await page.getByTestId('storage-used').textContent()).toBe('300 KB');
    expect(await retentionField().inputValue()).toBe('30');
    expect(await page.getByRole('spinbutton', { name: 'Largest file' }).inputValue()).toBe('100');
    expect(await page.getByText(/Each file is kept for 30 days/).count()).toBe(1);
    await shoot(page, 'storage');
  });

  it('puts a mistake at its field, and saves nothing', async () => {
    await retentionField().fill('0');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Keep uploaded files at least 1 day.').waitFor();
    expect(await retentionField().getAttribute('aria-invalid')).toBe('true');
    // From the top: the sticky header would cover the field in a full-page shot scrolled to it.
    await page.evaluate('window.scrollTo(0, 0)');
    await shootAsIs(page, 'storage-error-desktop-light.png', { fullPage: true });
    expect(hearth.server.config.upload.retentionDays).toBe(30);
  });

  it('saves a new retention, which applies at once and goes into the config file', async () => {
    await retentionField().fill('14');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('Saved. The new limits apply now.').waitFor();
    await page.getByText(/Each file is kept for 14 days/).waitFor();

    expect(hearth.server.config.upload.retentionDays).toBe(14);
    const saved = JSON.parse(readFileSync(join(dataDir, 'hearth.json'), 'utf8')) as { domain: string; upload?: Record<string, unknown> };
    expect(saved).toEqual({ domain: 'localhost', upload: { retentionDays: 14 } });
    // Files now say how long they may be cached: 14 days at most.
    const cacheControl = (await https(photoUrl, { method: 'HEAD' })).headers['cache-control'];
    expect(Number(/max-age=(\d+)/.exec(cacheControl ?? '')?.[1])).toBeLessThanOrEqual(14 * 86_400);
  });

  it('still shows the new retention after the server restarts', async () => {
    await hearth.restart();
    expect(hearth.server.config.upload.retentionDays).toBe(14);

    await page.reload();
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
    await expect.poll(() => retentionField().inputValue()).toBe('14');
    expect(await page.getByTestId('storage-files').textContent()).toBe('1');
  });

  it('deletes the expired files now, and says nothing was old enough', async () => {
    await page.getByRole('button', { name: 'Delete expired files now' }).click();
    await page.getByText('No file is older than 14 days: nothing was deleted.').waitFor();
    expect((await https(photoUrl)).body.equals(photo)).toBe(true);
    await shoot(page, 'storage-saved');
  });

  it('asks before deleting every uploaded file', async () => {
    await page.getByRole('button', { name: 'Delete all uploaded files…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete every uploaded file?' });
    await dialog.waitFor();
    await shootAsIs(page, 'storage-delete-all-dialog-desktop-light.png');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await https(photoUrl)).status).toBe(200);
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
