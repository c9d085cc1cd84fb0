// The admin API and UI are for this computer: loopback only unless adminAllowRemote opens them
// (test/server/config/load.test.ts), whatever address the chat ports use, and every API call
// needs the admin token (test/server/control/http-api.test.ts).
import { connect } from 'node:net';
import { request, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAdminApi } from '../../server/control/http-api.js';
import { closeServer } from '../../server/net/c2s-listeners.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** An IPv4 address of this machine other than loopback, if it has one. */
function lanAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

let server: TestServer;
beforeAll(async () => {
  // Chat on every interface, as a family server runs by default; no mDNS announcements from a test.
  server = await startTestServer({ bind: '*', mdns: { enabled: false } });
});
afterAll(() => server.stop());

it('binds the admin API to loopback even when the chat ports listen on every interface', () => {
  const listener = (name: string) => server.server.listeners.find((l) => l.name === name)!;
  expect(listener('admin').address).toBe('127.0.0.1');
  expect(['::', '0.0.0.0']).toContain(listener('c2s').address);
});

it.skipIf(lanAddress() === undefined)('refuses connections to the admin port from the network', async () => {
  const address = lanAddress()!;
  // The same address reaches the chat port, so a refusal is the admin port's own.
  expect(await accepts(address, server.port('c2s'))).toBe(true);
  expect(await accepts(address, server.port('admin'))).toBe(false);
  expect(await accepts('127.0.0.1', server.port('admin'))).toBe(true);
});

it('answers a loopback admin API under the address it is bound to, and no other name', async () => {
  // 127.0.0.2 is loopback too; its Host header is the bind address, not "localhost".
  const api: Server = await startAdminApi({ bind: '127.0.0.2', port: 0, token: 'secret-token-for-the-test' });
  try {
    const port = (api.address() as { port: number }).port;
    // node:http, not fetch: fetch does not let a page (or a test) choose the Host header.
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.2', port, path: '/api/status', headers: { Host: host, Authorization: 'Bearer secret-token-for-the-test' } }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        });
        req.once('error', reject);
        req.end();
      });
    // 404: past the Host check (this API has no status route); 421: stopped by it.
    expect(await get(`127.0.0.2:${port}`)).toBe(404);
    expect(await get(`rebind.example:${port}`)).toBe(421);
  } finally {
    await closeServer(api);
  }
});
