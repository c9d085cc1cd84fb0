// The privacy.facts request against the real server: its answer follows the contract's schema,
// follows the running settings (the Storage page's change of upload.retentionDays at once), and
// tells how much the throttles hold in memory as counts only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privacyFactsSchema, type PrivacyFacts } from '../../../server/control/contract.js';
import { connectClient, startTestServer, stopQuietly, type TestServer } from '../../support/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ archive: { retentionDays: 14 }, auth: { exemptLoopback: false } });
});
afterAll(() => t.stop());

async function facts(): Promise<PrivacyFacts> {
  const answer = await t.server.control.request('privacy.facts', {});
  if (!answer.ok) throw new Error(answer.error);
  return answer.value;
}

const fact = (all: PrivacyFacts, id: string) => all.kept.find((f) => f.id === id);

describe('privacy.facts', () => {
  it('answers with what the contract describes', async () => {
    expect(privacyFactsSchema.safeParse(await facts()).success).toBe(true);
  });

  it('says how long messages are kept, from archive.retentionDays', async () => {
    expect(fact(await facts(), 'archive')).toMatchObject({ kept: '14 days', where: 'disk', settings: ['archive.retentionDays'] });
  });

  it('follows a change of upload.retentionDays made on the Storage page at once', async () => {
    expect(fact(await facts(), 'uploads')?.kept).toBe('30 days');
    const changed = await t.server.control.request('storage.setOptions', { retentionDays: 5 });
    expect(changed.ok).toBe(true);
    expect(fact(await facts(), 'uploads')?.kept).toBe('5 days');
  });

  it('gives the address of the public statement on the HTTPS listener', async () => {
    const https = t.server.listeners.find((l) => l.name === 'https')!.port;
    expect((await facts()).statementUrl).toBe(`https://localhost:${https}/privacy`);
  });

  it('counts failed sign-ins held in memory, without saying from where', async () => {
    t.addUser('gran');
    const xmpp = connectClient(t.port('c2s'), 'gran', { password: 'not the password', mechanism: 'SCRAM-SHA-256' });
    await xmpp.start().catch(() => undefined);
    await stopQuietly(xmpp);
    const answer = await facts();
    expect(answer.now).toEqual({ failedSignInAddresses: 1, failedSignInAccounts: 1, newAccountAddresses: 0 });
    expect(JSON.stringify(answer)).not.toContain('127.0.0.1');
  });
});
