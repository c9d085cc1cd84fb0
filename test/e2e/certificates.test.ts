// End to end: the Certificates page in Debian's Chromium against the real server, which starts
// with its self-signed certificate. The page shows it (fingerprint as text and QR code), imports
// a certificate from pasted text, and gets one from a real pebble on loopback, showing each step.
// Screenshots (light and dark, 800x600 and phone size) go to test-artifacts/screenshots/.
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openAdminPage, openBrowser, requireBrowserAndUi, shoot, skipWhenMissing } from '../support/browser.js';
import { startTestDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';
import { pebbleBinary, pebbleInstalled, startPebble, type Pebble } from '../support/pebble.js';
import { issueTestCertificate } from '../support/test-ca.js';

const pebbleMissing = !pebbleInstalled();

let dataDir: string;
let hearth: RunningHearth;
let dns: TestDnsServer;
let pebble: Pebble;
let browser: Browser;
let page: Page;
let problems: string[] = [];

function servedFingerprint(): Promise<string> {
  const port = hearth.port('https');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe.skipIf(skipWhenMissing(browserMissing, pebbleMissing))('the Certificates page in a browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    if (pebbleMissing) throw new Error(`no pebble ("${pebbleBinary}"): .ci/run installs Debian's pebble (apt-get install pebble)`);
    dataDir = temporaryDataDir('certs');
    // No tls.certFile: Hearth manages the certificate, starting with a self-signed one.
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost' }, { testCertificate: false });
    hearth.addAccount('mum', 'admin');
    dns = await startTestDnsServer();
    pebble = await startPebble({ httpPort: hearth.port('http'), tlsPort: hearth.port('https'), dnsServer: dns.address });

    ({ browser, page, problems } = await openBrowser());
    await openAdminPage(page, hearth.port('admin'), dataDir);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    await pebble?.stop();
    await dns?.stop();
    removeDataDir(dataDir);
  });

  it('shows the self-signed certificate: its fingerprint as text and QR code, and which apps accept it', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Certificates' }).click();
    await page.getByRole('heading', { name: 'Certificates', level: 1 }).waitFor();
    const fingerprint = await page.getByRole('textbox', { name: 'Fingerprint (SHA-256)' }).inputValue();
    expect(fingerprint).toBe(await servedFingerprint());
    await page.getByRole('img', { name: 'QR code of the fingerprint' }).waitFor();
    expect(await page.getByRole('row', { name: /Monal/ }).textContent()).toContain('Refuses it');
    expect(await page.getByRole('row', { name: /Conversations/ }).textContent()).toContain('Asks you once');
    await shoot(page, 'certificates-self-signed');
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
    expect(hearth.server.certs.status().source).toBe('imported');
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
    await shoot(page, 'certificates-acme');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
