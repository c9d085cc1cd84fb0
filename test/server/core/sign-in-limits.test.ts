import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../support/raw-client.js';
import { openSecureStream } from '../../support/raw-streams.js';
import { connectClient, defaultPassword, startTestServer, stopQuietly, type TestServer } from '../../support/server.js';

function plainAuth(username: string, password: string): string {
  return `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString('base64')}</auth>`;
}

describe('sign-in throttling and connection limits', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({
      auth: { exemptLoopback: false, maxFailuresPerAddress: 3, maxFailuresPerAccount: 3, lockMinutes: 1 },
      limits: { maxConnectionsPerAddress: 4 },
    });
    test.addUser('grandma');
    test.addUser('grandpa');
  });
  afterAll(() => test.stop());

  it('locks an address out after repeated wrong passwords, even for the right one', async () => {
    const { raw } = await openSecureStream(test.port('c2s'));
    for (let attempt = 1; attempt <= 3; attempt++) {
      raw.send(plainAuth('grandma', 'not the password'));
      expect(await raw.waitFor(/<\/failure>/)).toContain('<not-authorized/>');
    }
    raw.destroy();

    const again = await openSecureStream(test.port('c2s'));
    again.raw.send(plainAuth('grandma', defaultPassword));
    const answer = await again.raw.waitFor(/<\/failure>/);
    expect(answer).toContain('<temporary-auth-failure/>');
    expect(answer).toContain('too many failed sign-ins from this address; try again in 1 minute');
    again.raw.destroy();
  });

  it('locks an account guessed at with SCRAM from many addresses, even for the right password from another', async () => {
    const signIn = async (address: string, password: string) => {
      const xmpp = connectClient(test.port('c2s'), 'grandpa', { password, mechanism: 'SCRAM-SHA-256', localAddress: address });
      try {
        await xmpp.start();
        return 'signed in';
      } catch (error) {
        return `${(error as { condition?: string }).condition}: ${(error as Error).message}`;
      } finally {
        await stopQuietly(xmpp);
      }
    };
    for (const address of ['127.0.0.91', '127.0.0.92', '127.0.0.93']) expect(await signIn(address, 'not the password')).toMatch(/^not-authorized/);
    expect(await signIn('127.0.0.94', defaultPassword)).toMatch(/^temporary-auth-failure: .*too many failed sign-ins for this account/);
  });

  it('refuses a connection beyond the per-address limit with a stream error', async () => {
    const open: RawClient[] = [];
    try {
      for (let i = 0; i < 4; i++) open.push(await RawClient.plain(test.port('c2s')));
      const extra = await RawClient.plain(test.port('c2s'));
      open.push(extra);
      const text = await extra.waitFor(/<\/stream:stream>/);
      expect(text).toContain('<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>');
      expect(text).toContain('too many connections from your address');
    } finally {
      for (const raw of open) raw.destroy();
    }
  });
});
