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
import { Router } from './core/router.js';
import { SessionManager } from './core/sessions.js';
import { openStorage, type Storage } from './core/storage/index.js';
import blocking from './modules/blocking.js';
import bookmarks from './modules/bookmarks.js';
import carbons from './modules/carbons.js';
import connectionDiscovery from './modules/connection-discovery.js';
import contactAddresses from './modules/contact-addresses.js';
import csi from './modules/csi.js';
import disco from './modules/disco.js';
import externalServices from './modules/external-services.js';
import lastActivity from './modules/last-activity.js';
import mam from './modules/mam.js';
import muc from './modules/muc/index.js';
import offline from './modules/offline.js';
import pep from './modules/pep/index.js';
import ping from './modules/ping.js';
import presence from './modules/presence.js';
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
import { HttpRoutes, listenHttp, listenHttps, publicBaseUrl } from './net/http-server.js';
import { TlsCredentials } from './net/tls.js';
import type { StreamTransport } from './net/transport.js';
import { loadCertificate, type LoadedCertificate } from './services/certs/self-signed.js';
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
  connectionDiscovery, // XEP-0156 /.well-known/host-meta lists the BOSH and WebSocket endpoints
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
}

export interface ServerStatus {
  version: string;
  domain: string;
  uptimeSeconds: number;
  listeners: ListenerInfo[];
  registeredUsers: number;
  onlineUsers: number;
  sessions: number;
}

export interface HearthServer {
  readonly config: Config;
  readonly listeners: ListenerInfo[];
  readonly storage: Storage;
  readonly sessions: SessionManager;
  readonly certificate: LoadedCertificate;
  /** The control API (contract.ts) called directly: the Electron worker's IPC uses it. */
  readonly control: ServerControl;
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
    const certificate = await loadCertificate({ domain: config.domain, dataDir: config.dataDir, ...config.tls });
    const credentials = new TlsCredentials(certificate);

    const events = new EventBus<EventMap>();
    const sessions = new SessionManager(config.domain, config.limits.maxResourcesPerAccount);
    const router = new Router(config.domain, events, log.child('router'));
    const http = new HttpRoutes(log.child('http'));
    let httpsPort = config.ports.https;
    const publicUrl = () => publicBaseUrl(config.domain, httpsPort, config.http.publicUrl);
    const host = new ModuleHost({ config, log, storage, sessions, events, disco: new DiscoRegistry(), router, http, publicUrl });
    host.load(modules);

    // A deleted account loses its sessions at once (XEP-0077 §3.2, and deletions from the admin).
    events.on('user-deleted', ({ username }) => {
      for (const session of sessions.sessionsOf(username)) session.close(new StreamError('not-authorized', 'this account was deleted'));
    });

    const loginThrottle = new LoginThrottle({
      ...config.auth,
      retentionHours: config.privacy.failedLoginRetentionHours,
      baseDelayMs: options.authFailureDelayMs ?? 1000,
    });
    const forgetOldFailures = setInterval(() => loginThrottle.purge(), 10 * 60_000).unref();
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
    const https = await listenHttps({ bind: config.bind, port: config.ports.https, log }, credentials, http);
    httpsPort = describeListener('https', https).port;
    servers.push({ name: 'https', server: https });
    servers.push({ name: 'http', server: await listenHttp({ bind: config.bind, port: config.ports.http, log }, http, () => httpsPort) });

    const listeners: ListenerInfo[] = [];
    const status = (): ServerStatus => ({
      version: hearthVersion,
      domain: config.domain,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
      listeners,
      registeredUsers: storage.accounts.count(),
      onlineUsers: sessions.onlineAccounts,
      sessions: sessions.sessionCount,
    });
    const token = ensureAdminToken(config.dataDir);
    const control = createControl({ config, configFile: options.configFile, storage, sessions, events, serverStatus: status, certificate, log: log.child('control'), restart: options.restart });
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
    if (certificate.selfSigned) log.info(`using a self-signed certificate for ${config.domain} (${certificate.certFile})`);
    events.fire('server-started', { domain: config.domain });

    let stopped: Promise<void> | undefined;
    return {
      config,
      listeners,
      storage,
      sessions,
      certificate,
      control,
      status,
      stop() {
        stopped ??= (async () => {
          events.fire('server-stopping', { domain: config.domain });
          clearInterval(forgetOldFailures);
          control.close();
          const closing = servers.map(({ server }) => closeServer(server));
          for (const client of clients) client.close(new StreamError('system-shutdown', 'the server is stopping'));
          await Promise.all(closing);
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
