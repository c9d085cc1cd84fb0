// Router port mapping: while portMapping.enabled is on, the home router is asked (UPnP IGD or
// NAT-PMP, router.ts) to forward the chosen listeners' ports (c2s, c2sTls, s2s, https) to this
// computer, and to say its public address. Mappings are renewed halfway through the lifetime
// the router granted (RFC 6886 §3.3: "the client SHOULD begin trying to renew the mapping
// halfway to expiry time"; UPnP leases the same way), made again when a NAT-PMP router shows
// it restarted (§3.7), and deleted when Hearth stops or the switch goes off (§3.4; UPnP
// DeletePortMapping). A router that does not answer is asked again later, each wait doubling.
// Everything the UI shows comes from status(); each change goes to onChange listeners. Logs
// name ports and protocols, never addresses (the router's public address is for the UI only).
import type { MappedListener, PortMappingPort, PortMappingProtocol, PortMappingStatus, ReachabilityReport } from '../../control/contract.js';
import { mappedListeners } from '../../control/contract.js';
import type { Logger } from '../../util/log.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { addressKind } from './address-kind.js';
import { openRouter, type DiscoverRouters, type Router, type RouterTimeouts } from './router.js';
import { acceptsConnections, buildReport } from './self-test.js';

export interface PortMappingSettings {
  enabled: boolean;
  protocol: PortMappingProtocol;
  gateway?: string | undefined;
  ports: MappedListener[];
  lifetimeSeconds: number;
}

export interface ListenerPort {
  name: string;
  address: string;
  port: number;
}

export interface PortMappingServiceOptions {
  settings: PortMappingSettings;
  /** The server's listeners with their real ports. */
  listeners(): ReadonlyArray<ListenerPort>;
  log: Logger;
  clock?: Clock;
  /** Finds routers when portMapping.gateway is unset (discovery.ts in production). */
  discover: DiscoverRouters;
  timeouts?: RouterTimeouts;
  /** How often due renewals and retries are looked for (default 15 s). */
  tickMs?: number;
  /** How long a switch or a self-test waits for the router before answering (default 10 s); the rest follows as events. */
  answerWithinMs?: number;
  /** How long stopping may take to delete the mappings (default 3 s); the router drops them at their lifetime's end anyway. */
  stopWithinMs?: number;
}

export type PortMappingResult = { ok: true } | { ok: false; error: string };

interface Entry {
  internalPort: number;
  state: 'pending' | 'mapped' | 'failed';
  externalPort?: number;
  lifetimeSeconds?: number;
  expiresAt?: number;
  renewAt?: number;
  error?: string;
  failures: number;
  retryAt?: number;
}

const minuteMs = 60_000;

/** 1, 2, 4 … minutes, at most 30. */
function backoffMs(failures: number): number {
  return Math.min(30 * minuteMs, minuteMs * 2 ** Math.max(0, failures - 1));
}

export class PortMappingService {
  private settings: PortMappingSettings;
  private readonly clock: Clock;
  private router: Router | undefined;
  private discovered = false;
  private publicAddress: string | undefined;
  private state: PortMappingStatus['state'] = 'off';
  private lastError: string | undefined;
  private routerFailures = 0;
  private nextAttemptAt: number | undefined;
  private readonly entries = new Map<MappedListener, Entry>();
  private readonly changeListeners = new Set<(status: PortMappingStatus) => void>();
  /** Every conversation with the router runs one after another. */
  private queue: Promise<void> = Promise.resolve();
  private maintaining: Promise<void> | undefined;
  private stopTicking: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: PortMappingServiceOptions) {
    this.settings = { ...options.settings, ports: [...options.settings.ports] };
    this.clock = options.clock ?? systemClock;
  }

  status(): PortMappingStatus {
    const listeners = this.options.listeners();
    const ports = mappedListeners.map((name): PortMappingPort => {
      const listener = listeners.find((l) => l.name === name);
      const entry = this.entries.get(name);
      if (!listener) return { name, internalPort: 0, state: 'unavailable' };
      if (!this.settings.enabled || !this.settings.ports.includes(name) || !entry) return { name, internalPort: listener.port, state: this.settings.enabled && this.settings.ports.includes(name) ? 'pending' : 'off' };
      return {
        name,
        internalPort: entry.internalPort,
        state: entry.state,
        ...(entry.externalPort !== undefined && entry.state === 'mapped' ? { externalPort: entry.externalPort } : {}),
        ...(entry.lifetimeSeconds !== undefined && entry.state === 'mapped' ? { lifetimeSeconds: entry.lifetimeSeconds } : {}),
        ...(entry.expiresAt !== undefined && entry.state === 'mapped' ? { expiresAt: entry.expiresAt } : {}),
        ...(entry.renewAt !== undefined && entry.state === 'mapped' ? { renewAt: entry.renewAt } : {}),
        ...(entry.error !== undefined && entry.state === 'failed' ? { error: entry.error } : {}),
      };
    });
    const kind = this.publicAddress === undefined ? undefined : addressKind(this.publicAddress);
    return {
      enabled: this.settings.enabled,
      protocol: this.settings.protocol,
      chosenPorts: [...this.settings.ports],
      state: this.state,
      ...(this.router ? { router: { protocol: this.router.protocol, address: this.router.address, discovered: this.discovered } } : {}),
      ...(this.publicAddress !== undefined ? { publicAddress: this.publicAddress } : {}),
      ...(kind !== undefined && kind !== 'invalid' ? { publicAddressKind: kind } : {}),
      ports,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.nextAttemptAt !== undefined && this.state === 'failed' ? { nextAttemptAt: this.nextAttemptAt } : {}),
    };
  }

  onChange(listener: (status: PortMappingStatus) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Starts the schedule; with the switch on, the router is asked at once (not awaited by the server). */
  start(): Promise<void> {
    this.stopTicking ??= this.clock.every(this.options.tickMs ?? 15_000, () => void this.maintain());
    return this.maintain();
  }

  /** Switches mapping on or off, or changes the ports, at once; answers within answerWithinMs. */
  async setOptions(change: { enabled?: boolean | undefined; ports?: MappedListener[] | undefined }): Promise<PortMappingResult> {
    if (this.closed) return { ok: false, error: 'Hearth is stopping' };
    if (change.enabled !== undefined) this.settings.enabled = change.enabled;
    if (change.ports !== undefined) this.settings.ports = [...change.ports];
    if (change.enabled === true) {
      // Switched on by hand: ask the router now rather than after the last backoff.
      this.nextAttemptAt = undefined;
      this.routerFailures = 0;
    }
    await this.within(this.maintain());
    return { ok: true };
  }

  /** The reachability self-test (self-test.ts), with a fresh answer from the router. */
  async selfTest(): Promise<ReachabilityReport> {
    if (this.settings.enabled && !this.router) {
      this.nextAttemptAt = undefined;
      await this.within(this.maintain());
    }
    let probe: { ok: true; publicAddress: string } | { ok: false; error: string } | undefined;
    if (this.settings.enabled) {
      const router = this.router;
      if (router) {
        const answer = await this.within(this.enqueue(async () => {
          const result = await router.externalAddress();
          if (result.ok) this.publicAddress = result.value;
          probe = result.ok ? { ok: true, publicAddress: result.value } : { ok: false, error: result.error };
        }));
        if (answer === 'late') probe = { ok: false, error: 'the router did not answer in time' };
      } else {
        probe = { ok: false, error: this.lastError ?? 'no router answered' };
      }
    }
    const listeners = this.options.listeners();
    const listening: Partial<Record<MappedListener, boolean>> = {};
    await Promise.all(
      this.settings.ports.map(async (name) => {
        const listener = listeners.find((l) => l.name === name);
        listening[name] = listener ? await acceptsConnections(listener.address, listener.port) : false;
      }),
    );
    this.emit();
    return buildReport({ testedAt: this.clock.now(), status: this.status(), probe, listening });
  }

  /** Deletes the mappings (bounded in time) and stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking?.();
    this.stopTicking = undefined;
    const stopWithin = this.options.stopWithinMs ?? 3000;
    if (this.router) {
      this.state = 'stopping';
      this.emit();
    }
    await this.within(this.queue, stopWithin);
    const router = this.router;
    if (router) {
      await this.within(this.removeMappings(router, [...this.entries.keys()]), stopWithin);
      router.close();
    }
    this.router = undefined;
    this.entries.clear();
    this.state = 'off';
    this.changeListeners.clear();
  }

  /** One pass: find the router, map what is missing, renew what is due, delete what is no longer wanted. */
  private maintain(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.maintaining ??= this.enqueue(() => this.maintainNow()).finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  private async maintainNow(): Promise<void> {
    if (this.closed) return;
    const before = JSON.stringify(this.status());
    try {
      if (!this.settings.enabled) {
        await this.switchOff();
        return;
      }
      const router = this.router ?? (await this.findRouter());
      if (!router) return;
      await this.removeMappings(router, [...this.entries.keys()].filter((name) => !this.wanted(name)));
      await this.mapDue(router);
      if (this.router) this.state = this.overallState();
    } finally {
      if (JSON.stringify(this.status()) !== before) this.emit();
    }
  }

  private async switchOff(): Promise<void> {
    const router = this.router;
    if (router) {
      await this.removeMappings(router, [...this.entries.keys()]);
      router.close();
      this.options.log.info('port mapping is off: the router no longer forwards any port to Hearth');
    }
    this.router = undefined;
    this.entries.clear();
    this.publicAddress = undefined;
    this.lastError = undefined;
    this.nextAttemptAt = undefined;
    this.routerFailures = 0;
    this.state = 'off';
  }

  private async findRouter(): Promise<Router | undefined> {
    const now = this.clock.now();
    if (this.nextAttemptAt !== undefined && now < this.nextAttemptAt) return undefined;
    if (this.state === 'off') {
      this.state = 'starting';
      this.emit();
    }
    const opened = await openRouter({
      protocol: this.settings.protocol,
      gateway: this.settings.gateway,
      timeouts: this.options.timeouts,
      now: () => this.clock.now(),
      discover: this.options.discover,
    });
    if (this.closed) {
      if (opened.ok) opened.value.router.close();
      return undefined;
    }
    if (!opened.ok) {
      this.routerFailures += 1;
      this.lastError = opened.error;
      this.nextAttemptAt = this.clock.now() + backoffMs(this.routerFailures);
      this.state = 'failed';
      this.options.log.warn(`port mapping: ${opened.error}`);
      return undefined;
    }
    this.router = opened.value.router;
    this.discovered = this.settings.gateway === undefined;
    this.publicAddress = opened.value.publicAddress;
    this.routerFailures = 0;
    this.nextAttemptAt = undefined;
    this.lastError = undefined;
    this.options.log.info(`port mapping: the router answers ${this.router.protocol === 'upnp' ? 'UPnP' : 'NAT-PMP'}`);
    return this.router;
  }

  private async mapDue(router: Router): Promise<void> {
    const listeners = this.options.listeners();
    let renewed = false;
    for (let pass = 0; pass < 2; pass += 1) {
      let restarted = false;
      for (const name of this.settings.ports) {
        const listener = listeners.find((l) => l.name === name);
        if (!listener) continue;
        const now = this.clock.now();
        let entry = this.entries.get(name);
        if (!entry || entry.internalPort !== listener.port) {
          entry = { internalPort: listener.port, state: 'pending', failures: 0 };
          this.entries.set(name, entry);
        }
        const due =
          entry.state === 'pending' ||
          (entry.state === 'mapped' && entry.renewAt !== undefined && entry.renewAt <= now) ||
          (entry.state === 'failed' && (entry.retryAt === undefined || entry.retryAt <= now));
        if (!due) continue;
        const wasMapped = entry.state === 'mapped';
        // RFC 6886 §3.3: a renewal asks for the external port the router gave last time.
        const result = await router.map(entry.internalPort, entry.externalPort ?? entry.internalPort, this.settings.lifetimeSeconds, `Hearth ${name}`);
        if (this.closed || this.router !== router) return;
        const at = this.clock.now();
        if (!result.ok) {
          entry.state = 'failed';
          entry.error = result.error;
          entry.failures += 1;
          entry.retryAt = at + backoffMs(entry.failures);
          this.options.log.warn(`port mapping: the router did not forward ${name} (port ${entry.internalPort}): ${result.error}`);
          if (result.noAnswer) {
            // The router went away: look for it again later, and map everything anew then.
            this.dropRouter(result.error);
            return;
          }
          continue;
        }
        const lifetime = result.value.lifetimeSeconds;
        Object.assign(entry, {
          state: 'mapped',
          externalPort: result.value.externalPort,
          lifetimeSeconds: lifetime,
          expiresAt: lifetime > 0 ? at + lifetime * 1000 : undefined,
          renewAt: lifetime > 0 ? at + (lifetime * 1000) / 2 : undefined,
          error: undefined,
          failures: 0,
          retryAt: undefined,
        });
        if (wasMapped) renewed = true;
        else this.options.log.info(`port mapping: the router forwards ${name} (port ${entry.internalPort}), for ${lifetime > 0 ? `${lifetime} s` : 'good'}`);
        if (result.value.routerRestarted) restarted = true;
      }
      if (!restarted) break;
      // RFC 6886 §3.7: the router restarted and forgot the mappings; make the others again at once.
      this.options.log.info('port mapping: the router restarted; making the mappings again');
      for (const entry of this.entries.values()) if (entry.state === 'mapped') entry.renewAt = this.clock.now();
    }
    if (renewed) {
      // The public address may change with a new lease from the provider: ask again at each renewal.
      const address = await router.externalAddress();
      if (address.ok && this.router === router) this.publicAddress = address.value;
    }
  }

  private async removeMappings(router: Router, names: MappedListener[]): Promise<void> {
    for (const name of names) {
      const entry = this.entries.get(name);
      this.entries.delete(name);
      if (!entry || entry.state !== 'mapped' || entry.externalPort === undefined) continue;
      const result = await router.unmap(entry.internalPort, entry.externalPort);
      if (result.ok) this.options.log.info(`port mapping: the router no longer forwards ${name} (port ${entry.internalPort})`);
      else this.options.log.warn(`port mapping: the mapping for ${name} was not deleted (${result.error}); it ends with its lifetime`);
    }
  }

  private dropRouter(error: string): void {
    this.router?.close();
    this.router = undefined;
    for (const entry of this.entries.values()) Object.assign(entry, { state: 'pending', externalPort: undefined, expiresAt: undefined, renewAt: undefined });
    this.routerFailures += 1;
    this.lastError = error;
    this.nextAttemptAt = this.clock.now() + backoffMs(this.routerFailures);
    this.state = 'failed';
  }

  private wanted(name: MappedListener): boolean {
    return this.settings.ports.includes(name) && this.options.listeners().some((l) => l.name === name);
  }

  private overallState(): PortMappingStatus['state'] {
    const wanted = this.settings.ports.filter((name) => this.wanted(name));
    const mapped = wanted.filter((name) => this.entries.get(name)?.state === 'mapped');
    if (mapped.length === wanted.length) return 'mapped';
    if (mapped.length > 0) return 'partial';
    return wanted.some((name) => this.entries.get(name)?.state === 'failed') ? 'failed' : 'starting';
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    // Never rejects: an exception here is a bug, logged, and must not stop the next step.
    const next = this.queue.then(task, task).catch((error: unknown) => this.options.log.error('port mapping failed unexpectedly', error));
    this.queue = next;
    return next;
  }

  /** Waits for `work`, but no longer than `ms`: 'late' if it is still going on. */
  private within(work: Promise<unknown>, ms = this.options.answerWithinMs ?? 10_000): Promise<'done' | 'late'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('late'), ms);
      const finish = () => {
        clearTimeout(timer);
        resolve('done');
      };
      work.then(finish, finish);
    });
  }

  private emit(): void {
    const status = this.status();
    for (const listener of [...this.changeListeners]) {
      try {
        listener(status);
      } catch {
        // A broken listener must not stop the others.
      }
    }
  }
}
