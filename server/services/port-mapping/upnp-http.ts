// HTTP for UPnP (UPnP Device Architecture 1.1 §2.1, §3.1): fetching the router's description
// and posting SOAP actions to it, bounded in time and size. node:http rather than fetch because
// the mapping must name this computer's address as the router sees it (AddPortMapping's
// NewInternalClient), and that is the local address of the connection to the router.
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  /** This computer's address on the connection to the router. */
  localAddress: string;
}

export type HttpResult = { ok: true; value: HttpAnswer } | { ok: false; error: string };

export interface HttpOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Largest answer read; a description or SOAP answer is a few kilobytes. */
  maxBytes?: number;
}

export function httpRequest(url: URL, options: HttpOptions): Promise<HttpResult> {
  const maxBytes = options.maxBytes ?? 256 * 1024;
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: HttpResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
    const req = request(url, {
      method: options.method ?? 'GET',
      headers: { ...options.headers, ...(body ? { 'Content-Length': String(body.length) } : {}), Connection: 'close' },
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, error: `the router did not answer within ${Math.round(options.timeoutMs / 1000)} s` });
    }, options.timeoutMs);
    let localAddress = '';
    req.on('socket', (socket) => {
      socket.on('connect', () => {
        localAddress = socket.localAddress ?? '';
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, error: describeConnectError(error) });
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          finish({ ok: false, error: 'the router sent an answer far too long for UPnP' });
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        finish({
          ok: true,
          value: {
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            localAddress: localAddress || (response.socket?.localAddress ?? ''),
          },
        });
      });
      response.on('error', (error) => finish({ ok: false, error: `the router's answer broke off (${error.message})` }));
    });
    req.end(body);
  });
}

function describeConnectError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'the router refused the connection (nothing answers UPnP at that address)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the router cannot be reached from this computer';
    case 'ETIMEDOUT':
      return 'the router did not answer';
    case 'ECONNRESET':
      return 'the router closed the connection';
    default:
      return `the router could not be reached (${error.code ?? error.message})`;
  }
}
