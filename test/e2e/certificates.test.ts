// End to end: the Certificates page in Debian's Chromium against the real server, which starts
// with its self-signed certificate. The page shows it (fingerprint as text and QR code), imports
// a certificate from pasted text, and gets one from a real pebble on loopback, showing each step.
// Screenshots (light and dark, 800x600 and phone size) go to test-artifacts/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/load.js';
import { readAdminToken } from '../../server/control/admin-token.js';
import { defaultUiDir } from '../../server/control/static-files.js';
import { preparePassword } from '../../server/core/storage/accounts.js';
import { startServer, type HearthServer } from '../../server/main.js';
import { silentLogger } from '../../server/util/log.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { pebbleBinary, pebbleInstalled, startPebble, type Pebble } from '../support/pebble.js';
import { issueTestCertificate } from '../support/test-ca.js';

const executablePath = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath);
const pebbleMissing = !pebbleInstalled();
// Locally a missing browser or pebble skips these tests; in CI it fails them (.ci/run installs both).
const skip = (browserMissing || pebbleMissing) && process.env.CI !== 'true';
const screenshots = join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const sizes = { desktop: { width: 800, height: 600 }, phone: { width: 390, height: 844 } } as const;

let dataDir: string;
let hearth: HearthServer;
let dns: TestDnsServer;
let pebble: Pebble;
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

function servedFingerprint(): Promise<string> {
  const port = hearth.listeners.find((l) => l.name === 'https')!.port;
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe.skipIf(skip)('the Certificates page in a browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    if (browserMissing) throw new Error(`no browser at ${executablePath}: .ci/run installs Debian's chromium (apt-get install chromium)`);
    if (pebbleMissing) throw new Error(`no pebble ("${pebbleBinary}"): .ci/run installs Debian's pebble (apt-get install pebble)`);
    if (!existsSync(join(defaultUiDir(), 'index.html'))) throw new Error('the admin UI is not built: run `npm run build` first');
    mkdirSync(screenshots, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-e2e-certs-'));
    writeFileSync(join(dataDir, 'hearth.json'), JSON.stringify({ domain: 'localhost' }));
    // No tls.certFile: Hearth manages the certificate, starting with a self-signed one.
    const loaded = loadConfig({ dataDir, overrides: { bind: '127.0.0.1', ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: 0, proxy65: 0 } } });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    hearth = await startServer(loaded.config, { log: silentLogger, configFile: loaded.file });
    const password = preparePassword('correct horse battery');
    if (!password.ok) throw new Error(password.reason);
    hearth.storage.accounts.create('mum', password.prepared, 'admin');
    dns = await startTestDnsServer();
    const port = (name: string) => hearth.listeners.find((l) => l.name === name)!.port;
    pebble = await startPebble({ httpPort: port('http'), tlsPort: port('https'), dnsServer: dns.address });

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
    await page.goto(`http://127.0.0.1:${port('admin')}/#token=${readAdminToken(dataDir)}`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    await pebble?.stop();
    await dns?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the self-signed certificate: its fingerprint as text and QR code, and which apps accept it', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Certificates' }).click();
    await page.getByRole('heading', { name: 'Certificates', level: 1 }).waitFor();
    const fingerprint = await page.getByRole('textbox', { name: 'Fingerprint (SHA-256)' }).inputValue();
    expect(fingerprint).toBe(await servedFingerprint());
    await page.getByRole('img', { name: 'QR code of the fingerprint' }).waitFor();
    expect(await page.getByRole('row', { name: /Monal/ }).textContent()).toContain('Refuses it');
    expect(await page.getByRole('row', { name: /Conversations/ }).textContent()).toContain('Asks you once');
    await shoot('certificates-self-signed');
  });

  it('imports a pasted certificate and key, and the server uses it at once', async () => {
    const files = await issueTestCertificate({ dir: dataDir, name: 'imported', dnsNames: ['localhost', 'conference.localhost', 'upload.localhost', 'proxy.localhost'] });
    await page.getByRole('textbox', { name: 'Certificate (and chain)' }).fill(readFileSync(files.certFile, 'utf8') + readFileSync(process.env.HEARTH_TEST_CA!, 'utf8'));
    // The key from its file, as a person would choose it.
    await page.getByLabel('Private key: choose a file').setInputFiles(files.keyFile);
    await expect.poll(() => page.getByRole('textbox', { name: 'Private key' }).inputValue()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    await page.getByRole('button', { name: 'Check and use it' }).click();
    await page.getByText('Imported: every listener uses it now').waitFor();
    const fingerprint = await page.getByRole('textbox', { name: 'Fingerprint (SHA-256)' }).inputValue();
    expect(fingerprint).toBe(await servedFingerprint());
    expect(hearth.certs.status().source).toBe('imported');
    await page.getByText('Imported', { exact: true }).waitFor();
  });

  it('gets a certificate from an ACME authority and shows each step', async () => {
    await page.getByRole('radio', { name: /Another ACME authority/ }).check();
    await page.getByRole('textbox', { name: 'ACME directory address' }).fill(pebble.directoryUrl);
    await page.getByRole('radio', { name: /Through port 80 \(HTTP-01\)/ }).check();
    await page.getByRole('checkbox', { name: /I agree to the certificate authority’s terms/ }).check();
    await page.getByRole('button', { name: 'Get the certificate' }).click();
    const progress = page.getByTestId('acme-progress');
    await progress.getByText('Contacting the certificate authority').waitFor();
    await progress.getByText('Done: every listener uses the new certificate, and Hearth renews it by itself.').waitFor({ timeout: 60_000 });
    expect(await progress.getByText('Proving that localhost is yours').count()).toBe(1);
    const fingerprint = await page.getByRole('textbox', { name: 'Fingerprint (SHA-256)' }).inputValue();
    expect(fingerprint).toBe(await servedFingerprint());
    expect(await page.getByText(/Pebble Intermediate CA/).count()).toBeGreaterThan(0);
    await shoot('certificates-acme');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
