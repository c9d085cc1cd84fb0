// The control API's handlers: one function per request in contract.ts. Input is validated with
// the contract's schemas before a handler runs; expected failures come back as sentences the
// admin can act on ("there is already a user named alice"), never as exceptions.
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../core/event-bus.js';
import type { EventMap } from '../core/events.js';
import type { SessionManager } from '../core/sessions.js';
import { preparePassword, type Account } from '../core/storage/accounts.js';
import type { Storage } from '../core/storage/index.js';
import { prepareCircleName } from '../core/storage/circles.js';
import { publicBaseUrl } from '../net/http-server.js';
import { lanAddresses, lanHostName } from '../net/lan.js';
import { lanDiscoveryOff } from '../services/mdns/lan-discovery.js';
import type { CertificateService } from '../services/certs/certificate-service.js';
import type { TorService } from '../services/tor/tor-service.js';
import { StreamError } from '../util/errors.js';
import { prepareDomainpart, prepareLocalpart } from '../util/jid.js';
import type { Logger } from '../util/log.js';
import type { Output } from '../util/schema.js';
import {
  describeValidationError,
  isRequestName,
  requestSchemas,
  type AdminApi,
  type ControlEvents,
  type ControlResult,
  type EventName,
  type FederationStatus,
  type RequestName,
  type RequestResults,
  type Settings,
  type Status,
  type User,
  type Warning,
} from './contract.js';
import { ControlEventHub } from './event-hub.js';
import { generatePassword } from './passwords.js';
import { applySettingsChange, configFileFor, readConfigFile, saveConfigFile, settingsOf } from './settings-file.js';
import { forwardTorEvents, torHandlers } from './tor.js';
import { forwardPortMappingEvents, portMappingHandlers } from './port-mapping.js';
import type { PortMappingService } from '../services/port-mapping/port-mapping-service.js';
import { circleHandlers, createCircle } from './circles.js';
import { inviteHandlers } from './invites.js';
import { certsHandlers, forwardCertificateEvents } from './certs.js';
import { storageHandlers } from './storage.js';
import { privacyHandlers } from './privacy.js';
import { privacyPath } from '../modules/privacy-statement.js';
import type { PrivacyNow } from '../services/privacy/retention-facts.js';

/** What the server reports about itself (main.ts); the handlers add the rest of `Status`. */
export type ServerStatusBase = Pick<Status, 'version' | 'domain' | 'uptimeSeconds' | 'listeners' | 'registeredUsers' | 'onlineUsers' | 'sessions'>;

export interface ControlContext {
  /** The running configuration. */
  config: Config;
  /** The config file the server was started with, if any; settings are saved there (else <dataDir>/hearth.json). */
  configFile?: string | undefined;
  storage: Storage;
  sessions: SessionManager;
  events: EventBus<EventMap>;
  serverStatus(): ServerStatusBase;
  certificate: { cert: string; selfSigned: boolean };
  log: Logger;
  /** Provided by whoever runs the server (`hearth serve`, the Electron worker) when it can restart it. */
  restart?: (() => void) | undefined;
  /** For tests: how often `status` listeners get a fresh status. */
  statusIntervalMs?: number;
  /** The onion service (server/services/tor); without it the tor.* requests say so. */
  tor?: TorService | undefined;
  /** The certificates service (server/services/certs); without it the certs.* requests say so. */
  certs?: CertificateService | undefined;
  /** Federation's status (server/s2s), for the dashboard. */
  federation?: (() => FederationStatus) | undefined;
  /** What the sign-in and registration throttles hold now (counts), for the Privacy page. */
  privacyHeld?: (() => PrivacyNow) | undefined;
  /** Router port mapping (server/services/port-mapping); without it the portMapping.* requests say so. */
  portMapping?: PortMappingService | undefined;
}

/** The control API as the server implements it: the same `AdminApi` the UI uses, called directly. */
export interface ServerControl extends AdminApi {
  readonly hub: ControlEventHub;
  close(): void;
}

type Input<N extends RequestName> = Output<(typeof requestSchemas)[N]>;
type Handler<N extends RequestName> = (input: Input<N>) => ControlResult<RequestResults[N]> | Promise<ControlResult<RequestResults[N]>>;

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export function createControl(context: ControlContext): ServerControl {
  const { config, storage, sessions, events, log } = context;
  const configFile = configFileFor(config, context.configFile);

  const jidOf = (username: string) => `${username}@${config.domain}`;
  const toUser = (account: Account): User => {
    const devices = sessions.sessionsOf(account.username).length;
    return { username: account.username, jid: jidOf(account.username), role: account.role, createdAt: account.createdAt, online: devices > 0, devices };
  };
  const admins = () => storage.accounts.list().filter((a) => a.role === 'admin');
  // A count, not admins(): status() asks on every change the UI hears about.
  const setupNeeded = () => storage.accounts.countWithRole('admin') === 0;

  /** The user name as typed, prepared (RFC 7622), or the reason it is not allowed. */
  const prepareUsername = (typed: string): { ok: true; username: string } | { ok: false; error: string } => {
    const suffix = `@${config.domain}`;
    const local = typed.toLowerCase().endsWith(suffix) ? typed.slice(0, -suffix.length) : typed;
    const username = prepareLocalpart(local);
    return username ? { ok: true, username } : { ok: false, error: describeBadUsername(local) };
  };

  /** The settings saved in the file (what applies after a restart), or the running ones without a file. */
  const savedSettings = (): { ok: true; settings: Settings; raw: Record<string, unknown> } | { ok: false; error: string } => {
    const file = readConfigFile(configFile, config.dataDir);
    if (!file.ok) return file;
    return { ok: true, settings: file.config ? settingsOf(file.config) : settingsOf(config), raw: file.raw };
  };
  const restartRequired = (saved: Settings) => !sameSettings(saved, settingsOf(config));
  const settingsResult = (settings: Settings) => ({
    settings,
    configFile,
    restartRequired: restartRequired(settings),
    domainEditable: setupNeeded(),
  });

  /** Closes every session of the account (deleted, or its password changed). */
  const signOut = (username: string, reason: string) => {
    for (const session of sessions.sessionsOf(username)) session.close(new StreamError('not-authorized', reason));
  };

  const status = (): Status => {
    const base = context.serverStatus();
    const saved = savedSettings();
    const needsRestart = saved.ok && restartRequired(saved.settings);
    const expiresAt = certificateExpiry(context.certificate.cert);
    const needed = setupNeeded();
    const warnings: Warning[] = [];
    if (needed) warnings.push({ id: 'setup-needed', severity: 'info', message: 'Finish the setup: Hearth has no admin account yet.' });
    if (context.certs) {
      // Self-signed, expiring, expired, renewal failed: the service knows which apply.
      warnings.push(...context.certs.warnings());
    } else if (context.certificate.selfSigned) {
      warnings.push({
        id: 'self-signed-certificate',
        severity: 'warning',
        message:
          'Hearth uses a self-signed certificate. Conversations and Gajim ask you to accept it once (compare the fingerprint); Monal and Siskin on iPhone need a certificate from a public authority.',
      });
    } else if (expiresAt !== undefined && expiresAt - Date.now() < 14 * 86_400_000) {
      warnings.push({ id: 'certificate-expiring', severity: 'warning', message: `The certificate expires on ${new Date(expiresAt).toISOString().slice(0, 10)}: renew it before then.` });
    }
    if (config.registration.open) {
      warnings.push({ id: 'registration-open', severity: 'warning', message: 'Anyone who can reach this server can create an account (open registration is on).' });
    }
    if (!isLoopback(config.adminBind)) {
      warnings.push({ id: 'admin-exposed', severity: 'warning', message: `The admin page listens on ${config.adminBind}, not only on this computer.` });
    }
    if (config.log.level === 'debug') {
      // Debug lines may carry message content and other people's addresses (issue 11): say so while it is on.
      warnings.push({
        id: 'debug-logging',
        severity: 'warning',
        message: 'Debug logging is on: the log can hold message content and other people’s addresses. Set the log level back to info when you are done.',
      });
    }
    if (needsRestart) warnings.push({ id: 'restart-required', severity: 'info', message: 'Some saved settings take effect when Hearth restarts.' });
    if (!saved.ok) warnings.push({ id: 'config-file', severity: 'warning', message: saved.error });
    const tor = context.tor?.status();
    if (tor?.enabled && (tor.state === 'failed' || tor.state === 'restarting') && tor.lastError) {
      warnings.push({ id: 'tor', severity: 'warning', message: `Tor: ${tor.lastError}` });
    }
    const mapping = context.portMapping?.status();
    if (mapping?.enabled && mapping.state === 'failed' && mapping.lastError) {
      warnings.push({ id: 'port-mapping', severity: 'warning', message: `Port mapping: ${mapping.lastError}` });
    }
    const federation = context.federation?.();
    if (federation?.enabled && federation.insecureDomains.length > 0) {
      warnings.push({
        id: 's2s-insecure-domains',
        severity: 'warning',
        message: `Federation accepts invalid certificates (self-signed, expired or for another name) from ${federation.insecureDomains.join(', ')} (s2s.insecureDomains): anyone able to intercept the connection could pose as ${federation.insecureDomains.length === 1 ? 'that server' : 'those servers'}.`,
      });
    }
    const fingerprint = certificateFingerprint(context.certificate.cert);
    return {
      ...base,
      lanAddresses: lanAddresses(),
      ...(lanDiscoveryOff(config) === undefined ? { lanHostName: lanHostName() } : {}),
      ...(fingerprint !== undefined ? { certificateFingerprint: fingerprint } : {}),
      certificate: {
        selfSigned: context.certificate.selfSigned,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(context.certs ? { source: context.certs.currentSource, renewalFailed: context.certs.renewalFailed } : {}),
      },
      setupNeeded: needed,
      restartRequired: needsRestart,
      canRestart: context.restart !== undefined,
      warnings,
      ...(tor ? { tor } : {}),
      ...(federation ? { federation } : {}),
    };
  };

  const hub = new ControlEventHub({ events, status, statusIntervalMs: context.statusIntervalMs });
  const stopForwardingTor = forwardTorEvents(context.tor, hub);
  const stopForwardingCertificates = forwardCertificateEvents(context.certs, hub);
  const stopForwardingPortMapping = forwardPortMappingEvents(context.portMapping, hub);

  const handlers: { [N in RequestName]: Handler<N> } = {
    status: () => ok(status()),

    'users.list': () => ok(storage.accounts.list().map(toUser)),

    'users.add': ({ username: typed, password, role }) => {
      const name = prepareUsername(typed);
      if (!name.ok) return name;
      if (storage.accounts.exists(name.username)) return fail(`there is already a user named ${name.username}`);
      if (storage.invites.isReserved(name.username)) return fail(`the name ${name.username} is kept for someone who was invited: choose another, or withdraw that invitation`);
      const secret = password ?? generatePassword();
      const prepared = preparePassword(secret);
      if (!prepared.ok) return fail(prepared.reason);
      if (!storage.accounts.create(name.username, prepared.prepared, role)) return fail(`there is already a user named ${name.username}`);
      log.info(`an account was added from the admin UI (${role})`);
      events.fire('user-created', { username: name.username });
      return ok({ user: toUser(storage.accounts.get(name.username)!), ...(password === undefined ? { generatedPassword: secret } : {}) });
    },

    'users.remove': ({ username: typed }) => {
      const name = prepareUsername(typed);
      if (!name.ok) return name;
      const account = storage.accounts.get(name.username);
      if (!account) return fail(`there is no user named ${name.username}`);
      if (account.role === 'admin' && admins().length === 1) return fail(`${name.username} is the only admin: make someone else an admin first`);
      storage.accounts.delete(name.username);
      log.info('an account was deleted from the admin UI');
      // Modules drop what they stored for the account, and main.ts closes its sessions.
      events.fire('user-deleted', { username: name.username });
      return ok({ username: name.username });
    },

    'users.setPassword': ({ username: typed, password }) => {
      const name = prepareUsername(typed);
      if (!name.ok) return name;
      if (!storage.accounts.exists(name.username)) return fail(`there is no user named ${name.username}`);
      const secret = password ?? generatePassword();
      const prepared = preparePassword(secret);
      if (!prepared.ok) return fail(prepared.reason);
      storage.accounts.setPassword(name.username, prepared.prepared);
      // A reset is often for a lost phone: devices signed in with the old password sign in again.
      signOut(name.username, 'the password was changed');
      hub.changed();
      return ok({ username: name.username, ...(password === undefined ? { generatedPassword: secret } : {}) });
    },

    'users.setRole': ({ username: typed, role }) => {
      const name = prepareUsername(typed);
      if (!name.ok) return name;
      const account = storage.accounts.get(name.username);
      if (!account) return fail(`there is no user named ${name.username}`);
      if (account.role === 'admin' && role !== 'admin' && admins().length === 1) {
        return fail(`${name.username} is the only admin: make someone else an admin first`);
      }
      storage.accounts.setRole(name.username, role);
      hub.changed();
      return ok({ user: toUser(storage.accounts.get(name.username)!) });
    },

    'settings.get': () => {
      const saved = savedSettings();
      if (!saved.ok) return saved;
      return ok(settingsResult(saved.settings));
    },

    'settings.set': (change) => {
      const saved = savedSettings();
      if (!saved.ok) return saved;
      const next = { ...change };
      if (change.domain !== undefined) {
        const domain = prepareDomainpart(change.domain);
        if (!domain) return fail(describeBadDomain(change.domain));
        if (domain === saved.settings.domain) delete next.domain;
        else if (!setupNeeded()) return fail('the domain can only be chosen during setup: changing it later would change the address of everyone on this server');
        else next.domain = domain;
      }
      const changed = (Object.keys(next) as Array<keyof Settings>).filter((key) => next[key] !== saved.settings[key]);
      if (changed.length === 0) return ok({ ...settingsResult(saved.settings), changed });
      // A new file pins the running domain: a later change of host name must not move everyone's address.
      const base = Object.keys(saved.raw).length === 0 && next.domain === undefined ? { domain: config.domain } : saved.raw;
      const written = saveConfigFile(configFile, applySettingsChange(base, next), config.dataDir);
      if (!written.ok) return fail(`the settings were not saved: ${written.error}`);
      log.info(`settings saved (${changed.join(', ')}); they apply at the next start`);
      hub.changed();
      return ok({ ...settingsResult(settingsOf(written.config)), changed });
    },

    'setup.status': () =>
      ok({ needed: setupNeeded(), domain: config.domain, hostname: hostname(), lanAddresses: lanAddresses(), registeredUsers: storage.accounts.count() }),

    'setup.complete': ({ domain: typedDomain, username: typed, password, household }) => {
      const existing = admins()[0];
      if (existing) return fail(`setup is already done: ${existing.username} is an admin. Add more people on the Users page.`);
      const domain = prepareDomainpart(typedDomain);
      if (!domain) return fail(describeBadDomain(typedDomain));
      const name = prepareUsername(typed);
      if (!name.ok) return name;
      if (storage.accounts.exists(name.username)) return fail(`there is already a user named ${name.username}: choose another name for the admin`);
      const circleName = prepareCircleName(household ?? 'Family');
      if (!circleName.ok) return fail(circleName.reason);
      const secret = password ?? generatePassword();
      const prepared = preparePassword(secret);
      if (!prepared.ok) return fail(prepared.reason);

      // The domain is saved first: if that fails, nothing has changed yet.
      const file = readConfigFile(configFile, config.dataDir);
      if (!file.ok) return file;
      if (file.raw.domain !== domain) {
        const written = saveConfigFile(configFile, applySettingsChange(file.raw, { domain }), config.dataDir);
        if (!written.ok) return fail(`the domain was not saved: ${written.error}`);
      }
      storage.accounts.create(name.username, prepared.prepared, 'admin');
      log.info('setup complete: the first admin account was created');
      events.fire('user-created', { username: name.username });
      // The household's circle, with its group chat. With a new domain the circles module sets
      // them up at the next start, where the addresses are the new ones.
      const restarting = domain !== config.domain;
      const existingCircle = storage.circles.byName(circleName.name);
      if (!existingCircle) createCircle({ storage, events }, circleName.name, [name.username], true, !restarting);
      else if (storage.circles.addMember(existingCircle.id, name.username) && !restarting) events.fire('circle-member-added', { circleId: existingCircle.id, username: name.username });
      const user = { ...toUser(storage.accounts.get(name.username)!), jid: `${name.username}@${domain}` };
      return ok({ user, domain, restartRequired: domain !== config.domain, ...(password === undefined ? { generatedPassword: secret } : {}) });
    },

    'server.restart': () => {
      const restart = context.restart;
      if (!restart) return fail('this Hearth cannot restart itself: stop it and start it again');
      log.info('restarting, as asked from the admin UI');
      // Later, so the answer reaches the UI before the listeners close.
      setTimeout(restart, 100).unref();
      return ok({ restarting: true as const });
    },

    ...torHandlers({ tor: context.tor, config, configFile, log }),

    ...portMappingHandlers({ portMapping: context.portMapping, config, configFile, log }),

    ...inviteHandlers({
      config,
      storage,
      log,
      prepareUsername,
      // The landing pages are on the HTTPS listener, at its real port.
      publicUrl: () => publicBaseUrl(config.domain, context.serverStatus().listeners.find((l) => l.name === 'https')?.port ?? config.ports.https, config.http.publicUrl),
    }),
    ...circleHandlers({ config, storage, events, log, prepareUsername }),

    ...certsHandlers(context.certs),

    ...storageHandlers({ config, configFile, storage, events, log }),

    ...privacyHandlers({
      config,
      held: context.privacyHeld,
      statementUrl: () => `${publicBaseUrl(config.domain, context.serverStatus().listeners.find((l) => l.name === 'https')?.port ?? config.ports.https, config.http.publicUrl)}${privacyPath}`,
    }),
  };

  return {
    hub,
    async request(name, input) {
      if (typeof name !== 'string' || !isRequestName(name)) return fail(`there is no request named ${String(name)}`);
      const parsed = requestSchemas[name].safeParse(input ?? {});
      if (!parsed.success) return fail(describeValidationError(parsed.error));
      try {
        return await (handlers[name] as (input: unknown) => ControlResult<never> | Promise<ControlResult<never>>)(parsed.data);
      } catch (error) {
        // Expected failures are results; an exception is a bug. Say so, keep serving.
        log.error(`the control request ${name} failed`, error);
        const message = `Hearth could not do that (${name}): ${(error as Error).message}. The log has the details.`;
        hub.emit('error', { message });
        return fail(message);
      }
    },
    subscribe<E extends EventName>(event: E, listener: (payload: ControlEvents[E]) => void) {
      return hub.subscribe(event, listener);
    },
    close() {
      stopForwardingTor();
      stopForwardingCertificates();
      stopForwardingPortMapping();
      hub.close();
    },
  };
}

const excludedInUsernames = ['"', '&', "'", '/', ':', '<', '>', '@'];

export function describeBadUsername(typed: string): string {
  if (/\s/u.test(typed)) return 'that user name is not allowed: spaces cannot be used (try alice or alice.smith)';
  const bad = [...new Set([...typed].filter((c) => excludedInUsernames.includes(c)))];
  if (bad.length > 0) return `that user name is not allowed: ${bad.join(' ')} cannot be used`;
  if (Buffer.byteLength(typed) > 1023) return 'that user name is too long';
  return 'that user name is not allowed: use letters, digits and simple punctuation such as . - _';
}

export function describeBadDomain(typed: string): string {
  return `"${typed}" is not a valid domain name: use letters, digits, hyphens and dots, such as kitchen-pc or chat.smith.family`;
}

function sameSettings(a: Settings, b: Settings): boolean {
  return (Object.keys(a) as Array<keyof Settings>).every((key) => a[key] === b[key]);
}

/** SHA-256 of the (first) certificate, as colon-separated hex: what a phone shows to compare. */
function certificateFingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

function certificateExpiry(pem: string): number | undefined {
  try {
    return new Date(new X509Certificate(pem).validTo).getTime();
  } catch {
    return undefined;
  }
}

function isLoopback(bind: string): boolean {
  return bind === '127.0.0.1' || bind === '::1' || bind === 'localhost';
}

export { lanAddresses } from '../net/lan.js';
