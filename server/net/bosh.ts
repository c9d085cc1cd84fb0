// XMPP over BOSH (XEP-0124, XEP-0206) on the HTTPS listener, for browser clients that cannot use
// WebSocket. This file is the HTTP side: CORS, reading bounded bodies, creating sessions
// (XEP-0124 §7) and handing each later request to its session (bosh-session.ts), whose transport
// carries the same C2sSession as TCP.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../util/log.js';
import { parseBody, terminateBody, xboshNs } from './bosh-body.js';
import { BoshSession, type BoshReply, type BoshRequest } from './bosh-session.js';
import { corsHeaders, sendText, type HttpRoutes } from './http-server.js';
import type { StreamTransport } from './transport.js';
import type { XmlStreamLimits } from './xml-stream.js';

/** The newest XEP-0124 version this implementation follows. */
const boshVersion = [1, 11] as const;
/** XEP-0124 §8: one request held at a time is all a browser with two connections needs. */
const maxHold = 1;
/** XEP-0124 §12: the shortest polling interval advertised (and enforced) in seconds. */
const pollingSeconds = 2;
/** Room in a request beyond one largest stanza, for the <body/> wrapper and small companions. */
const envelopeBytes = 8192;
/** XEP-0124 §14.1: rids stay below 2^53. */
const maxRid = Number.MAX_SAFE_INTEGER;

export interface BoshOptions {
  /** Where on the HTTPS listener the endpoint lives (/http-bind). */
  path: string;
  /** The XMPP domain; a session for another one is refused with host-unknown. */
  domain: string;
  /** The stream limits of TCP; a body may hold one largest stanza and its wrapper. */
  limits: XmlStreamLimits;
  /** Incoming bytes per second after a burst of one largest stanza; 0 for no limit. */
  bytesPerSecond: number;
  maxWaitSeconds: number;
  inactivitySeconds: number;
  maxPauseSeconds: number;
  log: Logger;
}

/** Serves the endpoint on `routes`, handing each new session to `accept`; returns the undo. */
export function attachBosh(routes: HttpRoutes, accept: (transport: StreamTransport) => void, options: BoshOptions): () => void {
  const sessions = new Map<string, BoshSession>();
  const maxBodyBytes = options.limits.maxStanzaBytes + envelopeBytes;
  const bodyLimits: XmlStreamLimits = { ...options.limits, maxStanzaBytes: maxBodyBytes, maxDepth: options.limits.maxDepth + 1 };

  const create = (request: BoshRequest, remoteAddress: string | undefined): void => {
    const { attrs } = request;
    const reply = request.reply;
    // XEP-0124 §7.1: the domain is required, and must be this server's.
    if (!attrs.to) return reply.send(terminateBody('improper-addressing'));
    if (attrs.to.toLowerCase() !== options.domain.toLowerCase()) return reply.send(terminateBody('host-unknown'));
    const wait = parseCount(attrs.wait);
    const requestedHold = parseCount(attrs.hold);
    if (wait === undefined || requestedHold === undefined) return reply.send(terminateBody('bad-request'));

    // §7.2: never more than the client asked for, never more than this server allows.
    const hold = Math.min(requestedHold, maxHold);
    const waitSeconds = Math.min(wait, options.maxWaitSeconds);
    // §12: a polling session (hold 0) gets a longer inactivity period than its polling interval.
    const inactivitySeconds = options.inactivitySeconds + (hold === 0 ? pollingSeconds : 0);
    const sid = randomBytes(18).toString('base64url');
    const creationAttributes: Record<string, string> = {
      sid,
      wait: String(waitSeconds),
      hold: String(hold),
      requests: String(hold + 1),
      inactivity: String(inactivitySeconds),
      polling: String(pollingSeconds),
      ver: negotiatedVersion(attrs.ver),
      from: options.domain,
      'xmlns:xmpp': xboshNs,
      'xmpp:version': '1.0',
      // XEP-0206 §5: restarts are understood.
      'xmpp:restartlogic': 'true',
    };
    if (options.maxPauseSeconds > 0) creationAttributes.maxpause = String(options.maxPauseSeconds);
    // The header the creation request stands for (XEP-0206 §4); the C2sSession checks it as on TCP.
    const streamAttributes: Record<string, string> = { to: attrs.to };
    if (attrs['xmpp:version'] !== undefined) streamAttributes.version = attrs['xmpp:version'];
    if (attrs['xml:lang'] !== undefined) streamAttributes['xml:lang'] = attrs['xml:lang'];
    if (attrs.from !== undefined) streamAttributes.from = attrs.from;

    const session = new BoshSession(
      {
        waitMs: waitSeconds * 1000,
        hold,
        requests: hold + 1,
        inactivityMs: inactivitySeconds * 1000,
        pollingMs: pollingSeconds * 1000,
        maxPauseSeconds: options.maxPauseSeconds,
        creationAttributes,
        streamAttributes,
        limits: options.limits,
        bytesPerSecond: options.bytesPerSecond,
        remoteAddress,
        log: options.log,
      },
      request,
      (lingerMs) => {
        if (lingerMs === 0) sessions.delete(sid);
        else setTimeout(() => sessions.delete(sid), lingerMs).unref();
      },
    );
    sessions.set(sid, session);
    accept(session);
    session.begin();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'OPTIONS') {
      // The CORS preflight of a browser client on another origin (its POST has Content-Type text/xml).
      response.writeHead(204, corsHeaders);
      response.end();
      return;
    }
    if (request.method !== 'POST') {
      return sendText(response, 405, 'this is the XMPP over BOSH endpoint (XEP-0206): POST <body/> elements here', { Allow: 'POST, OPTIONS', ...corsHeaders });
    }
    const reply = httpReply(response);
    const read = await readBody(request, maxBodyBytes);
    if (read === 'gone') return;
    if (read === 'too large') {
      // Nothing of the body is read, so the connection cannot carry another request.
      response.shouldKeepAlive = false;
      return reply.send(terminateBody('policy-violation'));
    }
    const parsed = parseBody(read, bodyLimits);
    if (!parsed.ok) return reply.send(terminateBody(parsed.condition));
    const { attrs, payloads } = parsed.body;
    const session = attrs.sid === undefined ? undefined : sessions.get(attrs.sid);
    const rid = parseRid(attrs.rid);
    const boshRequest = (ridValue: number): BoshRequest => ({ rid: ridValue, attrs, payloads, bytes: read.length, arrivedAt: Date.now(), reply });
    if (rid === undefined) {
      // Without a rid nothing can be put in order again (XEP-0124 §14): the session is over too.
      session?.terminate('bad-request', undefined, 'a request without a valid rid');
      return reply.send(terminateBody('bad-request'));
    }
    if (attrs.sid === undefined) return create(boshRequest(rid), request.socket.remoteAddress);
    // §17.2: an unknown (or forgotten) sid.
    if (!session) return reply.send(terminateBody('item-not-found'));
    session.receive(boshRequest(rid));
  };

  const remove = routes.add({ path: options.path, handle });
  return () => {
    remove();
    for (const session of sessions.values()) session.terminate('system-shutdown', undefined, 'the endpoint was removed');
    sessions.clear();
  };
}

function httpReply(response: ServerResponse): BoshReply {
  return {
    send(body) {
      if (response.headersSent || response.destroyed) return;
      response.writeHead(200, {
        ...corsHeaders,
        'Content-Type': 'text/xml; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
        'Cache-Control': 'no-store',
      });
      response.end(body);
    },
    abandon() {
      response.destroy();
    },
  };
}

/** The body, 'too large' past `maxBytes`, or 'gone' when the client went away while sending it. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large' | 'gone'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.pause();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks, size)));
    // After 'end' these change nothing: a promise settles once.
    request.on('close', () => resolve('gone'));
    request.on('error', () => resolve('gone'));
  });
}

/** A non-negative integer attribute (wait, hold), or undefined. */
function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}

function parseRid(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  const rid = Number(value);
  return rid >= 1 && rid <= maxRid ? rid : undefined;
}

/** §7.2: the lower of the client's version and ours; a client that names none speaks 1.0. */
function negotiatedVersion(requested: string | undefined): string {
  const match = /^(\d+)\.(\d+)$/.exec(requested ?? '1.0');
  if (!match) return `${boshVersion[0]}.${boshVersion[1]}`;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major < boshVersion[0] || (major === boshVersion[0] && minor < boshVersion[1])) return `${major}.${minor}`;
  return `${boshVersion[0]}.${boshVersion[1]}`;
}
