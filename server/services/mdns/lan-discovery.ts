// LAN discovery: multicast DNS (RFC 6762) with DNS-SD (RFC 6763) announcements of the chat port
// (_xmpp-client._tcp) and the HTTPS endpoint with the invitation pages (_https._tcp) under this
// computer's .local name, so laptops at home find `kitchen-pc.local` links and the server without
// any DNS. Phones' chat apps do not browse for servers; the dashboard and the invitation page show
// the LAN address, port and certificate fingerprint for them. The announcements are withdrawn
// (goodbye packets, TTL 0, RFC 6762 §10.1) when Hearth stops.
import type { Bonjour, Service } from 'bonjour-service';
import type { Config } from '../../config/schema.js';
import { isLoopbackBind, lanHostName } from '../../net/lan.js';
import type { Logger } from '../../util/log.js';

export const xmppClientServiceType = 'xmpp-client';
export const httpsServiceType = 'https';

export interface LanDiscoveryOptions {
  config: Pick<Config, 'domain' | 'bind' | 'mdns'>;
  log: Logger;
  /** The machine's host name (tests give one). */
  hostName?: string;
}

export interface LanDiscovery {
  /** The .local name announced, while announcing. */
  readonly announcedName: string | undefined;
  /**
   * Publishes the services for the ports the server really listens on. bonjour-service (and the
   * multicast DNS packages under it, 1 MiB of heap) is loaded only when announcing is on.
   */
  start(ports: { c2s: number; https: number }): Promise<void>;
  /** Withdraws them and closes the multicast socket. */
  close(): Promise<void>;
}

/** How long goodbye packets may take before stopping goes on without them. */
const goodbyeTimeoutMs = 1000;

/** Why nothing is announced, or undefined when announcing is on. */
export function lanDiscoveryOff(config: Pick<Config, 'bind' | 'mdns'>): string | undefined {
  if (!config.mdns.enabled) return 'mdns.enabled is off';
  if (isLoopbackBind(config.bind)) return 'the server listens on this computer only (bind)';
  return undefined;
}

export function setupLanDiscovery(options: LanDiscoveryOptions): LanDiscovery {
  const { config, log } = options;
  let bonjour: Bonjour | undefined;
  let announcedName: string | undefined;
  const services: Service[] = [];

  return {
    get announcedName() {
      return announcedName;
    },

    async start(ports) {
      const off = lanDiscoveryOff(config);
      if (off) {
        log.debug(`not announced on the local network: ${off}`);
        return;
      }
      const host = lanHostName(options.hostName);
      const { Bonjour } = await import('bonjour-service');
      // Socket errors carry addresses; the code is enough to act on (logs never hold IP addresses).
      bonjour = new Bonjour({}, (error: NodeJS.ErrnoException) => log.warn(`local network announcements failed (${error.code ?? error.name})`));
      const label = host.slice(0, -'.local'.length);
      const announce = (name: string, type: string, port: number, txt: Record<string, string>) => {
        const service = bonjour!.publish({ name, type, port, host, txt, protocol: 'tcp' });
        service.on('error', (error: Error) => log.warn(`the ${type} announcement failed: ${error.message}`));
        services.push(service);
      };
      announce(`Hearth chat on ${label}`, xmppClientServiceType, ports.c2s, { domain: config.domain });
      announce(`Hearth on ${label}`, httpsServiceType, ports.https, { path: '/invite/', domain: config.domain });
      announcedName = host;
      log.info(`announced on the local network as ${host}`);
    },

    async close() {
      const closing = bonjour;
      bonjour = undefined;
      announcedName = undefined;
      if (!closing) return;
      await withTimeout(new Promise<void>((resolve) => closing.unpublishAll(() => resolve())), goodbyeTimeoutMs);
      services.length = 0;
      await withTimeout(new Promise<void>((resolve) => closing.destroy(() => resolve())), goodbyeTimeoutMs);
    },
  };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
