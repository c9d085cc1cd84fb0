// XEP-0092: Software Version of the server.
import type { Element } from '@xmpp/client';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { domain, xml } from '../../support/server.js';
import { serverWithOneClient } from '../../support/stanzas.js';

const versionNs = 'jabber:iq:version';

const shared = serverWithOneClient();

async function askVersion(): Promise<Element> {
  const result = await shared.client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: versionNs })));
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
