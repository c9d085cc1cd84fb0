// Reading the configuration: file -> JSON -> schema -> resolved defaults.
// Errors are returned as plain sentences naming the key, for the CLI and the UI to show.
import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { isLoopbackBind } from '../net/lan.js';
import { prepareDomainpart } from '../util/jid.js';
import type { Issue } from '../util/schema.js';
import { configSchema, type Config } from './schema.js';

export type ConfigResult = { ok: true; config: Config; file: string | undefined } | { ok: false; errors: string[] };

export interface LoadConfigOptions {
  /** Explicit config file (--config); it must exist. */
  file?: string;
  /** Data directory from the command line (--data); wins over the file's dataDir. */
  dataDir?: string;
  /** Values that win over the file, e.g. from tests. */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/** The default data directory: $XDG_DATA_HOME/hearth, else ~/.local/share/hearth. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'hearth');
}

/** The machine's hostname as an XMPP domain ("Kitchen-PC" -> "kitchen-pc"). */
export function defaultDomain(): string {
  return prepareDomainpart(hostname()) ?? 'localhost';
}

export function loadConfig(options: LoadConfigOptions = {}): ConfigResult {
  const env = options.env ?? process.env;
  let file = options.file ? resolve(options.file) : undefined;
  if (file && !existsSync(file)) return { ok: false, errors: [`config file ${file} does not exist`] };
  if (!file) {
    // Without --config, a hearth.json in the data directory is used when present.
    const candidate = join(resolve(options.dataDir ?? defaultDataDir(env)), 'hearth.json');
    if (existsSync(candidate)) file = candidate;
  }

  let raw: unknown = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      return { ok: false, errors: [`config file ${file} is not valid JSON: ${(error as Error).message}`] };
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, errors: [`config file ${file} must contain a JSON object`] };
    }
  }
  const merged = deepMerge(raw as Record<string, unknown>, options.overrides ?? {});
  return parseConfig(merged, { dataDir: options.dataDir, env, file });
}

/** Validate an already-parsed config object (used by the loader and by tests). */
export function parseConfig(
  input: unknown,
  context: { dataDir?: string; env?: NodeJS.ProcessEnv; file?: string } = {},
): ConfigResult {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map(describeIssue) };
  const value = parsed.data;

  const domainSource = value.domain ?? defaultDomain();
  const domain = prepareDomainpart(domainSource);
  if (!domain) return { ok: false, errors: [`domain: "${domainSource}" is not a valid domain name`] };
  if (value.tls.certFile && !value.tls.keyFile) return { ok: false, errors: ['tls.keyFile: required when tls.certFile is set'] };
  if (value.tls.keyFile && !value.tls.certFile) return { ok: false, errors: ['tls.certFile: required when tls.keyFile is set'] };
  if (!isLoopbackBind(value.adminBind) && !value.adminAllowRemote) {
    return { ok: false, errors: [`adminBind: "${value.adminBind}" lets other computers reach the admin page; set adminAllowRemote to true to open it on purpose`] };
  }

  const dataDir = resolve(context.dataDir ?? value.dataDir ?? defaultDataDir(context.env));
  return { ok: true, config: { ...value, domain, dataDir }, file: context.file };
}

function describeIssue(issue: Issue): string {
  const key = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    return `${issue.keys.map((k) => prefix + k).join(', ')}: unknown setting (check the spelling against README.md)`;
  }
  return `${key}: ${issue.message}`;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
