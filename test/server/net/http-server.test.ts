import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicBaseUrl } from '../../../server/net/http-server.js';
import { startTestServer, type TestServer } from '../../support/server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, method = 'GET'): Promise<Answer> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the HTTP listeners', () => {
  let test: TestServer;
  let httpsPort: number;
  let httpPort: number;

  beforeAll(async () => {
    test = await startTestServer();
    httpsPort = test.server.listeners.find((l) => l.name === 'https')!.port;
    httpPort = test.server.listeners.find((l) => l.name === 'http')!.port;
  });
  afterAll(() => test.stop());

  it('answers an unknown path over HTTPS with 404 and no sniffing', async () => {
    const answer = await get(`https://localhost:${httpsPort}/nothing-here`);
    expect(answer.status).toBe(404);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('redirects plain HTTP to the same path over HTTPS', async () => {
    const answer = await get(`http://localhost:${httpPort}/some/path?x=1`);
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe(`https://localhost:${httpsPort}/some/path?x=1`);
  });

  it('refuses to carry a POST over plain HTTP', async () => {
    const answer = await get(`http://localhost:${httpPort}/http-bind`, 'POST');
    expect(answer.status).toBe(403);
  });

  it('refuses TLS below 1.2', async () => {
    const attempt = new Promise((resolve, reject) => {
      const req = httpsRequest(`https://localhost:${httpsPort}/`, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, resolve);
      req.on('error', reject);
      req.end();
    });
    await expect(attempt).rejects.toThrow();
  });
});

describe('the public base URL', () => {
  it('leaves out the HTTPS default port', () => {
    expect(publicBaseUrl('example.org', 443, undefined)).toBe('https://example.org');
    expect(publicBaseUrl('example.org', 5281, undefined)).toBe('https://example.org:5281');
  });

  it('prefers the configured address, without a trailing slash', () => {
    expect(publicBaseUrl('example.org', 5281, 'https://chat.example.org/')).toBe('https://chat.example.org');
  });
});
