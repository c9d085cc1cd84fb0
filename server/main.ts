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
import { ModuleHost, type ModuleDefinition } from './core/module-host.js';
import { Router } from './core/router.js';
import { SessionManager } from './core/sessions.js';
import { openStorage, type Storage } from './core/storage/index.js';
import carbons from './modules/carbons.js';
import csi from './modules/csi.js';
import disco from './modules/disco.js';
import offline from './modules/offline.js';
import ping from './modules/ping.js';
import presence from './modules/presence.js';
import register from './modules/register.js';
import roster from './modules/roster.js';
import streamManagement from './modules/stream-management.js';
import time from './modules/time.js';
import version from './modules/version.js';
import { closeServer, describeListener, listenDirectTls, listenStartTls, type ListenerInfo } from './net/c2s-listeners.js';
import { ensureAdminToken } from './control/admin-token.js';
import { startAdminApi } from './control/http-api.js';
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
  offline, // XEP-0160 offline messages
  register, // XEP-0077 in-band registration (off unless registration.open)
  streamManagement, // XEP-0198 acks and resumption
  csi, // XEP-0352 client state indication
  carbons, // XEP-0280 message carbons
  ping, // XEP-0199
  time, // XEP-0202
  version, // XEP-0092
];

export interface ServerOptions {
  log?: Logger;
  /** Pause before answering a failed login (default 1 s); tests shorten it. */
  authFailureDelayMs?: number;
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
    const host = new ModuleHost({ config, log, storage, sessions, events, disco: new DiscoRegistry(), router });
    host.load(modules);

    // A deleted account loses its sessions at once (XEP-0077 §3.2, and deletions from the admin).
    events.on('user-deleted', ({ username }) => {
      for (const session of sessions.sessionsOf(username)) session.close(new StreamError('not-authorized', 'this account was deleted'));
    });

    const c2sContext = {
      config,
      log: log.child('c2s'),
      storage,
      sessions,
      events,
      router,
      unknownUserSecret: storage.secret('scram-unknown-user'),
      authFailureDelayMs: options.authFailureDelayMs ?? 1000,
    };
    const accept = (transport: StreamTransport) => {
      const session = new C2sSession(transport, c2sContext);
      clients.add(session);
      transport.onClose(() => clients.delete(session));
    };
    servers.push({ name: 'c2s', server: await listenStartTls({ bind: config.bind, port: config.ports.c2s }, credentials, accept) });
    servers.push({ name: 'c2sTls', server: await listenDirectTls({ bind: config.bind, port: config.ports.c2sTls }, credentials, accept) });

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
    const admin = await startAdminApi({ bind: config.adminBind, port: config.ports.admin, token, routes: { '/api/status': status } });
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
      status,
      stop() {
        stopped ??= (async () => {
          events.fire('server-stopping', { domain: config.domain });
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
