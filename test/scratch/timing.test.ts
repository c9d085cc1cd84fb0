import { afterAll, beforeAll, it } from 'vitest';
import { startTestServer, stopQuietly, type TestServer } from '../support/server.js';
let t: TestServer;
beforeAll(async () => { const s = Date.now(); t = await startTestServer(); t.addUser('alice'); console.log('start', Date.now() - s); });
afterAll(() => t.stop());
it('times', async () => {
  for (const mechanism of ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'PLAIN', 'PLAIN', 'SCRAM-SHA-1'] as const) {
    const s = Date.now();
    const c = await t.connect('alice', { mechanism });
    const m = Date.now();
    await stopQuietly(c);
    console.log(mechanism, m - s, Date.now() - m);
  }
});
