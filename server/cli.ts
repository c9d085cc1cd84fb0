// bin/hearth: serve, user, status. Runs the built output; it never builds anything itself.
import { parseArgs } from 'node:util';
import { loadConfig, type ConfigResult } from './config/load.js';
import type { Config } from './config/schema.js';
import { readAdminToken } from './control/admin-token.js';
import type { ControlResult, RequestName, TorStatus } from './control/contract.js';
import { configFileFor } from './control/settings-file.js';
import { saveTorSettings } from './control/tor.js';
import { preparePassword, roles, type Role } from './core/storage/accounts.js';
import { openStorage } from './core/storage/index.js';
import { startServer, type ServerStatus } from './main.js';
import { certCommand, CertUsageError } from './cli-cert.js';
import { findExecutable, missingTorMessage } from './services/tor/binary.js';
import { readOnionAddress } from './services/tor/onion-keys.js';
import { torPaths } from './services/tor/torrc.js';
import { prepareLocalpart } from './util/jid.js';
import { createLogger } from './util/log.js';
import { hearthVersion } from './util/version.js';
import { inviteCommand } from './cli-invite.js';

const usage = `Hearth ${hearthVersion}: a private XMPP chat server for a family.

Usage:
  hearth serve  [--config FILE] [--data DIR]      run the server in the foreground
  hearth user add NAME [--role admin|user|limited] create an account (asks for the password,
                                                   or reads it from standard input)
  hearth user passwd NAME                          set a new password
  hearth user del NAME                             delete an account and everything it stored
  hearth user list [--json]                        list accounts
  hearth status [--json]                           registered and online users, listeners
  hearth admin-link                                the admin page link, with the admin token
  hearth tor status|on|off [--json]                the onion service: its state and address, or
                                                   switch it on or off (saved for the next start)
  hearth invite create [--role R] [--circle C]... [--uses N] [--expires D] [--label TEXT] [--inviter NAME]
                                                   an invitation link for new people, with a QR code
                                                   (D: days, such as 7, 7d or 2w)
  hearth invite list [--json]                      invitations, their links and how many are used
  hearth invite revoke ID                          withdraw an invitation
  hearth cert status [--json]                      the certificate: issuer, names, expiry, fingerprint,
                                                   which apps accept it, renewal
  hearth cert import --cert FILE --key FILE [--chain FILE]
                                                   use a certificate from elsewhere (checked first)
  hearth cert selfsigned                           make a new self-signed certificate
  hearth cert request --acme-directory URL [--challenge http-01|tls-alpn-01|dns-01] [--email ADDRESS]
                                                   get a certificate from Let's Encrypt or another
                                                   ACME authority (Hearth must be running)

Every command takes --config FILE and --data DIR. Without --config, DIR/hearth.json is used
when it exists. See README.md for every setting.`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        data: { type: 'string', short: 'd' },
        role: { type: 'string' },
        json: { type: 'boolean' },
        circle: { type: 'string', multiple: true },
        uses: { type: 'string' },
        expires: { type: 'string' },
        label: { type: 'string' },
        inviter: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        chain: { type: 'string' },
        'acme-directory': { type: 'string' },
        challenge: { type: 'string' },
        email: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    print(hearthVersion);
    return 0;
  }
  if (values.help) {
    print(usage);
    return 0;
  }
  if (positionals.length === 0) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }

  const loaded = loadConfig({ file: values.config, dataDir: values.data });
  if (!loaded.ok) {
    process.stderr.write(`The configuration has problems:\n${loaded.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 2;
  }
  try {
    const [command, ...rest] = positionals;
    switch (command) {
      case 'serve':
        return await serve(loaded, () => loadConfig({ file: values.config, dataDir: values.data }));
      case 'admin-link':
        return adminLink(loaded.config);
      case 'user':
        return await user(loaded.config, rest, values);
      case 'status':
        return await status(loaded.config, values.json ?? false);
      case 'tor':
        return await tor(loaded.config, loaded.file, rest, values.json ?? false);
      case 'invite': {
        const config = loaded.config;
        const context = { config, print, usage: (message: string) => new UsageError(message), request: (name: RequestName, input: unknown) => controlRequest(config, name, input) };
        return await inviteCommand(context, rest, values);
      }
      case 'cert':
        return await certCommand(loaded.config, rest, { ...values, acmeDirectory: values['acme-directory'] }, controlRequest);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof CertUsageError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`hearth: ${(error as Error).message}\n`);
    return 1;
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function serve(loaded: Extract<ConfigResult, { ok: true }>, reload: () => ConfigResult): Promise<number> {
  let { config, file } = loaded;
  let log = createLogger(config.log.level);
  // One wake-up for both ways out of a run: a signal (stop) or a restart asked for from the admin UI.
  let signalled = false;
  let wake: (() => void) | undefined;
  const onSignal = (signal: string) => {
    log.info(`${signal} received, stopping`);
    signalled = true;
    wake?.();
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  for (let run = 0; ; run++) {
    log.info(`Hearth ${hearthVersion} for ${config.domain}, data in ${config.dataDir}${file ? `, config ${file}` : ''}`);
    let restartRequested = false;
    const server = await startServer(config, {
      log,
      configFile: file,
      restart: () => {
        restartRequested = true;
        wake?.();
      },
    });
    const admin = server.listeners.find((l) => l.name === 'admin');
    if (run === 0 && admin) announceAdminPage(config, admin.port, log);
    if (server.status().registeredUsers === 0 && run === 0) log.info('no accounts yet: finish the setup on the admin page, or add one with `hearth user add NAME --role admin`');
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (signalled || restartRequested) resolve();
    });
    await server.stop();
    if (signalled) return 0;

    const next = reload();
    if (!next.ok) {
      log.error(`the saved configuration has problems, restarting with the running one: ${next.errors.join('; ')}`);
    } else {
      // Ports chosen by the system (0) stay the same across the restart, so open pages reconnect.
      const ports = { ...next.config.ports };
      for (const listener of server.listeners) {
        const name = listener.name as keyof typeof ports;
        if (name in ports && ports[name] === 0) ports[name] = listener.port;
      }
      config = { ...next.config, ports };
      file = next.file;
      log = createLogger(config.log.level);
    }
    log.info('restarting with the saved settings');
  }
}

/** The admin page's address, with the token in the fragment when the output is a terminal. */
function announceAdminPage(config: Config, port: number, log: ReturnType<typeof createLogger>): void {
  const url = adminPageUrl(config, port);
  const token = readAdminToken(config.dataDir);
  // The fragment never reaches a server, but output piped to a service log would keep the
  // token there: only a person at a terminal gets the whole link.
  if (process.stdout.isTTY && token) print(`\nOpen the Hearth admin page in a browser on this computer:\n  ${url}#token=${token}\n`);
  else log.info(`admin page on ${url} (\`hearth admin-link\` prints the link with the token; the token is in ${config.dataDir}/admin-token)`);
}

function adminPageUrl(config: Config, port: number): string {
  const bind = config.adminBind;
  const host = bind === '*' || bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  return `http://${host}:${port}/`;
}

async function user(config: Config, args: string[], values: { role?: string; json?: boolean }): Promise<number> {
  const [action, rawName] = args;
  const storage = openStorage(config.dataDir, { scramIterations: config.auth.scramIterations });
  try {
    if (action === 'list') {
      const accounts = storage.accounts.list();
      if (values.json) print(JSON.stringify(accounts.map((a) => ({ ...a, jid: `${a.username}@${config.domain}` }))));
      else if (accounts.length === 0) print('No accounts yet. Add one with: hearth user add NAME');
      else for (const a of accounts) print(`${a.username}@${config.domain}\t${a.role}`);
      return 0;
    }
    if (!['add', 'passwd', 'del'].includes(action ?? '')) throw new UsageError(`unknown user command "${action ?? ''}"`);
    if (!rawName) throw new UsageError(`hearth user ${action} needs a user name`);
    const username = prepareLocalpart(rawName.replace(new RegExp(`@${escapeRegExp(config.domain)}$`), ''));
    if (!username) throw new Error(`"${rawName}" is not a valid user name (no spaces or any of " & ' / : < > @)`);

    if (action === 'del') {
      if (!storage.accounts.delete(username)) throw new Error(`there is no account ${username}@${config.domain}`);
      print(`Deleted ${username}@${config.domain}.`);
      return 0;
    }
    const role = (values.role ?? 'user') as Role;
    if (!roles.includes(role)) throw new Error(`--role must be one of ${roles.join(', ')}`);
    if (action === 'add' && storage.accounts.exists(username)) throw new Error(`${username}@${config.domain} already exists`);
    if (action === 'passwd' && !storage.accounts.exists(username)) throw new Error(`there is no account ${username}@${config.domain}`);

    const password = preparePassword(await readPassword(`Password for ${username}@${config.domain}: `));
    if (!password.ok) throw new Error(password.reason);
    if (action === 'add') {
      storage.accounts.create(username, password.prepared, role);
      print(`Created ${username}@${config.domain} (${role}).`);
    } else {
      storage.accounts.setPassword(username, password.prepared);
      print(`Changed the password of ${username}@${config.domain}.`);
    }
    return 0;
  } finally {
    storage.close();
  }
}

function adminLink(config: Config): number {
  const token = readAdminToken(config.dataDir);
  if (!token) {
    process.stderr.write(`hearth: there is no admin token in ${config.dataDir} yet: start Hearth once with \`hearth serve\`\n`);
    return 1;
  }
  print(`${adminPageUrl(config, config.ports.admin)}#token=${token}`);
  return 0;
}

async function status(config: Config, json: boolean): Promise<number> {
  const live = await fetchLiveStatus(config);
  if (live) {
    if (json) print(JSON.stringify({ running: true, ...live }));
    else {
      print(`Hearth ${live.version} is running for ${live.domain} (up ${formatDuration(live.uptimeSeconds)}).`);
      print(`Users: ${live.registeredUsers} registered, ${live.onlineUsers} online (${live.sessions} connections).`);
      for (const l of live.listeners) print(`Listening: ${l.name} on ${l.address} port ${l.port}`);
      for (const line of describeFederation(live.federation)) print(line);
    }
    return 0;
  }
  const storage = openStorage(config.dataDir, { scramIterations: config.auth.scramIterations });
  const registeredUsers = storage.accounts.count();
  storage.close();
  if (json) print(JSON.stringify({ running: false, domain: config.domain, registeredUsers, onlineUsers: 0, listeners: [] }));
  else print(`Hearth is not running for ${config.domain} (${registeredUsers} registered users). Start it with: hearth serve`);
  return 3;
}

/** Federation in a few lines; absent from servers that predate it. */
function describeFederation(federation: ServerStatus['federation'] | undefined): string[] {
  if (!federation) return [];
  if (!federation.enabled) return ['Federation: off (s2s.enabled is false).'];
  const lines = [`Federation: ${federation.outgoingLinks} outgoing and ${federation.incomingLinks} incoming links${federation.connectedDomains.length > 0 ? ` (${federation.connectedDomains.join(', ')})` : ''}.`];
  for (const problem of federation.lastErrors) lines.push(`  ${problem.domain}: ${problem.error} (${new Date(problem.at).toISOString()})`);
  if (federation.insecureDomains.length > 0) lines.push(`  Invalid certificates accepted from: ${federation.insecureDomains.join(', ')} (s2s.insecureDomains)`);
  return lines;
}

async function fetchLiveStatus(config: Config): Promise<ServerStatus | undefined> {
  const token = readAdminToken(config.dataDir);
  if (!token) return undefined;
  const host = config.adminBind === '*' || config.adminBind === '0.0.0.0' ? '127.0.0.1' : config.adminBind;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.ports.admin}/api/status`;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3000) });
    if (!response.ok) return undefined;
    return (await response.json()) as ServerStatus;
  } catch {
    return undefined;
  }
}

/**
 * `hearth tor status|on|off`: asks the running server (which starts or stops tor at once), or,
 * when none runs, reads and saves the config file (Tor then starts with Hearth).
 */
async function tor(config: Config, file: string | undefined, args: string[], json: boolean): Promise<number> {
  const [action] = args;
  if (action === 'status') {
    const live = await controlRequest(config, 'tor.status', {});
    if (live && !live.ok) throw new Error(live.error);
    if (live) {
      const value = live.value as TorStatus;
      if (json) print(JSON.stringify({ serverRunning: true, ...value }));
      else for (const line of describeTor(value)) print(line);
      return 0;
    }
    const onionAddress = readOnionAddress(torPaths(config.dataDir));
    if (json) print(JSON.stringify({ serverRunning: false, enabled: config.tor.enabled, ...(onionAddress ? { onionAddress } : {}) }));
    else {
      print(`Hearth is not running; Tor is switched ${config.tor.enabled ? 'on' : 'off'} for its next start.`);
      if (onionAddress) print(`Onion address: ${onionAddress}`);
    }
    return 3;
  }
  if (action !== 'on' && action !== 'off') throw new UsageError(`unknown tor command "${action ?? ''}"`);
  const enabled = action === 'on';
  const live = await controlRequest(config, 'tor.setEnabled', { enabled });
  if (live) {
    if (!live.ok) throw new Error(live.error);
    for (const line of describeTor(live.value as TorStatus)) print(line);
    return 0;
  }
  if (enabled && !findExecutable(config.tor.binary)) throw new Error(missingTorMessage(config.tor.binary));
  const saved = saveTorSettings(configFileFor(config, file), config, { enabled });
  if (!saved.ok) throw new Error(saved.error);
  print(enabled ? 'Saved: Tor starts with Hearth (hearth serve).' : 'Saved: Tor stays off when Hearth starts.');
  return 0;
}

function describeTor(status: TorStatus): string[] {
  const state: Record<TorStatus['state'], string> = {
    off: 'Tor is off.',
    starting: 'Tor is starting.',
    running: status.bootstrapped ? 'Tor is on and connected to the Tor network.' : 'Tor is on, connecting to the Tor network.',
    restarting: 'Tor stopped unexpectedly and starts again in a moment.',
    failed: 'Tor is switched on but cannot run.',
    stopping: 'Tor is stopping.',
  };
  const lines = [state[status.state]];
  if (status.bootstrap && status.state === 'running' && !status.bootstrapped) lines.push(`Progress: ${status.bootstrap.progress} % (${status.bootstrap.summary})`);
  if (status.onionAddress) lines.push(`Onion address: ${status.onionAddress}`);
  if (status.lastError && status.state !== 'off') lines.push(`Last error: ${status.lastError}`);
  return lines;
}

/** A control API request to the running server, or undefined when none answers. */
async function controlRequest(config: Config, name: RequestName, input: unknown): Promise<ControlResult<unknown> | undefined> {
  const token = readAdminToken(config.dataDir);
  if (!token) return undefined;
  try {
    // tor.setEnabled waits for tor's control port: give it time.
    const response = await fetch(`${adminApiBase(config)}/api/${name}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return undefined;
    return (await response.json()) as ControlResult<unknown>;
  } catch {
    return undefined;
  }
}

function adminApiBase(config: Config): string {
  const host = config.adminBind === '*' || config.adminBind === '0.0.0.0' ? '127.0.0.1' : config.adminBind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.ports.admin}`;
}

/** From standard input when it is not a terminal (scripts), otherwise typed without echo. */
async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  const first = await promptHidden(prompt);
  const second = await promptHidden('Again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stdout.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') {
          finish();
          return resolve(value);
        }
        if (char === '\u0003') {
          finish();
          return reject(new Error('cancelled'));
        }
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    };
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
    };
    stdin.on('data', onData);
  });
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
