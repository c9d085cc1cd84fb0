// The control API over HTTP on the admin port (loopback by default), and the admin UI's files.
//
// - `POST /api/<request>` with a JSON body answers a ControlResult; `GET /api/events` streams
//   the control events as Server-Sent Events; `GET /api/status` stays for older CLIs.
// - Every API call needs the admin token in `Authorization: Bearer …`. A page on another site can
//   send neither that header nor a JSON content type without a CORS preflight, which is never
//   granted, so it cannot drive the API (CSRF); non-JSON bodies get 415 for the same reason.
// - The Host check stops DNS-rebinding pages from reaching a loopback API under another name.
// - The UI's files need no token: the token reaches the page in the URL fragment
//   (`/#token=…`), which browsers never send to a server, so it never appears in a request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenAddress } from '../net/c2s-listeners.js';
import { isLoopbackBind } from '../net/lan.js';
import { tokenMatches } from './admin-token.js';
import { eventNames, isRequestName, type AdminApi, type EventName } from './contract.js';
import { serveStatic } from './static-files.js';

export type ControlHandler = () => unknown;

export interface AdminApiOptions {
  bind: string;
  port: number;
  token: string;
  /** Plain GET routes (`/api/status` for the CLI). */
  routes?: Record<string, ControlHandler>;
  /** The control API behind POST /api/<request> and GET /api/events. */
  control?: AdminApi;
  /** The built UI; unset serves no UI. */
  uiDir?: string | undefined;
  /** Largest request body (default 64 KiB). */
  maxBodyBytes?: number;
  /** Comment lines that keep an idle event stream open through proxies and sleeping laptops (default 15 s). */
  heartbeatMs?: number;
}

export const contentSecurityPolicy =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

export function startAdminApi(options: AdminApiOptions): Promise<Server> {
  const streams = new Set<() => void>();
  const server = createServer((request, response) => {
    handle(options, streams, request, response).catch(() => {
      if (!response.headersSent) reply(response, 500, { error: 'the server failed to answer; see its log' });
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Event streams never end by themselves: end them when the server closes, or close() would wait forever.
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    for (const end of [...streams]) end();
    close(callback);
    server.closeIdleConnections();
    // Connections opened but never used (fetch clients open spares) would hold close() for seconds.
    setTimeout(() => server.closeAllConnections(), 500).unref();
    return server;
  }) as typeof server.close;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: listenAddress(options.bind) }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

async function handle(options: AdminApiOptions, streams: Set<() => void>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Security-Policy', contentSecurityPolicy);
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  const hostName = (request.headers.host ?? '').replace(/:\d+$/, '');
  // The bind address itself is a name too (127.0.0.2 when bound there); any other name on a loopback
  // listener is a DNS-rebinding page.
  if (isLoopbackBind(options.bind) && !loopbackHosts.has(hostName) && hostName !== options.bind && hostName !== `[${options.bind}]`) {
    return reply(response, 421, { error: 'unknown host name' });
  }

  let path: string;
  try {
    path = new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return reply(response, 400, { error: 'that address is not valid' });
  }
  if (path !== '/api' && !path.startsWith('/api/')) {
    if (!options.uiDir) return reply(response, 404, { error: 'this server has no admin UI' });
    // The path as sent, before URL parsing folds "/a/../b": a request that tries "..", even
    // encoded, is refused rather than quietly answered with another file.
    return serveStatic(options.uiDir, (request.url ?? '/').split('?')[0]!, request, response);
  }

  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!tokenMatches(options.token, bearer)) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return reply(response, 401, { error: 'the admin token is missing or wrong' });
  }

  if (path === '/api/events' && options.control) {
    if (request.method !== 'GET') return methodNotAllowed(response, 'GET');
    return openEventStream(options.control, options.heartbeatMs ?? 15_000, streams, request, response);
  }
  const route = options.routes?.[path];
  if (route && request.method === 'GET') {
    try {
      return reply(response, 200, route());
    } catch {
      return reply(response, 500, { error: 'the server failed to answer; see its log' });
    }
  }
  const name = path.slice('/api/'.length);
  if (!options.control || !isRequestName(name)) {
    return reply(response, 404, { error: `no such request: ${request.method} ${path}` });
  }
  if (request.method !== 'POST') return methodNotAllowed(response, 'POST');
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') return reply(response, 415, { error: 'send the request as JSON (Content-Type: application/json)' });

  const body = await readBody(request, options.maxBodyBytes ?? 65_536);
  if (body === undefined) {
    response.setHeader('Connection', 'close');
    return reply(response, 413, { error: 'the request is too large' });
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return reply(response, 400, { error: 'the request body is not valid JSON' });
  }
  const result = await options.control.request(name, input as never);
  reply(response, 200, result);
}

/** The body, or undefined when it is bigger than `limit` (reading stops there). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function openEventStream(control: AdminApi, heartbeatMs: number, streams: Set<() => void>, request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    // The stream is the connection's only use: when it ends, the socket goes too, so a closing
    // server does not wait for it to idle out.
    Connection: 'close',
    'X-Accel-Buffering': 'no',
  });
  request.socket.setNoDelay(true);
  // Reconnect quickly after a restart of the server.
  response.write('retry: 2000\n\n');
  const send = (event: EventName, payload: unknown) => {
    // JSON never contains a raw line break, so one data line carries the whole payload.
    if (!response.writableEnded) response.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
  };
  const unsubscribe = eventNames.map((event) => control.subscribe(event, (payload) => send(event, payload)));
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), heartbeatMs);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    for (const stop of unsubscribe) stop();
    streams.delete(end);
    if (!response.writableEnded) response.end();
  };
  streams.add(end);
  // 'close' on the response: the page went away (or the stream ended).
  response.on('close', end);
  // The current status at once, so a new page has something to show before the first change.
  void control.request('status', {}).then((result) => {
    if (result.ok) send('status', result.value);
  });
}

function methodNotAllowed(response: ServerResponse, allowed: string): void {
  response.setHeader('Allow', allowed);
  reply(response, 405, { error: `use ${allowed} for this request` });
}


function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
