// XEP-0092: Software Version of the server.
import type { Client, Element } from '@xmpp/client';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { freshAccounts, login } from '../../support/stanzas.js';

const versionNs = 'jabber:iq:version';

let t: TestServer;
let client: Client;

beforeAll(async () => {
  t = await startTestServer();
  const [alice] = freshAccounts(t, 'alice');
  client = await login(t, alice);
});
afterAll(async () => {
  await stopQuietly(client);
  await t.stop();
});

async function askVersion(): Promise<Element> {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: versionNs })));
  return result.getChild('query', versionNs)!;
}

it('names the software Hearth', async () => {
  expect((await askVersion()).getChildText('name')).toBe('Hearth');
});

it('gives the version from package.json', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect((await askVersion()).getChildText('version')).toBe(pkg.version);
});

it('does not reveal the operating system', async () => {
  expect((await askVersion()).getChild('os')).toBeUndefined();
});
