// Dialling another server: where (a static route from s2s.routes, the onion address itself, or DNS
// through resolver.ts), how (directly with Happy Eyeballs, or through Tor's SOCKS port as
// tor.federation says), and TLS from the first byte for XEP-0368 targets. The result is an open
// connection; the stream on top of it is outgoing-stream.ts's business.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FederationRoute } from '../services/tor/federation.js';
import { connectViaSocks } from '../services/tor/socks-client.js';
import type { HostPort } from '../util/host-port.js';
import { connectHappyEyeballs } from './happy-eyeballs.js';
import { defaultS2sPort, resolveTargets, type ConnectTarget, type S2sResolver } from './resolver.js';
import type { S2sTls } from './tls-contexts.js';

export interface DialedServer {
  socket: Socket | TLSSocket;
  /** TLS is already up (XEP-0368); otherwise the stream starts plain and must negotiate STARTTLS. */
  directTls: boolean;
}

export interface ConnectorOptions {
  resolver: S2sResolver;
  /** s2s.routes: domain -> host:port, instead of DNS. */
  routes: ReadonlyMap<string, HostPort>;
  /** tor.federation's answer for a host (TorService.federationRoute): directly, through Tor, or not at all. */
  federationRoute: (host: string) => FederationRoute;
  tls: S2sTls;
  /** How long one TCP (or SOCKS) attempt may take. */
  attemptTimeoutMs: number;
}

/** Why no connection could be made; the text is for the admin and the bounce (no addresses in it). */
export class ConnectFailure extends Error {}

export async function connectToServer(domain: string, options: ConnectorOptions, signal: AbortSignal): Promise<DialedServer> {
  const targets = await targetsFor(domain, options);
  let reason = 'no address to connect to';
  for (const target of targets) {
    if (signal.aborted) break;
    try {
      const socket = await open(target, domain, options, signal);
      if (!target.directTls) return { socket, directTls: false };
      try {
        return { socket: await options.tls.connectDirect(socket, domain), directTls: true };
      } catch (error) {
        socket.destroy();
        throw error;
      }
    } catch (error) {
      // The next target may work (XEP-0368 §3: direct TLS failing falls back to STARTTLS targets).
      reason = describeNetworkError(error);
    }
  }
  throw new ConnectFailure(`could not connect (${reason})`);
}

async function targetsFor(domain: string, options: ConnectorOptions): Promise<ConnectTarget[]> {
  const route = options.routes.get(domain);
  if (route) return [{ host: route.host, port: route.port, directTls: false }];
  const federation = options.federationRoute(domain);
  if (federation.via === 'none') throw new ConnectFailure(federation.reason);
  // An onion address has no DNS; Tor finds it (and a clearnet name looked up here would leak).
  if (federation.via === 'tor' && /\.onion$/i.test(domain)) return [{ host: domain, port: defaultS2sPort, directTls: false }];
  let targets: ConnectTarget[] | undefined;
  try {
    targets = await resolveTargets(options.resolver, domain);
  } catch (error) {
    throw new ConnectFailure(`DNS lookup failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (targets === undefined || targets.length === 0) throw new ConnectFailure('its DNS says it offers no server-to-server service');
  return targets;
}

async function open(target: ConnectTarget, domain: string, options: ConnectorOptions, signal: AbortSignal): Promise<Socket> {
  const federation = options.federationRoute(target.host);
  if (federation.via === 'none') throw new ConnectFailure(federation.reason);
  if (federation.via === 'tor') {
    const socket = await connectViaSocks({ socks: federation.socks, host: target.host, port: target.port, timeoutMs: options.attemptTimeoutMs });
    // connectViaSocks hands the socket over paused; the initiating server speaks first, so nothing waits.
    socket.resume();
    return socket;
  }
  let addresses;
  try {
    addresses = await options.resolver.addresses(target.host);
  } catch (error) {
    throw new ConnectFailure(`${target.host === domain ? 'the domain' : 'its server'} has no address (${(error as NodeJS.ErrnoException).code ?? 'DNS'})`);
  }
  return connectHappyEyeballs(addresses, target.port, { attemptTimeoutMs: options.attemptTimeoutMs, signal });
}

const networkErrors: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'no answer',
  EPIPE: 'connection closed',
};

/** A connection error as a short phrase: Node's own messages carry IP addresses, which are never shown or logged. */
export function describeNetworkError(error: unknown): string {
  if (error instanceof ConnectFailure) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && networkErrors[code]) return networkErrors[code];
  if (code !== undefined && code.startsWith('ERR_SSL')) return 'the TLS handshake failed';
  const message = (error as Error).message ?? String(error);
  // Messages of our own (timeouts, SOCKS, TLS) carry no addresses; anything else is summarised.
  return /\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f]*:[0-9a-f:]+/i.test(message) ? code ?? 'network error' : message;
}
