// The harness against a real Hearth (in this process): it counts every message when nothing goes
// wrong, and reports the loss when a receiver drops off in the middle of the run.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioContext } from '../../bench/scenarios/context.js';
import { messagesScenario } from '../../bench/scenarios/messages.js';
import { defaultPassword, startTestServer, type TestServer } from '../support/server.js';

describe('the messages scenario against Hearth', () => {
  let t: TestServer;
  let context: ScenarioContext;
  const usernames = ['sender1', 'sender2', 'receiver1', 'receiver2'];

  beforeAll(async () => {
    t = await startTestServer();
    for (const username of usernames) t.addUser(username);
    context = {
      host: '127.0.0.1',
      port: t.port('c2s'),
      domain: 'localhost',
      mucDomain: 'conference.localhost',
      // The server runs in this process: its CPU time would include the load generator's.
      pid: undefined,
      ca: readFileSync(process.env.HEARTH_TEST_CA!),
      password: defaultPassword,
      localAddresses: ['127.0.0.1', '127.0.0.2'],
      streamManagement: true,
      progress: () => {},
    };
  });
  afterAll(() => t?.stop());

  it('counts every message delivered, none lost, none twice', async () => {
    const result = await messagesScenario(context, { pairs: 2, messages: 200, window: 5, rate: 100, rateSeconds: 0.5, stallMs: 3000, usernames });
    expect(result.figures['messages.lost']).toBe(0);
    expect(result.figures['messages.rate']).toBeGreaterThan(0);
    expect(result.figures['messages.p99']).toBeGreaterThanOrEqual(result.figures['messages.p50']!);
    expect(result.figures['messages.fixed.p50']).toBeGreaterThan(0);
    expect(result.notes).toEqual([]);
  });

  it('reports messages as lost when a receiver disconnects mid-run', async () => {
    const result = await messagesScenario(context, {
      pairs: 2,
      messages: 0,
      window: 1,
      // The fixed-rate phases (100/s, then 200/s) keep sending to the receiver after it is gone.
      rate: 200,
      rateSeconds: 1,
      stallMs: 1500,
      usernames,
      onReady: ({ receivers }) => setTimeout(() => receivers[0]!.destroy(), 300),
    });
    expect(result.figures['messages.lost']).toBeGreaterThan(0);
    const notes = result.notes.join('\n');
    expect(notes).toMatch(/fixed rate 100\/s: \d+ of 100 deliveries lost \(e\.g\. h0\./);
    expect(notes).toMatch(/fixed rate 200\/s: \d+ of 200 deliveries lost \(e\.g\. b0\./);
  });
});
