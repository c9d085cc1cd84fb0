// A real Prosody (Debian's "prosody" package, 0.12) on loopback with a private configuration in
// a temporary directory: for the benchmarks against it (bench/) and for federation tests.
//
//   const prosody = await startProsody({ domain: 'prosody.localhost', certificate: { certFile, keyFile } });
//   await prosody.register('alice', 'a long password');      // prosodyctl, like an admin would
//   ... connect to prosody.bind:prosody.c2sPort ...
//   await prosody.stop();
//
// Nothing here touches the system's Prosody (/etc/prosody, /var/lib/prosody): the config, data,
// log and certificate index all live in the run's directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A value Prosody's Lua config can hold; arrays become Lua lists, objects Lua tables. */
export type LuaValue = string | number | boolean | LuaValue[] | { [key: string]: LuaValue };

export interface ProsodyComponent {
  /** The component's domain, e.g. conference.localhost. */
  domain: string;
  /** The plugin serving it, e.g. "muc" or "http_file_share". */
  plugin: string;
  /** Extra modules loaded on the component only, e.g. ["muc_mam"]. */
  modules?: string[];
  /** Options set in the component's section, e.g. { restrict_room_creation: false }. */
  options?: Record<string, LuaValue>;
}

export interface ProsodyS2sOptions {
  /** Listen for incoming server-to-server connections on this port; 0 picks a free one. */
  port: number;
  /** s2s_require_encryption (Prosody's default: true). */
  requireEncryption?: boolean;
  /** s2s_secure_auth: only certificate-authenticated peers (Prosody's default: false). */
  secureAuth?: boolean;
  /** s2s_insecure_domains: peers allowed to authenticate without a valid certificate (dialback). */
  insecureDomains?: string[];
  /** s2s_secure_domains: peers that must present a valid certificate. */
  secureDomains?: string[];
}

export interface ProsodyOptions {
  /** The VirtualHost (default "localhost"). */
  domain?: string;
  /** The loopback address every listener binds to (default 127.0.0.1). */
  bind?: string;
  /** Client port; 0 or unset picks a free one. */
  c2sPort?: number;
  /** Server-to-server listener and policy; unset means no s2s listener at all. */
  s2s?: ProsodyS2sOptions;
  /** PEM certificate (with chain) and key for the VirtualHost and its components. */
  certificate: { certFile: string; keyFile: string };
  /** A CA bundle trusted for verifying peers' certificates (s2s), e.g. the test CA. */
  caFile?: string;
  /** Modules to load besides baseModules (e.g. "mam", "carbons", "dialback"). */
  modules?: string[];
  /** Modules to keep from loading, including auto-loaded ones (e.g. "offline"). */
  disabledModules?: string[];
  components?: ProsodyComponent[];
  /** More global options, written as Lua; they win over the launcher's own. */
  options?: Record<string, LuaValue>;
  /** Options in the VirtualHost section. */
  hostOptions?: Record<string, LuaValue>;
  /** PBKDF2 iterations of SCRAM credentials made by this launcher and by prosodyctl (default 4096, Hearth's). */
  scramIterations?: number;
  /** Least severe log level written to prosody.log (default "warn"). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where config, data and log go; a new temporary directory (deleted by stop()) when unset. */
  dir?: string;
  /** How long to wait for the listeners (default 15 s). */
  startTimeoutMs?: number;
}

export interface Prosody {
  readonly domain: string;
  readonly bind: string;
  readonly c2sPort: number;
  /** undefined without options.s2s. */
  readonly s2sPort: number | undefined;
  /** The prosody process: RSS and CPU time can be read from /proc/<pid>. */
  readonly pid: number;
  readonly dir: string;
  readonly configFile: string;
  readonly dataDir: string;
  /** Registers an account the way an admin does, with `prosodyctl register` (about 40 ms each). */
  register(username: string, password: string): Promise<void>;
  /**
   * Writes many accounts at once straight into the data directory, in the format Prosody's
   * mod_auth_internal_hashed stores itself (SCRAM-SHA-1 keys, never the password): for the
   * thousands of accounts a benchmark needs, where prosodyctl would take minutes. Prosody reads
   * account files at each login, so this works while it runs.
   */
  writeAccounts(accounts: Iterable<{ username: string; password: string }>): void;
  /** What Prosody logged so far (at options.logLevel and above). */
  log(): string;
  /** Stops Prosody (SIGTERM, then SIGKILL after 5 s) and deletes the directory if this launcher made it. */
  stop(): Promise<void>;
}

/**
 * Modules every launched Prosody loads. Prosody itself auto-loads presence, message, iq, offline,
 * c2s, s2s and s2s_auth_certs.
 */
export const baseModules = ['roster', 'saslauth', 'tls', 'disco', 'ping'];

/** True when the prosody and prosodyctl programs can be run. */
export function prosodyInstalled(): boolean {
  const server = spawnSync('prosody', ['--help'], { stdio: 'ignore', timeout: 10_000 });
  const control = spawnSync('prosodyctl', ['--help'], { stdio: 'ignore', timeout: 10_000 });
  return server.error === undefined && control.error === undefined;
}

/** "0.12.3", from `prosodyctl about`; undefined when Prosody is not installed. */
export function prosodyVersion(): string | undefined {
  const about = spawnSync('prosodyctl', ['about'], { encoding: 'utf8', timeout: 10_000 });
  // Warnings such as "Prosody was unable to find lua-unbound" come first; the version line is "Prosody 0.12.3".
  return /^Prosody (\d+\.\d+\S*)$/m.exec(about.stdout ?? '')?.[1];
}

export async function startProsody(options: ProsodyOptions): Promise<Prosody> {
  const domain = options.domain ?? 'localhost';
  const bind = options.bind ?? '127.0.0.1';
  const iterations = options.scramIterations ?? 4096;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hearth-prosody-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'prosody.log');
  const configFile = join(dir, 'prosody.cfg.lua');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // An empty certificate index: without one, Prosody (and prosodyctl) complain about ./certs.
  mkdirSync(join(dir, 'certs'), { recursive: true });

  const c2sPort = options.c2sPort || (await freeTcpPort(bind));
  const s2sPort = options.s2s ? options.s2s.port || (await freeTcpPort(bind)) : undefined;
  writeFileSync(
    configFile,
    prosodyConfig({ ...options, domain, bind, c2sPort, s2sPort, iterations, dataDir, logFile, certificatesDir: join(dir, 'certs') }),
  );

  const child = spawn('prosody', ['-F', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
    await waitForPort(bind, c2sPort, child, deadline);
    if (s2sPort !== undefined) await waitForPort(bind, s2sPort, child, deadline);
  } catch (error) {
    const text = `${output}\n${log()}`.trim();
    await stop();
    throw new Error(`${(error as Error).message}${text ? `\n${text}` : ''}`);
  }

  return {
    domain,
    bind,
    c2sPort,
    s2sPort,
    pid: child.pid!,
    dir,
    configFile,
    dataDir,
    register: (username, password) => prosodyctlRegister(configFile, dir, username, domain, password),
    writeAccounts(accounts) {
      const accountsDir = join(dataDir, encodePathPart(domain), 'accounts');
      mkdirSync(accountsDir, { recursive: true, mode: 0o700 });
      for (const { username, password } of accounts) {
        writeFileSync(join(accountsDir, `${encodePathPart(username)}.dat`), accountFile(password, iterations), { mode: 0o600 });
      }
    },
    log,
    stop,
  };
}

interface ConfigInput extends ProsodyOptions {
  domain: string;
  bind: string;
  c2sPort: number;
  s2sPort: number | undefined;
  iterations: number;
  dataDir: string;
  logFile: string;
  certificatesDir: string;
}

/** The whole configuration file: global section, the VirtualHost, then components. */
export function prosodyConfig(input: ConfigInput): string {
  const ssl: Record<string, LuaValue> = { certificate: input.certificate.certFile, key: input.certificate.keyFile };
  if (input.caFile) ssl.cafile = input.caFile;
  const global: Record<string, LuaValue> = {
    // Prosody refuses to start as root without this; test machines and CI containers often are.
    ...(process.getuid?.() === 0 ? { run_as_root: true } : {}),
    data_path: input.dataDir,
    certificates: input.certificatesDir,
    interfaces: [input.bind],
    c2s_ports: [input.c2sPort],
    s2s_ports: input.s2sPort === undefined ? [] : [input.s2sPort],
    // No HTTP listener unless a caller asks: nothing must clash with other tests' ports.
    http_ports: [],
    https_ports: [],
    log: [{ levels: { min: input.logLevel ?? 'warn' }, to: 'file', filename: input.logFile }],
    authentication: 'internal_hashed',
    default_iteration_count: input.iterations,
    storage: 'internal',
    c2s_require_encryption: true,
    modules_enabled: [...new Set([...baseModules, ...(input.modules ?? [])])],
    modules_disabled: input.disabledModules ?? [],
    ssl,
  };
  if (input.s2s) {
    if (input.s2s.requireEncryption !== undefined) global.s2s_require_encryption = input.s2s.requireEncryption;
    if (input.s2s.secureAuth !== undefined) global.s2s_secure_auth = input.s2s.secureAuth;
    if (input.s2s.insecureDomains) global.s2s_insecure_domains = input.s2s.insecureDomains;
    if (input.s2s.secureDomains) global.s2s_secure_domains = input.s2s.secureDomains;
  }
  Object.assign(global, input.options);

  const lines = ['-- Written by test/support/prosody.ts for one run.', ...assignments(global), ''];
  // Hosts and components inherit the global ssl (certificate, key, cafile).
  lines.push(`VirtualHost ${luaValue(input.domain)}`, ...indent(assignments({ ...input.hostOptions })), '');
  for (const component of input.components ?? []) {
    const options: Record<string, LuaValue> = { ...component.options };
    if (component.modules?.length) options.modules_enabled = component.modules;
    lines.push(`Component ${luaValue(component.domain)} ${luaValue(component.plugin)}`, ...indent(assignments(options)), '');
  }
  return lines.join('\n');
}

function assignments(options: Record<string, LuaValue>): string[] {
  return Object.entries(options).map(([name, value]) => `${name} = ${luaValue(value)}`);
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `\t${line}`);
}

/** A JavaScript value written as a Lua literal; strings are escaped so any path or text is safe. */
export function luaValue(value: LuaValue): string {
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no Lua literal`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{ ${value.map(luaValue).join(', ')} }`;
  return `{ ${Object.entries(value)
    .map(([key, item]) => `[${luaString(key)}] = ${luaValue(item)}`)
    .join('; ')} }`;
}

function luaString(text: string): string {
  // Lua's decimal escapes (\ddd, always three digits so a following digit cannot join them)
  // cover quotes, backslashes and control characters; everything else stays as UTF-8.
  return `"${text.replace(/[\\"\x00-\x1f\x7f]/g, (c) => `\\${c.charCodeAt(0).toString().padStart(3, '0')}`)}"`;
}

/** Prosody's datamanager file-name encoding: every non-alphanumeric byte as %xx. */
export function encodePathPart(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`))
    .join('');
}

/**
 * An accounts/<user>.dat file as mod_auth_internal_hashed writes it: SCRAM-SHA-1 StoredKey and
 * ServerKey in hex (RFC 5802 §3) with a UUID as the salt. The password must already be SASLprepped
 * (plain ASCII passwords are).
 */
export function accountFile(password: string, iterations: number): string {
  const salt = randomUUID();
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 20, 'sha1');
  const clientKey = createHmac('sha1', salted).update('Client Key').digest();
  const account: Record<string, LuaValue> = {
    iteration_count: iterations,
    salt,
    stored_key: createHash('sha1').update(clientKey).digest('hex'),
    server_key: createHmac('sha1', salted).update('Server Key').digest('hex'),
  };
  return `return ${luaValue(account)};\n`;
}

function prosodyctlRegister(configFile: string, dir: string, username: string, domain: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('prosodyctl', ['--config', configFile, 'register', username, domain, password], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`prosodyctl register ${username}@${domain} failed (${code}): ${output.trim()}`))));
  });
}

/** A port nobody listens on right now (the kernel's choice), on `bind`. */
export function freeTcpPort(bind = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, bind, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Connects every 50 ms until the port accepts (then Prosody listens), or fails when it exits. */
async function waitForPort(host: string, port: number, child: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prosody exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`prosody did not listen on ${host}:${port} in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
