// The control API's storage requests (contract.ts: storage.*): how much the uploaded files take,
// their limits and retention (saved into the config file's `upload` section, and applied at
// once: the upload module reads the running config's `upload` section at every request), and
// deleting files now. The files themselves are server/modules/http-upload's.
import type { Output } from '../util/schema.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/event-bus.js';
import type { EventMap, UploadPurgeResult } from '../core/events.js';
import type { Storage } from '../core/storage/index.js';
import type { Logger } from '../util/log.js';
import { describeBytes } from '../util/units.js';
import type { ControlResult, RequestResults, requestSchemas, StorageOptions, StorageStatus } from './contract.js';
import { readConfigFile, saveConfigFile } from './settings-file.js';

type StorageRequest = 'storage.status' | 'storage.setOptions' | 'storage.purge';
type StorageHandlers = {
  [N in StorageRequest]: (input: Output<(typeof requestSchemas)[N]>) => ControlResult<RequestResults[N]>;
};

export interface StorageControlContext {
  config: Config;
  configFile: string;
  storage: Storage;
  events: EventBus<EventMap>;
  log: Logger;
}

const dayMs = 24 * 60 * 60 * 1000;
const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

const optionKeys = ['retentionDays', 'maxFileSizeBytes', 'userDailyQuotaBytes', 'totalQuotaBytes'] as const satisfies ReadonlyArray<keyof StorageOptions>;

function optionsOf(config: Config): StorageOptions {
  const { retentionDays, maxFileSizeBytes, userDailyQuotaBytes, totalQuotaBytes } = config.upload;
  return { retentionDays, maxFileSizeBytes, userDailyQuotaBytes, totalQuotaBytes };
}

/** Why these limits do not fit together, or undefined when they do. */
function conflict(options: StorageOptions): string | undefined {
  const largest = describeBytes(options.maxFileSizeBytes);
  if (options.maxFileSizeBytes > options.userDailyQuotaBytes) {
    return `the largest file (${largest}) cannot be larger than what each person may upload in a day (${describeBytes(options.userDailyQuotaBytes)})`;
  }
  if (options.maxFileSizeBytes > options.totalQuotaBytes) {
    return `the largest file (${largest}) cannot be larger than the space for all uploads (${describeBytes(options.totalQuotaBytes)})`;
  }
  return undefined;
}

/** Saves the change into the `upload` section of the config file, leaving every other key as it was. */
function saveUploadSettings(configFile: string, config: Config, change: Partial<StorageOptions>): { ok: true } | { ok: false; error: string } {
  const file = readConfigFile(configFile, config.dataDir);
  if (!file.ok) return file;
  // A new file pins the running domain, as settings.set does: a later change of host name must not move everyone's address.
  const raw = structuredClone(Object.keys(file.raw).length === 0 ? { domain: config.domain } : file.raw) as Record<string, unknown>;
  const current = raw.upload;
  const section = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(change)) if (value !== undefined) section[key] = value;
  raw.upload = section;
  const written = saveConfigFile(configFile, raw, config.dataDir);
  return written.ok ? { ok: true } : { ok: false, error: `the storage settings were not saved: ${written.error}` };
}

export function storageHandlers(context: StorageControlContext): StorageHandlers {
  const { config, configFile, storage, events, log } = context;

  const status = (): StorageStatus => {
    const usage = storage.uploads.usage();
    const options = optionsOf(config);
    return {
      enabled: config.upload.enabled,
      uploadHost: `upload.${config.domain}`,
      bytesUsed: usage.bytes,
      fileCount: usage.files,
      ...(usage.oldestUploadedAt !== undefined
        ? { oldestFileAt: usage.oldestUploadedAt, nextExpiryAt: usage.oldestUploadedAt + options.retentionDays * dayMs }
        : {}),
      options,
    };
  };

  /** The upload module deletes (it owns the files); undefined when this Hearth runs without it. */
  const purge = (everything: boolean): UploadPurgeResult | undefined => events.fire('upload/purge', { everything }) as UploadPurgeResult | undefined;

  return {
    'storage.status': () => ok(status()),

    'storage.setOptions': (change) => {
      const before = optionsOf(config);
      const next: StorageOptions = { ...before };
      for (const key of optionKeys) if (change[key] !== undefined) next[key] = change[key];
      const changed = optionKeys.filter((key) => next[key] !== before[key]);
      if (changed.length === 0) return ok({ ...status(), changed });
      const problem = conflict(next);
      if (problem) return fail(problem);
      const saved = saveUploadSettings(configFile, config, Object.fromEntries(changed.map((key) => [key, next[key]])));
      if (!saved.ok) return saved;
      // The running config is what the upload module reads: from now on it works with these.
      Object.assign(config.upload, next);
      log.info(`storage settings saved and in effect (${changed.join(', ')})`);
      // A shorter retention deletes what is now too old at once, as the next sweep would.
      if (next.retentionDays < before.retentionDays) purge(false);
      return ok({ ...status(), changed });
    },

    'storage.purge': ({ everything }) => {
      const deleted = purge(everything);
      if (!deleted) return fail('this Hearth runs without file upload, so there are no uploaded files to delete');
      return ok({ ...status(), deletedFiles: deleted.files, freedBytes: deleted.bytes });
    },
  };
}
