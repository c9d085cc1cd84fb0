// The browser's AdminApi client (renderer/src/http-admin-api.ts), run in Node against the real
// server: requests, errors, and the event stream across a server restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlEvents } from '../../server/control/contract.js';
import { readAdminToken } from '../../server/control/admin-token.js';
import { createHttpAdminApi, readEvents, type HttpAdminApi } from '../../renderer/src/http-admin-api.js';
import { startTestServer, type TestServer } from '../support/server.js';

let t: TestServer;
let api: HttpAdminApi;
let token: string | undefined;
let unauthorized = 0;

beforeEach(async () => {
  t = await startTestServer();
  token = readAdminToken(t.dataDir);
  unauthorized = 0;
  api = createHttpAdminApi({ baseUrl: `http://127.0.0.1:${t.port('admin')}`, getToken: () => token, onUnauthorized: () => unauthorized++, retryMs: 50, maxRetryMs: 200 });
});
afterEach(async () => {
  api.close();
  await t.stop();
});

describe('the HTTP AdminApi client', () => {
  it('makes requests and returns their results', async () => {
    expect(await api.request('users.add', { username: 'alice', password: 'a long password' })).toMatchObject({ ok: true, value: { user: { jid: 'alice@localhost' } } });
    expect(await api.request('users.add', { username: 'alice' })).toEqual({ ok: false, error: 'there is already a user named alice' });
  });

  it('reports a wrong token and asks for it again', async () => {
    token = 'x'.repeat(43);
    const result = await api.request('status', {});
    expect(result.ok).toBe(false);
    expect(unauthorized).toBe(1);
  });

  it('says so when Hearth is not answering', async () => {
    await t.stop();
    expect(await api.request('status', {})).toEqual({ ok: false, error: 'Hearth is not answering. Is it still running?' });
    t = await startTestServer();
  });

  it('delivers events from the stream, and stops it when nobody listens', async () => {
    const changes: Array<ControlEvents['users.changed']> = [];
    const statuses: string[] = [];
    const stopStatus = api.subscribe('status', (s) => statuses.push(s.domain));
    const stopChanges = api.subscribe('users.changed', (c) => changes.push(c));
    await expect.poll(() => statuses.length).toBeGreaterThan(0);
    t.server.control.request('users.add', { username: 'bob', password: 'a long password' });
    await expect.poll(() => changes).toEqual([{ registeredUsers: 1, onlineUsers: 0 }]);
    stopStatus();
    stopChanges();
    await expect.poll(() => t.server.control.hub.listenerCount('status')).toBe(0);
  });

  it('reconnects the stream after the server comes back, and reports the outage', async () => {
    const port = t.port('admin');
    const dataDir = t.dataDir;
    const errors: string[] = [];
    let statuses = 0;
    api.subscribe('error', (e) => errors.push(e.message));
    api.subscribe('status', () => statuses++);
    await expect.poll(() => statuses).toBeGreaterThan(0);
    await t.server.stop();
    await expect.poll(() => errors).toEqual(['Lost the connection to Hearth. Trying again…']);
    t = await startTestServer({ ports: { c2s: 0, c2sTls: 0, s2s: 0, http: 0, https: 0, admin: port } }, dataDir);
    const before = statuses;
    await expect.poll(() => statuses, { timeout: 5000 }).toBeGreaterThan(before);
  });
});

describe('reading an event stream', () => {
  function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
  }

  it('splits events across chunks and line endings, skipping comments', async () => {
    const events: Array<[string, string]> = [];
    await readEvents(streamOf(': heartbeat\n\nevent: sta', 'tus\ndata: {"a":1}\n\n', 'event: error\r\ndata: one\r\ndata: two\r\n\r\ndata: plain\n\n'), new AbortController().signal, (e, d) =>
      events.push([e, d]),
    );
    expect(events).toEqual([
      ['status', '{"a":1}'],
      ['error', 'one\ntwo'],
      ['message', 'plain'],
    ]);
  });
});
