// Tor's place in the server (main.ts): the service with the onion ports leading to the running
// listeners, the onion name added to the self-signed certificate once tor has made it (clients
// that connect to the onion address may check the certificate for it), and the address in
// service discovery while tor.advertise is on.
import type { Config } from '../../config/schema.js';
import type { DiscoRegistry } from '../../core/disco-registry.js';
import type { TlsCredentials } from '../../net/tls.js';
import type { Logger } from '../../util/log.js';
import { coversNames, loadCertificate, type LoadedCertificate } from '../certs/self-signed.js';
import { OnionAdvertisement } from './advertise.js';
import { readOnionAddress } from './onion-keys.js';
import { TorService } from './tor-service.js';
import { hiddenServicePorts, torPaths } from './torrc.js';

export interface TorSetupOptions {
  config: Config;
  log: Logger;
  disco: DiscoRegistry;
  certificate: LoadedCertificate;
  credentials: TlsCredentials;
  /** The server's listeners with their real ports (known once they listen). */
  listeners(): ReadonlyArray<{ name: string; address: string; port: number }>;
}

/** The extra certificate names at start: the onion address, when Tor is on and tor has made one. */
export function onionCertificateNames(config: Config): string[] {
  if (!config.tor.enabled) return [];
  const onion = readOnionAddress(torPaths(config.dataDir));
  return onion ? [onion] : [];
}

export function setupTor(options: TorSetupOptions): TorService {
  const { config, log, certificate, credentials } = options;
  const tor = new TorService({
    dataDir: config.dataDir,
    settings: { ...config.tor },
    ports: () => hiddenServicePorts(options.listeners(), config.ports, config.bind),
    log,
  });
  const advertisement = new OnionAdvertisement(options.disco, config.domain);
  let covering: Promise<void> = Promise.resolve();
  tor.onChange((status) => {
    advertisement.update(tor.advertisedAddress);
    const onion = status.onionAddress;
    if (!onion || !status.enabled || !certificate.selfSigned || coversNames(certificate.cert, [onion])) return;
    covering = covering.then(async () => {
      if (coversNames(certificate.cert, [onion])) return;
      try {
        // In place: the listeners' credentials and everyone holding `certificate` see the new one.
        const renewed = await loadCertificate({ domain: config.domain, dataDir: config.dataDir, extraNames: [onion] });
        Object.assign(certificate, renewed);
        credentials.replace(renewed);
        log.info(`the self-signed certificate now names the onion address too (${certificate.certFile})`);
      } catch (error) {
        log.error('the certificate could not be made anew for the onion address', error);
      }
    });
  });
  return tor;
}
