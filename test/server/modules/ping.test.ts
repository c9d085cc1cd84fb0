// XEP-0199: XMPP Ping, client to server.
import { expect, it } from 'vitest';
import { domain, xml } from '../../support/server.js';
import { serverWithOneClient } from '../../support/stanzas.js';

const shared = serverWithOneClient();

it('answers a ping to the server with an empty result', async () => {
  const result = await shared.client.iqCaller.request(xml('iq', { type: 'get', to: domain, id: 'c2s1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  // XEP-0199 §4.2.
  expect(result.attrs).toMatchObject({ type: 'result', id: 'c2s1', from: domain });
  expect(result.getChildElements()).toEqual([]);
});
