// The composition root: config -> store -> core -> modules -> listeners.
// Runs inside the Electron worker or as `hearth serve`; it never imports Electron.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Config } from './config/schema.js';
import { C2sSession } from './core/c2s-session.js';
import delivery from './core/delivery.js';
import { DiscoRegistry } from './core/disco-registry.js';
import { EventBus } from './core/event-bus.js';
import type { EventMap } from './core/events.js';
import { LoginThrottle } from './core/login-throttle.js';
import { ModuleHost, type ModuleDefinition } from './core/module-host.js';
import { RegistrationThrottle } from './core/registration-throttle.js';
import { Router } from './core/router.js';
import { SessionManager } from './core/sessions.js';
import { openStorage, type Storage } from './core/storage/index.js';
import adhoc from './modules/adhoc.js';
import blocking from './modules/blocking.js';
import bookmarks from './modules/bookmarks.js';
import carbons from './modules/carbons.js';
import circles from './modules/circles/index.js';
import connectionDiscovery, { boshPath, webSocketPath } from './modules/connection-discovery.js';
import contactAddresses from './modules/contact-addresses.js';
import csi from './modules/csi.js';
import disco from './modules/disco.js';
import externalServices from './modules/external-services.js';
import httpUpload from './modules/http-upload/index.js';
import invites from './modules/invites/index.js';
import lastActivity from './modules/last-activity.js';
import limitedAccounts from './modules/limited-accounts.js';
import mam from './modules/mam.js';
import muc from './modules/muc/index.js';
import offline from './modules/offline.js';
import pep from './modules/pep/index.js';
import ping from './modules/ping.js';
import presence from './modules/presence.js';
import privacyStatement from './modules/privacy-statement.js';
import privateStorage from './modules/private-storage.js';
import proxy65 from './modules/proxy65/index.js';
import push from './modules/push.js';
import register from './modules/register.js';
import roster from './modules/roster.js';
import streamManagement from './modules/stream-management.js';
import time from './modules/time.js';
import vcard from './modules/vcard.js';
import version from './modules/version.js';
import { closeServer, describeListener, listenDirectTls, listenStartTls, type ListenerInfo } from './net/c2s-listeners.js';
import { ensureAdminToken } from './control/admin-token.js';
import { createControl, type ServerControl } from './control/handlers.js';
import { startAdminApi } from './control/http-api.js';
import { defaultUiDir } from './control/static-files.js';
import { ConnectionGate } from './net/connection-gate.js';
import { attachBosh } from './net/bosh.js';
import { HttpRoutes, listenHttp, listenHttps, publicBaseUrl } from './net/http-server.js';
import { TlsCredentials } from './net/tls.js';
import type { StreamTransport } from './net/transport.js';
import { attachWebSocket } from './net/websocket.js';
import { loadActiveCertificate } from './services/certs/active-certificate.js';
import { CertificateService } from './services/certs/certificate-service.js';
import { systemClock, type Clock } from './util/clock.js';
import type { LoadedCertificate } from './services/certs/self-signed.js';
import { setupLanDiscovery } from './services/mdns/lan-discovery.js';
import type { PortMappingService } from './services/port-mapping/port-mapping-service.js';
import type { DiscoverRouters, RouterTimeouts } from './services/port-mapping/router.js';
import { setupPortMapping } from './services/port-mapping/setup.js';
import { onionCertificateNames, setupTor } from './services/tor/setup.js';
import type { TorService } from './services/tor/tor-service.js';
import type { S2sResolver } from './s2s/resolver.js';
import { setupFederation, type Federation } from './s2s/setup.js';
import type { FederationStatus } from './s2s/status.js';
import { StreamError } from './util/errors.js';
import { createLogger, type Logger } from './util/log.js';
import { hearthVersion } from './util/version.js';

/**
 * The modules, in load order. Order matters only for equal-priority hooks; each says in its
 * own file what it does.
 */
export const modules: ModuleDefinition[] = [
  delivery, // default delivery to accounts and resources (lowest priority)
  disco, // XEP-0030 service discovery and XEP-0115 caps
  roster, // RFC 6121 §2 roster with versioning
  presence, // RFC 6121 §3-4 subscriptions and presence
  pep, // XEP-0163 PEP on XEP-0060 with publish-options (XEP-0223, OMEMO), notifications by caps
  privateStorage, // XEP-0049 private XML storage (storage:bookmarks is the bookmarks module's)
  bookmarks, // XEP-0402 bookmarks in PEP, kept in step with XEP-0048 (private XML and PEP, XEP-0411)
  vcard, // XEP-0054 vcard-temp with XEP-0398/0153 avatar conversion and XEP-0292 vCard4 in PEP
  offline, // XEP-0160 offline messages
  register, // XEP-0077 in-band registration (off unless registration.open)
  streamManagement, // XEP-0198 acks and resumption
  csi, // XEP-0352 client state indication
  carbons, // XEP-0280 message carbons
  mam, // XEP-0313 message archive with XEP-0359 stanza ids, kept archive.retentionDays
  muc, // XEP-0045 group chats at conference.<domain>: persistent rooms, room archives, moderation, self-ping
  ping, // XEP-0199
  time, // XEP-0202
  version, // XEP-0092
  blocking, // XEP-0191 blocking command, enforced above presence, push and delivery
  push, // XEP-0357 push notifications to the app servers of devices that are not connected
  externalServices, // XEP-0215 STUN/TURN discovery with coturn credentials (only with turn.host and turn.secret)
  contactAddresses, // XEP-0157 contact addresses in disco#info (from contactInfo)
  lastActivity, // XEP-0012 last activity (answers only with privacy.lastActivity)
  proxy65, // XEP-0065 file-transfer proxy at proxy.<domain> (SOCKS5 on ports.proxy65), for this server's accounts
  httpUpload, // XEP-0363 file upload at upload.<domain> (files under /upload/ on HTTPS), kept upload.retentionDays, with quotas
  connectionDiscovery, // XEP-0156 /.well-known/host-meta lists the BOSH and WebSocket endpoints
  privacyStatement, // /privacy on HTTPS: what this server keeps and for how long, from the running settings (issue 11)
  limitedAccounts, // limited accounts (children, guests) reach nobody on other servers
  adhoc, // XEP-0050 ad-hoc commands: the list, and item-not-found for unknown ones
  circles, // shared contact groups: everyone in a circle in everyone's roster, and its group chat
  invites, // XEP-0401 invitations: XEP-0445 token registration, XEP-0379 subscriptions, the /invite/ page
];

export interface ServerOptions {
  log?: Logger;
  /** Pause before the first wrong-password answer (default 1 s; it doubles with recent failures); tests shorten it. */
  authFailureDelayMs?: number;
  /** The config file in use; the admin UI saves settings there (default <dataDir>/hearth.json). */
  configFile?: string;
  /** Restarts the server with the saved settings; given by whoever runs it (`hearth serve`, the Electron worker). */
  restart?: () => void;
  /** The built admin UI served on the admin port (default dist/renderer); null serves none. */
  uiDir?: string | null;
  /** Tests move time for the certificates (renewal 30 days before expiry) and look up DNS-01 records more often. */
  certificates?: { clock?: Clock; dnsPollMs?: number };
  /** Tests move time for uploads (slots expire after minutes, files after upload.retentionDays). */
  uploads?: { clock?: Clock };
  /** How federation finds other servers (default: the system's DNS); tests use their own DNS server. */
  s2sResolver?: S2sResolver;
  /** Tests move time for the sign-in and registration throttles (failures are forgotten after privacy.failedLoginRetentionHours). */
  signIns?: { clock?: Clock };
  /** Tests move time for port mapping (renewal halfway through a mapping's lifetime), find no routers by themselves, and wait less. */
  portMapping?: { clock?: Clock; discover?: DiscoverRouters; timeouts?: RouterTimeouts };
}

export interface ServerStatus {
  version: string;
  domain: string;
  uptimeSeconds: number;
  listeners: ListenerInfo[];
  registeredUsers: number;
  onlineUsers: number;
  sessions: number;
  /** Links to other servers and the last problem with each (domains only, no addresses). */
  federation: FederationStatus;
}

export interface HearthServer {
  readonly config: Config;
  readonly listeners: ListenerInfo[];
  readonly storage: Storage;
  readonly sessions: SessionManager;
  readonly certificate: LoadedCertificate;
  /** The control API (contract.ts) called directly: the Electron worker's IPC uses it. */
  readonly control: ServerControl;
  /** The onion service: its SOCKS port and tor.federation policy are what s2s dials onion servers with. */
  readonly tor: TorService;
  /** Certificates: status, import, ACME and renewal; it replaces `certificate` in place. */
  readonly certs: CertificateService;
  /** Federation (server/s2s): links to other servers and their status. */
  readonly federation: Federation;
  /** Router port mapping (UPnP IGD, NAT-PMP): off unless portMapping.enabled. */
  readonly portMapping: PortMappingService;
  status(): ServerStatus;
  stop(): Promise<void>;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<HearthServer> {
  const log = options.log ?? createLogger(config.log.level);
  const startedAt = Date.now();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const storage = openStorage(config.dataDir, { scramIterations: config.auth.scramIterations });
  const servers: Array<{ name: string; server: Server }> = [];
  const clients = new Set<C2sSession>();
  try {
    // The configured files, else the one Hearth manages (imported, ACME), else the self-signed one.
    const active = await loadActiveCertificate({ domain: config.domain, dataDir: config.dataDir, ...config.tls, extraNames: onionCertificateNames(config) });
    const certificate = active.certificate;
    const credentials = new TlsCredentials(certificate, config.tls.profile);

    const events = new EventBus<EventMap>();
    const sessions = new SessionManager(config.domain, config.limits.maxResourcesPerAccount);
    const router = new Router(config.domain, events, log.child('router'));
    const http = new HttpRoutes(log.child('http'));
    let httpsPort = config.ports.https;
    const publicUrl = () => publicBaseUrl(config.domain, httpsPort, config.http.publicUrl);
    const disco = new DiscoRegistry();
    // Addresses of failed sign-ins and of new accounts live in these two throttles, in memory only (issue 11).
    const signInClock = options.signIns?.clock ?? systemClock;
    const registrationThrottle = new RegistrationThrottle(
      { maxPerAddressPerHour: config.registration.maxPerAddressPerHour, exemptLoopback: config.auth.exemptLoopback },
      () => signInClock.now(),
    );
    const host = new ModuleHost({ config, log, storage, sessions, events, disco, router, http, publicUrl, clock: options.uploads?.clock, registrationThrottle });
    host.load(modules);
    // Federation: the router sends stanzas for other domains through it (after the modules, which add the component hosts).
    const federation = setupFederation({ config, log: log.child('s2s'), storage, router, credentials, resolver: options.s2sResolver });

    // A deleted account loses its sessions at once (XEP-0077 §3.2, and deletions from the admin).
    events.on('user-deleted', ({ username }) => {
      for (const session of sessions.sessionsOf(username)) session.close(new StreamError('not-authorized', 'this account was deleted'));
    });

    const loginThrottle = new LoginThrottle(
      {
        ...config.auth,
        retentionHours: config.privacy.failedLoginRetentionHours,
        baseDelayMs: options.authFailureDelayMs ?? 1000,
      },
      () => signInClock.now(),
    );
    const stopForgettingFailures = signInClock.every(10 * 60_000, () => loginThrottle.purge());
    const c2sContext = {
      config,
      log: log.child('c2s'),
      storage,
      sessions,
      events,
      router,
      unknownUserSecret: storage.secret('scram-unknown-user'),
      loginThrottle,
    };
    const gate = new ConnectionGate({ maxPerAddress: config.limits.maxConnectionsPerAddress, maxUnauthenticated: config.limits.maxUnauthenticatedConnections });
    const accept = (transport: StreamTransport) => {
      const admission = gate.admit(transport.remoteAddress);
      if (typeof admission === 'string') {
        // Refused with a stream error (RFC 6120 §4.9.3.14), so the client says why.
        new C2sSession(transport, c2sContext).close(new StreamError('policy-violation', admission));
        return;
      }
      const session = new C2sSession(transport, c2sContext, admission);
      clients.add(session);
      transport.onClose(() => {
        clients.delete(session);
        admission.release();
      });
    };
    const { limits } = config;
    const streamOptions = {
      limits: { maxStanzaBytes: limits.maxStanzaBytes, maxDepth: limits.maxXmlDepth, maxAttributes: limits.maxXmlAttributes },
      // Clients ping or send whitespace well within this; a silent connection is a dead one.
      idleTimeoutMs: 20 * 60 * 1000,
      bytesPerSecond: limits.c2sBytesPerSecond,
    };
    servers.push({ name: 'c2s', server: await listenStartTls({ bind: config.bind, port: config.ports.c2s }, credentials, streamOptions, accept) });
    servers.push({ name: 'c2sTls', server: await listenDirectTls({ bind: config.bind, port: config.ports.c2sTls }, credentials, streamOptions, accept) });
    // Browser clients: the same c2s sessions over WebSocket (RFC 7395) and BOSH (XEP-0206) on HTTPS.
    attachWebSocket(http, accept, { path: webSocketPath, ...streamOptions, pingIntervalMs: config.websocket.pingIntervalSeconds * 1000 });
    attachBosh(http, accept, { path: boshPath, domain: config.domain, ...streamOptions, ...config.bosh, log: log.child('bosh') });
    const https = await listenHttps({ bind: config.bind, port: config.ports.https, log }, credentials, http);
    httpsPort = describeListener('https', https).port;
    servers.push({ name: 'https', server: https });
    servers.push({ name: 'http', server: await listenHttp({ bind: config.bind, port: config.ports.http, log }, http, () => httpsPort) });
    servers.push(...(await federation.listen()));

    const listeners: ListenerInfo[] = [];
    const status = (): ServerStatus => ({
      version: hearthVersion,
      domain: config.domain,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      listeners,
      registeredUsers: storage.accounts.count(),
      onlineUsers: sessions.onlineAccounts,
      sessions: sessions.sessionCount,
      federation: federation.status(),
    });
    const token = ensureAdminToken(config.dataDir);
    // Started once the listeners are known: the onion ports lead to them.
    const tor = setupTor({ config, log: log.child('tor'), disco, certificate, credentials, listeners: () => listeners });
    // Onion servers (and, with tor.federation "all", every server) are dialled through Tor's SOCKS port.
    federation.useTor(tor);
    const listenerPort = (name: string) => listeners.find((l) => l.name === name)?.port ?? 0;
    const certs = new CertificateService({
      config,
      certificate,
      source: active.source,
      meta: active.meta,
      credentials,
      http,
      log: log.child('certs'),
      clock: options.certificates?.clock,
      dnsPollMs: options.certificates?.dnsPollMs,
      // A self-signed certificate made anew keeps the onion name while Tor is on.
      extraNames: () => {
        const onion = tor.status();
        return onion.enabled && onion.onionAddress ? [onion.onionAddress] : [];
      },
      ports: () => ({ http: listenerPort('http'), https: listenerPort('https'), c2sTls: listenerPort('c2sTls') }),
    });
    const privacyHeld = () => {
      const failures = loginThrottle.stats();
      return { failedSignInAddresses: failures.addresses, failedSignInAccounts: failures.accounts, newAccountAddresses: registrationThrottle.stats().addresses };
    };
    // Asks the router to forward the listeners' real ports (so made before the control API, started after the listeners).
    const portMapping = setupPortMapping({ config, log: log.child('port-mapping'), listeners: () => listeners, ...options.portMapping });
    const control = createControl({ config, configFile: options.configFile, storage, sessions, events, serverStatus: status, certificate, log: log.child('control'), restart: options.restart, tor, certs, federation: () => federation.status(), privacyHeld, portMapping });
    const admin = await startAdminApi({
      bind: config.adminBind,
      port: config.ports.admin,
      token,
      routes: { '/api/status': status },
      control,
      uiDir: options.uiDir === null ? undefined : (options.uiDir ?? defaultUiDir()),
    });
    servers.push({ name: 'admin', server: admin });
    listeners.push(...servers.map(({ name, server }) => describeListener(name, server)));
    for (const listener of listeners) log.info(`listening for ${listener.name} on port ${listener.port}`);
    if (config.log.level === 'debug') {
      log.warn('debug logging is on: the log can hold message content and other people’s addresses; set log.level back to info when you are done');
    }
    if (certificate.selfSigned) log.info(`using a self-signed certificate for ${config.domain} (${certificate.certFile})`);
    // Renewal 30 days before expiry (ACME, self-signed) and reloading tls.certFile when it changes.
    certs.start();
    // Not awaited: the server is up whatever tor does, and the Tor page shows how it goes.
    void tor.start();
    const lanDiscovery = setupLanDiscovery({ config, log: log.child('mdns') });
    const portOf = (name: string) => listeners.find((l) => l.name === name)?.port ?? 0;
    await lanDiscovery.start({ c2s: portOf('c2s'), https: portOf('https') });
    // Not awaited either: with portMapping.enabled the router is asked now, and renewals follow on their own.
    void portMapping.start();
    events.fire('server-started', { domain: config.domain, listeners });

    let stopped: Promise<void> | undefined;
    return {
      config,
      listeners,
      storage,
      sessions,
      certificate,
      control,
      tor,
      certs,
      federation,
      portMapping,
      status,
      stop() {
        stopped ??= (async () => {
          events.fire('server-stopping', { domain: config.domain });
          stopForgettingFailures();
          control.close();
          certs.close();
          federation.close();
          const closing = servers.map(({ server }) => closeServer(server));
          for (const client of clients) client.close(new StreamError('system-shutdown', 'the server is stopping'));
          await Promise.all([...closing, tor.close(), lanDiscovery.close(), portMapping.close()]);
          host.stop();
          storage.close();
          log.info('stopped');
        })();
        return stopped;
      },
    };
  } catch (error) {
    await Promise.all(servers.map(({ server }) => closeServer(server)));
    storage.close();
    throw error;
  }
}
