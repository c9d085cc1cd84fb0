// Port mapping's place in the server (main.ts): the service with the settings from the config
// file, the listeners' real ports, and, when no router address is configured, discovery on the
// home network (production only; tests give their responder's address).
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../util/log.js';
import type { Clock } from '../../util/clock.js';
import { systemDiscovery } from './discovery.js';
import { PortMappingService, type ListenerPort } from './port-mapping-service.js';
import type { DiscoverRouters, RouterTimeouts } from './router.js';

export interface PortMappingSetupOptions {
  config: Config;
  log: Logger;
  listeners(): ReadonlyArray<ListenerPort>;
  /** Tests: a hand-moved clock, their own discovery, shorter waits. */
  clock?: Clock;
  discover?: DiscoverRouters;
  timeouts?: RouterTimeouts;
}

export function setupPortMapping(options: PortMappingSetupOptions): PortMappingService {
  const { config } = options;
  return new PortMappingService({
    settings: { ...config.portMapping },
    listeners: options.listeners,
    log: options.log,
    clock: options.clock,
    discover: options.discover ?? systemDiscovery(),
    timeouts: options.timeouts,
  });
}
