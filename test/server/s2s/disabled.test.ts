// s2s.enabled: false keeps Hearth to itself: no federation port, and stanzas for other servers
// answered at once with remote-server-not-found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextStanza, startTestServer, xml, type TestServer } from '../../support/server.js';
import { errorCondition } from '../../support/stanzas.js';

describe('federation switched off', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ s2s: { enabled: false } });
    t.addUser('alice');
  });
  afterAll(() => t?.stop());

  it('listens on no federation port', () => {
    expect(t.server.listeners.map((l) => l.name)).not.toContain('s2s');
    expect(t.server.federation.status()).toMatchObject({ enabled: false, outgoingLinks: 0, incomingLinks: 0 });
  });

  it('answers a message for another server with remote-server-not-found', async () => {
    const alice = await t.connect('alice', { mechanism: 'SCRAM-SHA-256' });
    const error = nextStanza(alice, (s) => s.is('message') && s.attrs.type === 'error');
    await alice.send(xml('message', { to: 'bob@elsewhere.example', type: 'chat', id: 'off' }, xml('body', {}, 'hi')));
    expect(errorCondition(await error)).toBe('remote-server-not-found');
  });
});
