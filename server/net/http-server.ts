// The XMPP server's web side (DESIGN.md: net/): one HTTPS listener on ports.https for everything
// browsers and phones fetch — file upload (XEP-0363), BOSH, WebSocket, host-meta (XEP-0156), the
// invite and privacy pages — and a plain HTTP listener on ports.http that only answers what must
// work without TLS (ACME HTTP-01 challenges) and sends everything else to HTTPS.
//
// Features add routes; they never create servers of their own. The admin API is not here: it
// has its own loopback-only listener (control/http-api.ts).
import { createServer as createPlainServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '../util/log.js';
import { listenAddress, type ListenOptions } from './c2s-listeners.js';
import type { TlsCredentials } from './tls.js';

export interface HttpRoute {
  /** An exact path ("/http-bind"), or every path under a prefix when it ends with "/" ("/upload/"). */
  path: string;
  /** Also answered over plain HTTP (ACME HTTP-01 needs it); other routes redirect to HTTPS there. */
  plain?: boolean;
  /**
   * The handler answers "Expect: 100-continue" itself (response.writeContinue() once it wants the
   * body), so an upload it refuses is refused before its bytes are sent (RFC 9110 §10.1.1).
   * Other routes get the 100 Continue before their handler runs.
   */
  handlesContinue?: boolean;
  handle(request: IncomingMessage, response: ServerResponse, url: URL): void | Promise<void>;
}

/** Takes over a connection that asked to upgrade (WebSocket, RFC 6455 §4). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The routing table shared by both listeners; routes can be added before or after they start. */
export class HttpRoutes {
  private routes: HttpRoute[] = [];
  private readonly upgrades = new Map<string, UpgradeHandler>();

  constructor(private readonly log: Logger) {}

  add(route: HttpRoute): () => void {
    if (this.routes.some((r) => r.path === route.path)) throw new Error(`the HTTP path ${route.path} is served twice`);
    this.routes = [...this.routes, route];
    return () => {
      this.routes = this.routes.filter((r) => r !== route);
    };
  }

  addUpgrade(path: string, handler: UpgradeHandler): () => void {
    if (this.upgrades.has(path)) throw new Error(`the upgrade path ${path} is served twice`);
    this.upgrades.set(path, handler);
    return () => this.upgrades.delete(path);
  }

  /** The route for a path: an exact match first, else the longest matching prefix. */
  find(pathname: string): HttpRoute | undefined {
    let best: HttpRoute | undefined;
    for (const route of this.routes) {
      if (route.path === pathname) return route;
      if (route.path.endsWith('/') && pathname.startsWith(route.path) && (!best || route.path.length > best.path.length)) best = route;
    }
    return best;
  }

  /** `expectsContinue`: the client waits for 100 Continue before it sends the body. */
  async serve(request: IncomingMessage, response: ServerResponse, secure: boolean, httpsPort: number, expectsContinue = false): Promise<void> {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    const url = requestUrl(request, secure);
    if (!url) return sendText(response, 400, 'that request address is not valid');
    const route = this.find(url.pathname);
    if (!secure && !route?.plain) return redirectToHttps(request, response, url, httpsPort);
    if (!route) return sendText(response, 404, 'not found');
    if (expectsContinue && !route.handlesContinue) response.writeContinue();
    try {
      await route.handle(request, response, url);
    } catch (error) {
      this.log.error(`HTTP handler for ${route.path} failed`, error);
      if (!response.headersSent) sendText(response, 500, 'the server failed to answer this request');
      else response.destroy();
    }
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void {
    const url = requestUrl(request, secure);
    const handler = secure && url ? this.upgrades.get(url.pathname) : undefined;
    if (!handler) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handler(request, socket, head);
  }
}

export interface HttpListenOptions extends ListenOptions {
  log: Logger;
}

export async function listenHttps(options: HttpListenOptions, credentials: TlsCredentials, routes: HttpRoutes): Promise<Server> {
  const server = createSecureServer({ ...credentials.options, SNICallback: credentials.sniCallback, ALPNProtocols: ['http/1.1'] });
  configure(server);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void routes.serve(request, response, true, localPort(server));
  });
  // Without this listener Node sends 100 Continue itself, before any route could refuse the body.
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    void routes.serve(request, response, true, localPort(server), true);
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => routes.upgrade(request, socket, head, true));
  // Handshake failures (scanners, old clients) are the client's problem, not ours to log.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  // Certificate renewal swaps the certificate in place; ACME TLS-ALPN-01 is answered here too.
  credentials.attach(server);
  return listen(server, options);
}

/** Plain HTTP: ACME challenges, and a redirect to HTTPS on `httpsPort()` for everything else. */
export async function listenHttp(options: HttpListenOptions, routes: HttpRoutes, httpsPort: () => number): Promise<Server> {
  const server = createPlainServer();
  configure(server);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void routes.serve(request, response, false, httpsPort());
  });
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    void routes.serve(request, response, false, httpsPort(), true);
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => routes.upgrade(request, socket, head, false));
  return listen(server, options);
}

function configure(server: Server & { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; maxHeadersCount: number | null }): void {
  // Slow-loris guard: the headers must arrive quickly. Bodies may take long (a big upload on a
  // phone's uplink), so there is no whole-request timeout; an idle socket is closed instead.
  server.headersTimeout = 20_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 30_000;
  server.maxHeadersCount = 64;
  server.setTimeout(120_000);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Only a request the HTTP parser refused (HPE_* codes) or that came too slowly gets an
    // answer. After a TLS failure (a refused renegotiation, an alert) the session cannot carry
    // one: end() would never finish and the connection would sit half-closed until its timeout,
    // holding up server.close().
    if (socket.writable && (error.code?.startsWith('HPE_') || error.code === 'ERR_HTTP_REQUEST_TIMEOUT')) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
}

function listen(server: Server, options: ListenOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: listenAddress(options.bind) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function localPort(server: Server): number {
  const address = server.address();
  return address !== null && typeof address === 'object' ? address.port : 0;
}

function requestUrl(request: IncomingMessage, secure: boolean): URL | undefined {
  const host = request.headers.host ?? 'localhost';
  try {
    return new URL(request.url ?? '/', `${secure ? 'https' : 'http'}://${host}`);
  } catch {
    return undefined;
  }
}

function redirectToHttps(request: IncomingMessage, response: ServerResponse, url: URL, httpsPort: number): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 403, 'use HTTPS');
  const target = new URL(url);
  target.protocol = 'https:';
  target.port = httpsPort === 443 ? '' : String(httpsPort);
  response.writeHead(301, { Location: target.toString(), 'Content-Length': '0' });
  response.end();
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `${text}\n`;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

/** CORS for resources web clients read from another origin (XEP-0156 §3, XEP-0363 §5). */
export const corsHeaders: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, PUT, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Content-Length, Authorization, Range',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Content-Type, Accept-Ranges',
  'Access-Control-Max-Age': '86400',
};

/** The HTTPS base URL clients use: the configured public URL, or the domain and HTTPS port. */
export function publicBaseUrl(domain: string, httpsPort: number, configured: string | undefined): string {
  if (configured) return configured.replace(/\/+$/, '');
  return `https://${domain}${httpsPort === 443 ? '' : `:${httpsPort}`}`;
}
