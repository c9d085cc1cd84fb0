// The control API's Tor requests (contract.ts: tor.*): the switch, advertising and the
// federation policy (saved into the config file like the other settings, and applied at once),
// the key backup and rotation. The service itself is server/services/tor.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import type { TorService } from '../services/tor/tor-service.js';
import type { Logger } from '../util/log.js';
import type { ControlResult, RequestResults, requestSchemas, TorFederationPolicy } from './contract.js';
import type { ControlEventHub } from './event-hub.js';
import { readConfigFile, saveConfigFile } from './settings-file.js';

type TorRequest = 'tor.status' | 'tor.setEnabled' | 'tor.setOptions' | 'tor.rotate' | 'tor.backupKey';
type TorHandlers = {
  [N in TorRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]> | Promise<ControlResult<RequestResults[N]>>;
};

export interface TorControlContext {
  tor: TorService | undefined;
  config: Config;
  configFile: string;
  log: Logger;
}

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
const unavailable = fail('this Hearth runs without its Tor service');

type TorFileChange = { enabled?: boolean; advertise?: boolean; federation?: TorFederationPolicy };

/** Saves the change into the `tor` section of the config file, leaving every other key as it was. */
export function saveTorSettings(configFile: string, config: Config, change: TorFileChange): { ok: true } | { ok: false; error: string } {
  const file = readConfigFile(configFile, config.dataDir);
  if (!file.ok) return file;
  // A new file pins the running domain, as settings.set does: a later change of host name must not move everyone's address.
  const raw = structuredClone(Object.keys(file.raw).length === 0 ? { domain: config.domain } : file.raw) as Record<string, unknown>;
  const current = raw.tor;
  const section = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(change)) if (value !== undefined) section[key] = value;
  raw.tor = section;
  const written = saveConfigFile(configFile, raw, config.dataDir);
  return written.ok ? { ok: true } : { ok: false, error: `the Tor settings were not saved: ${written.error}` };
}

export function torHandlers(context: TorControlContext): TorHandlers {
  const { tor, config, configFile, log } = context;
  return {
    'tor.status': () => (tor ? ok(tor.status()) : unavailable),

    'tor.setEnabled': async ({ enabled }) => {
      if (!tor) return unavailable;
      // Started (or stopped) first: a tor that cannot start is not saved as on.
      const result = await tor.setEnabled(enabled);
      if (!result.ok) return result;
      const saved = saveTorSettings(configFile, config, { enabled });
      if (!saved.ok) return saved;
      log.info(enabled ? 'Tor was switched on' : 'Tor was switched off');
      return ok(tor.status());
    },

    'tor.setOptions': ({ advertise, federation }) => {
      if (!tor) return unavailable;
      const saved = saveTorSettings(configFile, config, { advertise, federation });
      if (!saved.ok) return saved;
      tor.setOptions({ advertise, federation });
      return ok(tor.status());
    },

    'tor.rotate': async () => {
      if (!tor) return unavailable;
      const { previousOnionAddress } = await tor.rotate();
      return ok({ ...tor.status(), ...(previousOnionAddress ? { previousOnionAddress } : {}) });
    },

    'tor.backupKey': () => {
      if (!tor) return unavailable;
      const backup = tor.backupKey();
      if (!backup) return fail('there is no onion key yet: switch Tor on once, and tor makes one');
      log.info('the onion key was downloaded for a backup');
      return ok(backup);
    },
  };
}

/** Tor's changes as `tor` events, and in the status (tray, dashboard). Returns the unsubscribe. */
export function forwardTorEvents(tor: TorService | undefined, hub: ControlEventHub): () => void {
  if (!tor) return () => {};
  return tor.onChange((status) => {
    hub.emit('tor', status);
    hub.changed();
  });
}
