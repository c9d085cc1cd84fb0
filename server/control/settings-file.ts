// The settings the admin UI may change, saved into the config file in use: the one Hearth was
// started with, else <dataDir>/hearth.json (which `hearth serve` reads from then on). Only the
// keys that change are touched; the rest of the file, hand-written or not, stays as it was.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Settings, SettingsChange } from './contract.js';
import { syncDirectory } from '../util/sync-directory.js';

type RawConfig = Record<string, unknown>;

export function configFileFor(config: Config, loadedFile: string | undefined): string {
  return loadedFile ?? join(config.dataDir, 'hearth.json');
}

export function settingsOf(config: Config): Settings {
  return {
    domain: config.domain,
    registrationOpen: config.registration.open,
    archiveRetentionDays: config.archive.retentionDays,
    logLevel: config.log.level,
  };
}

export type SettingsRead = { ok: true; raw: RawConfig; config: Config | undefined } | { ok: false; error: string };

/** The file as it is now: its raw JSON (to edit) and the config it gives (undefined if there is no file). */
export function readConfigFile(file: string, dataDir: string): SettingsRead {
  if (!existsSync(file)) return { ok: true, raw: {}, config: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, error: `the config file ${file} is not valid JSON (${(error as Error).message}); fix it by hand first` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: `the config file ${file} must contain a JSON object` };
  const parsed = parseConfig(raw, { dataDir, file });
  if (!parsed.ok) return { ok: false, error: `the config file ${file} has problems: ${parsed.errors.join('; ')}` };
  return { ok: true, raw: raw as RawConfig, config: parsed.config };
}

/** The change applied to the raw file contents, without touching any other key. */
export function applySettingsChange(raw: RawConfig, change: SettingsChange): RawConfig {
  const next: RawConfig = structuredClone(raw);
  const section = (name: string): RawConfig => {
    const current = next[name];
    const value = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as RawConfig) : {};
    next[name] = value;
    return value;
  };
  if (change.domain !== undefined) next.domain = change.domain;
  if (change.registrationOpen !== undefined) section('registration').open = change.registrationOpen;
  if (change.archiveRetentionDays !== undefined) section('archive').retentionDays = change.archiveRetentionDays;
  if (change.logLevel !== undefined) section('log').level = change.logLevel;
  return next;
}

export type SettingsSave = { ok: true; config: Config } | { ok: false; error: string };

/**
 * Validates the new contents with the config schema, then replaces the file atomically: a
 * temporary file in the same directory is written and synced, then renamed over the old one,
 * so a crash leaves either the old file or the new one, never half of one.
 */
export function saveConfigFile(file: string, raw: RawConfig, dataDir: string): SettingsSave {
  const parsed = parseConfig(raw, { dataDir, file });
  if (!parsed.ok) return { ok: false, error: parsed.errors.join('; ') };
  const temporary = join(dirname(file), `.${randomBytes(6).toString('hex')}.hearth.json.tmp`);
  try {
    // Owner-only: the file may hold secrets (turn.secret).
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(raw, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    syncDirectory(dirname(file));
  } catch (error) {
    rmSync(temporary, { force: true });
    return { ok: false, error: `could not save ${file}: ${(error as Error).message}` };
  }
  return { ok: true, config: parsed.config };
}
