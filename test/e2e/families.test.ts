// End to end for families: the real server (in this process, real ports, real SQLite), the built
// admin UI in Debian's Chromium. An admin makes an invitation on the Invites page and sees its QR
// code; its landing page (over HTTPS) shows the QR code and registers someone through the web
// form; the newcomer is in the family circle with the family in their contacts; the Circles page
// shows it and makes another circle. Screenshots go to test-artifacts/screenshots/.
import type { Client } from '@xmpp/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, openAdminPage, openBrowser, requireBrowserAndUi, shoot, skipWhenMissing, watchForProblems } from '../support/browser.js';
import { removeDataDir, startHearthFromDataDir, temporaryDataDir, type RunningHearth } from '../support/e2e-server.js';
import { connectClient, stopQuietly } from '../support/server.js';
import { getRoster, rosterItems } from '../support/stanzas.js';

let dataDir: string;
let hearth: RunningHearth;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];
const clients: Client[] = [];
let landingUrl = '';

function openPage(name: 'Dashboard' | 'Invites' | 'Circles') {
  return page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();
}

describe.skipIf(skipWhenMissing(browserMissing))('families in the admin UI and the invitation page', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    requireBrowserAndUi();
    dataDir = temporaryDataDir('families');
    hearth = await startHearthFromDataDir(dataDir, { domain: 'localhost' });
    // The household, its admin and one more person, as the setup wizard and the Users page make them.
    const { control } = hearth.server;
    const setup = await control.request('setup.complete', { domain: 'localhost', username: 'mum', password: 'mum has a long password' });
    if (!setup.ok) throw new Error(setup.error);
    const dad = await control.request('users.add', { username: 'dad', password: 'dad has a long password' });
    if (!dad.ok) throw new Error(dad.error);
    const family = (await control.request('circles.list', {})) as { ok: true; value: Array<{ id: number }> };
    await control.request('circles.addMember', { id: family.value[0]!.id, username: 'dad' });

    // The invitation page is served with the test CA's certificate, which Chromium does not know.
    ({ browser, context, page, problems } = await openBrowser({ ignoreHTTPSErrors: true }));
    await openAdminPage(page, hearth.port('admin'), dataDir);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await stopQuietly(client);
    await browser?.close();
    await hearth?.stop();
    removeDataDir(dataDir);
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
    expect(landingUrl).toMatch(new RegExp(`^https://localhost:${hearth.port('https')}/invite/[A-Za-z0-9]{22}$`));
    await card.getByText('joins Family').waitFor();
    await shoot(page, 'invites-created');
  });

  it('opens the landing page with the QR code and instructions, and registers through the web form', async () => {
    const landing = await context.newPage();
    // 400: the form sent back with a mistake to correct, on purpose below.
    watchForProblems(landing, { allowedStatuses: [400], into: problems });
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
    const grandma = connectClient(hearth.port('c2s'), 'grandma', { password: 'knitting needles', mechanism: 'SCRAM-SHA-256' });
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
    expect(hearth.server.storage.circles.byName('Grandparents')?.members).toEqual(['grandma']);
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
