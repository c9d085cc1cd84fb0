// ACME HTTP-01 (RFC 8555 §8.3): the authority fetches
// http://<name>/.well-known/acme-challenge/<token> on port 80 and expects the key authorization.
// Served by Hearth's plain HTTP listener (ports.http; a router forwards port 80 to it).
import type { HttpRoute } from '../../../net/http-server.js';

export const acmeChallengePath = '/.well-known/acme-challenge/';

/** Tokens are base64url (RFC 8555 §8.3); anything else is not a challenge of ours. */
const tokenPattern = /^[A-Za-z0-9_-]{1,256}$/;

export class Http01Responder {
  private readonly answers = new Map<string, string>();

  set(token: string, keyAuthorization: string): void {
    this.answers.set(token, keyAuthorization);
  }

  delete(token: string): void {
    this.answers.delete(token);
  }

  /** The route for HttpRoutes: on plain HTTP (where the authority asks) and on HTTPS (after a redirect). */
  route(): HttpRoute {
    return {
      path: acmeChallengePath,
      plain: true,
      handle: (request, response, url) => {
        const token = url.pathname.slice(acmeChallengePath.length);
        const answer = tokenPattern.test(token) ? this.answers.get(token) : undefined;
        if ((request.method !== 'GET' && request.method !== 'HEAD') || answer === undefined) {
          response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '10' });
          response.end('not found\n');
          return;
        }
        // The key authorization exactly, nothing around it (§8.3).
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(Buffer.byteLength(answer)), 'Cache-Control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : answer);
      },
    };
  }
}
