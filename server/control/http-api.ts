// The control API over HTTP on the admin port (loopback by default). Every request needs the
// admin token in `Authorization: Bearer …`. Browsers cannot add that header cross-origin without
// a CORS preflight, which is never granted, so other sites cannot drive it (CSRF); the Host
// check stops DNS-rebinding pages from reaching it under another name.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenAddress } from '../net/c2s-listeners.js';
import { tokenMatches } from './admin-token.js';

export type ControlHandler = () => unknown;

export interface AdminApiOptions {
  bind: string;
  port: number;
  token: string;
  routes: Record<string, ControlHandler>;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

export function startAdminApi(options: AdminApiOptions): Promise<Server> {
  const server = createServer((request, response) => handle(options, request, response));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: listenAddress(options.bind) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function handle(options: AdminApiOptions, request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  const hostName = (request.headers.host ?? '').replace(/:\d+$/, '');
  if (isLoopbackBind(options.bind) && !loopbackHosts.has(hostName)) return reply(response, 421, { error: 'unknown host name' });
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!tokenMatches(options.token, bearer)) return reply(response, 401, { error: 'the admin token is missing or wrong' });
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = request.method === 'GET' ? options.routes[path] : undefined;
  if (!handler) return reply(response, 404, { error: `no such request: ${request.method} ${path}` });
  try {
    reply(response, 200, handler());
  } catch {
    reply(response, 500, { error: 'the server failed to answer; see its log' });
  }
}

function isLoopbackBind(bind: string): boolean {
  return bind === '127.0.0.1' || bind === '::1' || bind === 'localhost';
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
