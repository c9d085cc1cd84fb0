// The control API's port mapping requests (contract.ts: portMapping.*): the status, the switch
// and the chosen ports (saved into the config file like the Tor switch, and applied at once),
// and the reachability self-test. The service itself is server/services/port-mapping.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import type { PortMappingService } from '../services/port-mapping/port-mapping-service.js';
import type { Logger } from '../util/log.js';
import type { ControlResult, MappedListener, RequestResults, requestSchemas } from './contract.js';
import type { ControlEventHub } from './event-hub.js';
import { readConfigFile, saveConfigFile } from './settings-file.js';

type PortMappingRequest = 'portMapping.status' | 'portMapping.setOptions' | 'portMapping.selfTest';
type PortMappingHandlers = {
  [N in PortMappingRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]> | Promise<ControlResult<RequestResults[N]>>;
};

export interface PortMappingControlContext {
  portMapping: PortMappingService | undefined;
  config: Config;
  configFile: string;
  log: Logger;
}

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const unavailable = { ok: false as const, error: 'this Hearth runs without its port mapping service' };

type PortMappingFileChange = { enabled?: boolean | undefined; ports?: MappedListener[] | undefined };

/** Saves the change into the `portMapping` section of the config file, leaving every other key as it was. */
export function savePortMappingSettings(configFile: string, config: Config, change: PortMappingFileChange): { ok: true } | { ok: false; error: string } {
  const file = readConfigFile(configFile, config.dataDir);
  if (!file.ok) return file;
  // A new file pins the running domain, as settings.set does: a later change of host name must not move everyone's address.
  const raw = structuredClone(Object.keys(file.raw).length === 0 ? { domain: config.domain } : file.raw) as Record<string, unknown>;
  const current = raw.portMapping;
  const section = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(change)) if (value !== undefined) section[key] = value;
  raw.portMapping = section;
  const written = saveConfigFile(configFile, raw, config.dataDir);
  return written.ok ? { ok: true } : { ok: false, error: `the port mapping settings were not saved: ${written.error}` };
}

export function portMappingHandlers(context: PortMappingControlContext): PortMappingHandlers {
  const { portMapping, config, configFile, log } = context;
  return {
    'portMapping.status': () => (portMapping ? ok(portMapping.status()) : unavailable),

    'portMapping.setOptions': async ({ enabled, ports }) => {
      if (!portMapping) return unavailable;
      // Saved first: a switch that cannot be saved would be lost at the next start.
      const saved = savePortMappingSettings(configFile, config, { enabled, ports });
      if (!saved.ok) return saved;
      const applied = await portMapping.setOptions({ enabled, ports });
      if (!applied.ok) return applied;
      if (enabled !== undefined) log.info(enabled ? 'port mapping was switched on' : 'port mapping was switched off');
      return ok(portMapping.status());
    },

    'portMapping.selfTest': async () => (portMapping ? ok(await portMapping.selfTest()) : unavailable),
  };
}

/** Port mapping's changes as `portMapping` events, and in the status (dashboard). Returns the unsubscribe. */
export function forwardPortMappingEvents(portMapping: PortMappingService | undefined, hub: ControlEventHub): () => void {
  if (!portMapping) return () => {};
  return portMapping.onChange((status) => {
    hub.emit('portMapping', status);
    hub.changed();
  });
}
