// XEP-0202: Entity Time of the server.
import type { Element } from '@xmpp/client';
import { expect, it } from 'vitest';
import { domain, xml } from '../../support/server.js';
import { serverWithOneClient } from '../../support/stanzas.js';

const timeNs = 'urn:xmpp:time';

const shared = serverWithOneClient();

async function askTime(): Promise<Element> {
  const result = await shared.client.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('time', { xmlns: timeNs })));
  return result.getChild('time', timeNs)!;
}

it('tells the current time in UTC', async () => {
  const before = Date.now();
  const utc = (await askTime()).getChildText('utc') ?? '';
  const after = Date.now();
  // XEP-0082 DateTime in UTC ("Z"), seconds precision at least.
  expect(utc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  const at = Date.parse(utc);
  expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect(at).toBeLessThanOrEqual(after);
});

it('tells the server’s offset from UTC', async () => {
  const tzo = (await askTime()).getChildText('tzo') ?? '';
  // XEP-0082 TZD: "Z" or [+-]hh:mm.
  expect(tzo).toMatch(/^(Z|[+-]\d{2}:[0-5]\d)$/);
  const minutes = tzo === 'Z' ? 0 : (tzo.startsWith('-') ? -1 : 1) * (Number(tzo.slice(1, 3)) * 60 + Number(tzo.slice(4, 6)));
  // The server runs in this process, so it shares this process's time zone ("|| 0": no -0).
  expect(minutes || 0).toBe(-new Date().getTimezoneOffset() || 0);
});
