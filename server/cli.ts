// bin/hearth: serve, user, status. Runs the built output; it never builds anything itself.
import { parseArgs } from 'node:util';
import { loadConfig, type ConfigResult } from './config/load.js';
import type { Config } from './config/schema.js';
import { readAdminToken } from './control/admin-token.js';
import { preparePassword, roles, type Role } from './core/storage/accounts.js';
import { openStorage } from './core/storage/index.js';
import { startServer, type ServerStatus } from './main.js';
import { prepareLocalpart } from './util/jid.js';
import { createLogger } from './util/log.js';
import { hearthVersion } from './util/version.js';

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
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
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
