// XEP-0199: XMPP Ping, client to server.
import type { Client } from '@xmpp/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { domain, startTestServer, stopQuietly, xml, type TestServer } from '../../support/server.js';
import { freshAccounts, login } from '../../support/stanzas.js';

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

it('answers a ping to the server with an empty result', async () => {
  const result = await client.iqCaller.request(xml('iq', { type: 'get', to: domain, id: 'c2s1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  // XEP-0199 §4.2.
  expect(result.attrs).toMatchObject({ type: 'result', id: 'c2s1', from: domain });
  expect(result.getChildElements()).toEqual([]);
});
