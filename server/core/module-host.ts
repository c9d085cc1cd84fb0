// The module API (DESIGN.md). The core parses, authenticates, binds, validates and routes;
// every feature is a module that hooks events and declares what it offers in disco.
import { Element } from 'ltx';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { StanzaError } from '../util/errors.js';
import { parseJid, type Jid } from '../util/jid.js';
import type { Logger } from '../util/log.js';
import type { HttpRoute, HttpRoutes, UpgradeHandler } from '../net/http-server.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { DiscoIdentity, DiscoRegistry } from './disco-registry.js';
import type { EventBus } from './event-bus.js';
import type { EventMap, EventName } from './events.js';
import { RegistrationThrottle } from './registration-throttle.js';
import type { Router } from './router.js';
import type { SessionManager } from './sessions.js';
import type { ArchiveStore } from './storage/archive.js';
import type { KeyValueStore } from './storage/keyval.js';
import type { Storage } from './storage/index.js';

export interface ModuleDefinition {
  name: string;
  setup(mod: ModuleApi): void;
}

export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}

export interface ModuleApi {
  readonly name: string;
  /** The server's domain. */
  readonly host: string;
  readonly config: Config;
  readonly log: Logger;
  readonly storage: Storage;
  readonly sessions: SessionManager;
  /** What every host declared for service discovery (read it; declare through addFeature etc.). */
  readonly disco: DiscoRegistry;
  /** Higher priority runs first; returning a value stops the event. */
  hook<K extends EventName>(event: K, handler: (payload: EventMap[K]) => unknown, priority?: number): void;
  fire<K extends EventName>(event: K, payload: EventMap[K]): unknown;
  addFeature(feature: string, jid?: string): void;
  addIdentity(identity: DiscoIdentity, jid?: string): void;
  addExtension(form: Element, jid?: string): void;
  addItem(item: { jid: string; name?: string }, jid?: string): void;
  /**
   * Serves `host` (e.g. conference.<domain>) as a component: stanzas to it and to addresses at it
   * fire the `component/...` events instead of bouncing as remote. Declare its disco identity and
   * features with `jid` = host, and list it in the server's items with addItem.
   */
  addComponent(host: string): void;
  /** The module's own stores, named `<module>/<name>` in the database. */
  store(name: string, kind: 'keyval'): KeyValueStore;
  store(name: string, kind: 'archive'): ArchiveStore;
  /** Runs `job` once shortly after start and then every 24 hours (retention work). */
  daily(name: string, job: () => void): void;
  /** Routes a stanza from the server. */
  send(stanza: Element): void;
  /** Sends an iq get/set from the server and resolves with the result (rejects with the error). */
  sendIq(stanza: Element, timeoutMs?: number): Promise<Element>;
  onStop(cleanup: () => void): void;
  /** The HTTPS side (net/http-server.ts): routes on the shared listeners, and the URL clients reach them at. */
  readonly http: ModuleHttpApi;
  /**
   * Time for work that waits days (upload slots and their expiry): the system clock, or one a test
   * moves by hand (ServerOptions.uploads.clock), so expiry is tested without waiting.
   */
  readonly clock: Clock;
  /**
   * New accounts per network address (issue 11), one count for every way of registering: ask it
   * before making an account and tell it after. Addresses stay in its memory only.
   */
  readonly registrationThrottle: RegistrationThrottle;
}

export interface ModuleHttpApi {
  route(route: HttpRoute): void;
  upgrade(path: string, handler: UpgradeHandler): void;
  /** The HTTPS base URL without a trailing slash (known once the listeners run; call it per request). */
  publicUrl(): string;
}

export interface ModuleHostContext {
  config: Config;
  log: Logger;
  storage: Storage;
  sessions: SessionManager;
  events: EventBus<EventMap>;
  disco: DiscoRegistry;
  router: Router;
  http: HttpRoutes;
  publicUrl: () => string;
  /** Default: the system clock. */
  clock?: Clock | undefined;
  /** Default: one from registration.maxPerAddressPerHour and auth.exemptLoopback. */
  registrationThrottle?: RegistrationThrottle | undefined;
}

const dailyMs = 24 * 60 * 60 * 1000;

export class ModuleHost {
  private readonly cleanups: Array<() => void> = [];
  private readonly pendingIqs = new Map<string, { to: string; resolve(e: Element): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly registrationThrottle: RegistrationThrottle;

  constructor(private readonly context: ModuleHostContext) {
    this.registrationThrottle =
      context.registrationThrottle ??
      new RegistrationThrottle({ maxPerAddressPerHour: context.config.registration.maxPerAddressPerHour, exemptLoopback: context.config.auth.exemptLoopback });
    // Answers to mod.sendIq come back addressed to the server itself, or to the account a module
    // sent from (XEP-0357 publishes from the user's bare JID).
    for (const target of ['iq/host', 'iq/bare'] as const) {
      context.events.on(target, ({ stanza, from }) => this.settleIq(stanza, from), 1000);
    }
  }

  load(definitions: ModuleDefinition[]): void {
    for (const definition of definitions) definition.setup(this.api(definition.name));
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0).reverse()) cleanup();
    for (const [id, pending] of this.pendingIqs) {
      clearTimeout(pending.timer);
      pending.reject(new Error('server stopping'));
      this.pendingIqs.delete(id);
    }
  }

  private settleIq(stanza: Element, from: Jid): true | undefined {
    const type = stanza.attrs.type;
    if (type !== 'result' && type !== 'error') return undefined;
    const pending = this.pendingIqs.get(stanza.attrs.id);
    // Only the entity the request went to may answer it (RFC 6120 §8.2.3: same id, addresses swapped).
    if (!pending || pending.to !== from.toString()) return undefined;
    this.pendingIqs.delete(stanza.attrs.id);
    clearTimeout(pending.timer);
    if (type === 'result') pending.resolve(stanza);
    else {
      const condition = stanza.getChild('error')?.children.find((c): c is Element => typeof c !== 'string')?.name;
      pending.reject(new StanzaError((condition as StanzaError['condition']) ?? 'undefined-condition'));
    }
    return true;
  }

  private api(name: string): ModuleApi {
    const { config, storage, sessions, events, disco, router } = this.context;
    const log = this.context.log.child(name);
    const domain = config.domain;
    const cleanups = this.cleanups;
    const pendingIqs = this.pendingIqs;
    return {
      name,
      host: domain,
      config,
      log,
      storage,
      sessions,
      disco,
      hook(event, handler, priority) {
        cleanups.push(events.on(event, handler, priority));
      },
      fire: (event, payload) => events.fire(event, payload),
      addFeature: (feature, jid = domain) => disco.addFeature(jid, feature),
      addIdentity: (identity, jid = domain) => disco.addIdentity(jid, identity),
      addExtension: (form, jid = domain) => disco.addExtension(jid, form),
      addItem: (item, jid = domain) => disco.addItem(jid, item),
      addComponent(host) {
        router.addComponent(host);
        cleanups.push(() => router.removeComponent(host));
      },
      store: ((storeName: string, kind: 'keyval' | 'archive') =>
        kind === 'archive' ? storage.archive(`${name}/${storeName}`) : storage.keyval(`${name}/${storeName}`)) as ModuleApi['store'],
      daily(jobName, job) {
        const run = () => {
          try {
            job();
          } catch (error) {
            log.error(`daily job ${jobName} failed`, error);
          }
        };
        const first = setTimeout(run, 1000).unref();
        const every = setInterval(run, dailyMs).unref();
        cleanups.push(() => {
          clearTimeout(first);
          clearInterval(every);
        });
      },
      send: (stanza) => router.route(stanza, undefined),
      sendIq(stanza, timeoutMs = 30_000) {
        if (!stanza.attrs.id) stanza.attrs.id = randomBytes(8).toString('hex');
        if (!stanza.attrs.from) stanza.attrs.from = domain;
        const id = stanza.attrs.id as string;
        return new Promise<Element>((resolve, reject) => {
          const timer = setTimeout(() => {
            pendingIqs.delete(id);
            reject(new StanzaError('remote-server-timeout'));
          }, timeoutMs).unref();
          pendingIqs.set(id, { to: parseJid(stanza.attrs.to ?? domain)?.toString() ?? '', resolve, reject, timer });
          router.route(stanza, undefined);
        });
      },
      onStop: (cleanup) => cleanups.push(cleanup),
      http: {
        route: (route) => cleanups.push(this.context.http.add(route)),
        upgrade: (path, handler) => cleanups.push(this.context.http.addUpgrade(path, handler)),
        publicUrl: () => this.context.publicUrl(),
      },
      clock: this.context.clock ?? systemClock,
      registrationThrottle: this.registrationThrottle,
    };
  }
}
