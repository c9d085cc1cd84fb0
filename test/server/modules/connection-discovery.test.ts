import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/server.js';

describe('connection discovery (XEP-0156)', () => {
  let test: TestServer;
  let base: string;

  beforeAll(async () => {
    test = await startTestServer();
    base = `https://localhost:${test.server.listeners.find((l) => l.name === 'https')!.port}`;
  });
  afterAll(() => test.stop());

  it('lists the BOSH and WebSocket endpoints in host-meta XML', async () => {
    const response = await fetch(`${base}/.well-known/host-meta`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/xrd+xml; charset=utf-8');
    const body = await response.text();
    expect(body).toContain('<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">');
    expect(body).toContain(`<Link rel="urn:xmpp:alt-connections:xbosh" href="${base}/http-bind"/>`);
    expect(body).toContain(`<Link rel="urn:xmpp:alt-connections:websocket" href="${base.replace('https:', 'wss:')}/xmpp-websocket"/>`);
  });

  it('lists the same endpoints in host-meta JSON', async () => {
    const response = await fetch(`${base}/.well-known/host-meta.json`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({
      links: [
        { rel: 'urn:xmpp:alt-connections:xbosh', href: `${base}/http-bind` },
        { rel: 'urn:xmpp:alt-connections:websocket', href: `${base.replace('https:', 'wss:')}/xmpp-websocket` },
      ],
    });
  });

  it('lets web clients on other origins read it', async () => {
    const response = await fetch(`${base}/.well-known/host-meta.json`, { headers: { Origin: 'https://webchat.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`${base}/.well-known/host-meta`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('uses the configured public address behind a forwarding router', async () => {
    const forwarded = await startTestServer({ http: { publicUrl: 'https://chat.example.org' } });
    try {
      const port = forwarded.server.listeners.find((l) => l.name === 'https')!.port;
      const body = await (await fetch(`https://localhost:${port}/.well-known/host-meta.json`)).text();
      expect(body).toContain('"href": "https://chat.example.org/http-bind"');
      expect(body).toContain('"href": "wss://chat.example.org/xmpp-websocket"');
    } finally {
      await forwarded.stop();
    }
  });

  it('refuses to change it', async () => {
    const response = await fetch(`${base}/.well-known/host-meta`, { method: 'PUT', body: 'x' });
    expect(response.status).toBe(405);
  });
});
