// Federation as main.ts composes it: the policy from the config (s2s.*), the TLS contexts, the
// link manager, the listeners, and the status for the control API. The router sends stanzas for
// other domains here, and stanzas from other servers enter the router through it.
import type { Element } from 'ltx';
import type { Server } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Router } from '../core/router.js';
import type { Storage } from '../core/storage/index.js';
import type { TcpTransportOptions } from '../net/tcp-transport.js';
import type { TlsCredentials } from '../net/tls.js';
import { federationRoute, type FederationRoute } from '../services/tor/federation.js';
import { parseHostPort, type HostPort } from '../util/host-port.js';
import type { Logger } from '../util/log.js';
import { DialbackKeys } from './dialback-key.js';
import { LinkManager } from './link-manager.js';
import { listenS2s, listenS2sDirectTls } from './listener.js';
import { systemResolver, type S2sResolver } from './resolver.js';
import { FederationStatusTracker, type FederationStatus } from './status.js';
import { S2sTls } from './tls-contexts.js';

export interface FederationOptions {
  config: Config;
  log: Logger;
  storage: Storage;
  router: Router;
  credentials: TlsCredentials;
  /** DNS for finding other servers (tests point it at their own DNS server). */
  resolver?: S2sResolver;
}

/** What Tor offers federation (TorService): the route to a host under tor.federation. */
export interface TorRoutes {
  federationRoute(host: string): FederationRoute;
}

export interface Federation {
  /** Starts the listeners (none when s2s.enabled is false), named s2s and s2sTls. */
  listen(): Promise<Array<{ name: string; server: Server }>>;
  /** From now on onion servers (and, with tor.federation "all", every server) are dialled through Tor. */
  useTor(tor: TorRoutes): void;
  status(): FederationStatus;
  /** Closes every link (waiting stanzas bounce). */
  close(): void;
}

export function setupFederation(options: FederationOptions): Federation {
  const { config, log, router, credentials } = options;
  const s2s = config.s2s;
  const insecureDomains = new Set(s2s.insecureDomains);
  const disabled: Omit<FederationStatus, 'enabled' | 'insecureDomains'> = { outgoingLinks: 0, incomingLinks: 0, connectedDomains: [], lastErrors: [] };
  if (!s2s.enabled) {
    return {
      listen: async () => [],
      useTor: () => {},
      status: () => ({ enabled: false, ...disabled, insecureDomains: [...insecureDomains] }),
      close: () => {},
    };
  }

  const tls = new S2sTls(credentials, s2s.caFile);
  const routes = new Map<string, HostPort>();
  for (const [domain, target] of Object.entries(s2s.routes)) routes.set(domain, parseHostPort(target)!);
  // Until Tor is there, onion servers cannot be reached and nothing goes through it.
  let torRoutes: TorRoutes = { federationRoute: (host) => federationRoute(host, config.tor.federation, undefined) };
  const { limits } = config;
  const streamOptions: TcpTransportOptions = {
    limits: { maxStanzaBytes: limits.maxStanzaBytes, maxDepth: limits.maxXmlDepth, maxAttributes: limits.maxXmlAttributes },
    // The link manager closes idle links politely; this only catches connections that died silently.
    idleTimeoutMs: s2s.idleTimeoutSeconds * 1000 + 60_000,
    // A link carries many people's traffic, so its rate is generous (8× a client's by default);
    // over it, reading pauses and TCP slows the sender down: nothing is dropped (issue 11).
    bytesPerSecond: limits.s2sBytesPerSecond,
  };
  const isLocalHost = (domain: string) => domain === config.domain || router.isComponent(domain);
  const status = new FederationStatusTracker();
  const links = new LinkManager({
    isLocalHost,
    connector: {
      resolver: options.resolver ?? systemResolver(),
      routes,
      federationRoute: (host) => torRoutes.federationRoute(host),
      tls,
      attemptTimeoutMs: Math.min(s2s.connectTimeoutSeconds * 1000, 20_000),
    },
    tls,
    credentials,
    dialbackKeys: new DialbackKeys(options.storage.secret('s2s-dialback')),
    streamOptions,
    connectTimeoutMs: s2s.connectTimeoutSeconds * 1000,
    idleTimeoutMs: s2s.idleTimeoutSeconds * 1000,
    // Dialback may wait for a link of ours to the peer's authoritative server.
    authTimeoutMs: Math.max(limits.authTimeoutSeconds, s2s.connectTimeoutSeconds + 10) * 1000,
    insecureDomains,
    deliver: (stanza: Element, from, to) => router.fromRemote(stanza, from, to),
    route: (stanza) => router.route(stanza, undefined),
    status,
    log,
  });
  router.setRemoteRoute((stanza, from, to) => links.send(stanza, from, to));

  return {
    async listen() {
      const listenOptions = { bind: config.bind, credentials, tls, streamOptions, onTransport: (transport: Parameters<LinkManager['accept']>[0]) => links.accept(transport) };
      const servers = [{ name: 's2s', server: await listenS2s({ ...listenOptions, port: config.ports.s2s }) }];
      if (config.ports.s2sTls !== undefined) servers.push({ name: 's2sTls', server: await listenS2sDirectTls({ ...listenOptions, port: config.ports.s2sTls }) });
      return servers;
    },
    useTor(tor) {
      torRoutes = tor;
    },
    status: () => ({ enabled: true, ...links.status(), insecureDomains: [...insecureDomains] }),
    close: () => {
      router.setRemoteRoute(undefined);
      links.close();
    },
  };
}
