// The HTTP transport of the control API, with a stand-in control API: tokens, content types,
// limits, Server-Sent Events and the UI's static files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventNames, type AdminApi, type ControlEvents, type EventName } from '../../../server/control/contract.js';
import { contentSecurityPolicy, startAdminApi, type AdminApiOptions } from '../../../server/control/http-api.js';
import { closeServer } from '../../../server/net/c2s-listeners.js';

const token = 'a'.repeat(43);
let dir: string;
let uiDir: string;
let server: Server;
let base: string;
let calls: Array<{ name: string; input: unknown }>;
let listeners: Map<EventName, Set<(payload: never) => void>>;

/** Records requests and lets a test push events, like the real control API. */
const control: AdminApi = {
  async request(name, input) {
    calls.push({ name, input });
    if (name === 'status') return { ok: true, value: { domain: 'localhost', onlineUsers: 0 } as never };
    return { ok: true, value: { echo: input } as never };
  },
  subscribe(event, listener) {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  },
};

function emit<E extends EventName>(event: E, payload: ControlEvents[E]) {
  for (const listener of listeners.get(event) ?? []) (listener as (p: ControlEvents[E]) => void)(payload);
}
const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);

async function start(options: Partial<AdminApiOptions> = {}) {
  server = await startAdminApi({ bind: '127.0.0.1', port: 0, token, control, uiDir, routes: { '/api/status': () => ({ running: true }) }, heartbeatMs: 50, ...options });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-http-'));
  uiDir = join(dir, 'ui');
  mkdirSync(join(uiDir, 'assets'), { recursive: true });
  writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>Hearth</title>');
  writeFileSync(join(uiDir, 'assets', 'index-abc123.js'), 'console.log("hi")');
  writeFileSync(join(uiDir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(uiDir, '.secret'), 'hidden');
  writeFileSync(join(dir, 'outside.txt'), 'SECRET OUTSIDE');
  calls = [];
  listeners = new Map();
  await start();
});
afterEach(async () => {
  await closeServer(server);
  rmSync(dir, { recursive: true, force: true });
});

const auth = { Authorization: `Bearer ${token}` };
const post = (name: string, body: string, headers: Record<string, string> = { ...auth, 'Content-Type': 'application/json' }) =>
  fetch(`${base}/api/${name}`, { method: 'POST', headers, body });

/** A raw GET, so the path is sent exactly as written (fetch would normalize "..") */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control requests over HTTP', () => {
  it('answers a request posted as JSON with its ControlResult', async () => {
    const response = await post('users.add', JSON.stringify({ username: 'alice' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, value: { echo: { username: 'alice' } } });
    expect(calls).toEqual([{ name: 'users.add', input: { username: 'alice' } }]);
  });

  it('takes an empty body as no input', async () => {
    expect((await post('users.list', '')).status).toBe(200);
    expect(calls).toEqual([{ name: 'users.list', input: {} }]);
  });

  it('refuses a missing or wrong token', async () => {
    const attempts: Array<Record<string, string>> = [{ 'Content-Type': 'application/json' }, { Authorization: `Bearer ${'b'.repeat(43)}`, 'Content-Type': 'application/json' }];
    for (const headers of attempts) {
      const response = await post('users.list', '{}', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses bodies that are not JSON with 415, so plain HTML forms cannot post', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post('users.add', '{"username":"mallory"}', { ...auth, 'Content-Type': type });
      expect(response.status).toBe(415);
    }
    expect((await post('users.add', '{}', auth)).status).toBe(415);
    expect((await post('users.add', '{}', { ...auth, 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('refuses bodies over the size limit', async () => {
    await closeServer(server);
    await start({ maxBodyBytes: 1000 });
    const response = await post('users.add', JSON.stringify({ username: 'x'.repeat(2000) }));
    expect(response.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('refuses JSON that does not parse', async () => {
    expect((await post('users.add', '{ username: ')).status).toBe(400);
  });

  it('answers 404 for unknown requests and 405 for the wrong method', async () => {
    expect((await post('users.frobnicate', '{}')).status).toBe(404);
    expect((await fetch(`${base}/api/users.list`, { headers: auth })).status).toBe(405);
  });

  it('keeps GET /api/status for the command line', async () => {
    const response = await fetch(`${base}/api/status`, { headers: auth });
    expect(await response.json()).toEqual({ running: true });
  });

  it('grants no cross-origin access', async () => {
    const preflight = await fetch(`${base}/api/users.add`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.ok).toBe(false);
  });

  it('refuses other host names on loopback (DNS rebinding)', async () => {
    expect((await rawGet('/api/status', { ...auth, Host: 'evil.example' })).status).toBe(421);
    expect((await rawGet('/', { Host: 'evil.example' })).status).toBe(421);
  });
});

describe('events over Server-Sent Events', () => {
  async function openStream() {
    const abort = new AbortController();
    const response = await fetch(`${base}/api/events`, { headers: auth, signal: abort.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    return {
      response,
      abort,
      /** Reads until `pattern` has appeared in the stream. */
      async until(pattern: RegExp) {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
          text += decoder.decode(value, { stream: true });
        }
        return text;
      },
    };
  }

  it('streams the status at once, then events as they happen, with heartbeats', async () => {
    const stream = await openStream();
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await stream.until(/event: status\ndata: \{"domain":"localhost","onlineUsers":0\}\n\n/);
    emit('users.changed', { registeredUsers: 2, onlineUsers: 1 });
    await stream.until(/event: users\.changed\ndata: \{"registeredUsers":2,"onlineUsers":1\}\n\n/);
    emit('error', { message: 'line one\nline two' });
    await stream.until(/event: error\ndata: \{"message":"line one\\nline two"\}\n\n/);
    await stream.until(/: heartbeat\n\n/);
    stream.abort.abort();
  });

  it('stops listening when the page goes away', async () => {
    const stream = await openStream();
    await stream.until(/event: status/);
    // One listener for each event the stream carries.
    expect(listenerCount()).toBe(eventNames.length);
    stream.abort.abort();
    await expect.poll(listenerCount).toBe(0);
  });

  it('ends open streams when the server closes', async () => {
    const stream = await openStream();
    await stream.until(/event: status/);
    await closeServer(server);
    expect(listenerCount()).toBe(0);
    await start();
  });
});

describe('the UI files', () => {
  it('are served without a token, with the security headers', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<title>Hearth</title>');
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(contentSecurityPolicy).toBe(
      "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('have the right content types, and hashed assets are cached', async () => {
    const js = await fetch(`${base}/assets/index-abc123.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/assets/index-abc123.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answer any page path with index.html, and a missing asset with 404', async () => {
    expect(await (await fetch(`${base}/users/alice`)).text()).toContain('<title>Hearth</title>');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it('never leave the UI folder', async () => {
    for (const path of ['/../outside.txt', '/assets/../../outside.txt', '/..%2foutside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt', '/..\\outside.txt', '/.secret', '/%00']) {
      const response = await rawGet(path);
      expect(response.body, path).not.toContain('SECRET');
      expect(response.body, path).not.toContain('hidden');
      expect(response.status, path).toBe(404);
    }
  });

  it('say how to build the UI when it is missing', async () => {
    await closeServer(server);
    await start({ uiDir: join(dir, 'not-built') });
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build');
  });
});
