// One router, whichever protocol it speaks: the service (port-mapping-service.ts) asks it for
// its public address and to map, renew and delete TCP ports, and never needs to know whether
// that is NAT-PMP (RFC 6886) or UPnP IGD underneath. openRouter() turns portMapping.gateway
// into one, or, with no gateway set, tries what discovery found.
import type { PortMappingProtocol } from '../../control/contract.js';
import { parseGatewayAddress, type GatewayAddress } from './gateway-address.js';
import { NatPmpClient, natPmpPort } from './nat-pmp.js';
import { UpnpIgdClient } from './upnp-igd.js';

export type RouterResult<T> = { ok: true; value: T } | { ok: false; error: string; noAnswer?: boolean };

export interface RouterMapping {
  externalPort: number;
  /** What the router granted; 0: permanent (some UPnP routers keep only those). */
  lifetimeSeconds: number;
  /** NAT-PMP: the router's mapping table restarted since the last answer (RFC 6886 §3.6), so every mapping must be made again. */
  routerRestarted?: boolean;
}

export interface Router {
  readonly protocol: 'upnp' | 'nat-pmp';
  /** The router's LAN address (NAT-PMP) or description address (UPnP), for the admin page only. */
  readonly address: string;
  externalAddress(): Promise<RouterResult<string>>;
  map(internalPort: number, externalPort: number, lifetimeSeconds: number, description: string): Promise<RouterResult<RouterMapping>>;
  unmap(internalPort: number, externalPort: number): Promise<RouterResult<void>>;
  close(): void;
}

export interface RouterTimeouts {
  /** NAT-PMP's first wait and number of tries (RFC 6886 §3.1: 250 ms, 9). */
  natPmpInitialMs?: number;
  natPmpAttempts?: number;
  /** Each UPnP HTTP request. */
  upnpMs?: number;
}

/** Finds routers on the network (discovery.ts); tests give their own or none. */
export type DiscoverRouters = (protocol: PortMappingProtocol) => Promise<{ candidates: GatewayAddress[]; problems: string[] }>;

class NatPmpRouter implements Router {
  readonly protocol = 'nat-pmp' as const;
  private lastEpoch: { epoch: number; at: number } | undefined;

  constructor(
    private readonly client: NatPmpClient,
    private readonly now: () => number,
  ) {}

  get address(): string {
    return this.client.host;
  }

  async externalAddress(): Promise<RouterResult<string>> {
    const answer = await this.client.externalAddress();
    if (!answer.ok) return answer;
    this.restarted(answer.value.epoch);
    return { ok: true, value: answer.value.address };
  }

  async map(internalPort: number, externalPort: number, lifetimeSeconds: number): Promise<RouterResult<RouterMapping>> {
    const answer = await this.client.map(internalPort, externalPort, lifetimeSeconds);
    if (!answer.ok) return answer;
    const routerRestarted = this.restarted(answer.value.epoch);
    return { ok: true, value: { externalPort: answer.value.externalPort, lifetimeSeconds: answer.value.lifetimeSeconds, ...(routerRestarted ? { routerRestarted } : {}) } };
  }

  unmap(internalPort: number): Promise<RouterResult<void>> {
    return this.client.unmap(internalPort);
  }

  close(): void {
    this.client.close();
  }

  /**
   * RFC 6886 §3.6: the epoch counts seconds since the router's mapping table started. If it is
   * below what the time passed since the last answer predicts (with 1/8 slack and 2 s), the
   * router restarted and lost the mappings (§3.7: the client makes them again).
   */
  private restarted(epoch: number): boolean {
    const now = this.now();
    const last = this.lastEpoch;
    this.lastEpoch = { epoch, at: now };
    if (!last) return false;
    const elapsedSeconds = (now - last.at) / 1000;
    return epoch < last.epoch + (elapsedSeconds * 7) / 8 - 2;
  }
}

class UpnpRouter implements Router {
  readonly protocol = 'upnp' as const;

  constructor(private readonly client: UpnpIgdClient) {}

  get address(): string {
    return this.client.location.href;
  }

  externalAddress(): Promise<RouterResult<string>> {
    return this.client.externalAddress();
  }

  map(internalPort: number, externalPort: number, lifetimeSeconds: number, description: string): Promise<RouterResult<RouterMapping>> {
    return this.client.map(internalPort, externalPort, lifetimeSeconds, description);
  }

  unmap(_internalPort: number, externalPort: number): Promise<RouterResult<void>> {
    return this.client.unmap(externalPort);
  }

  close(): void {
    // Each UPnP request is its own HTTP connection: nothing stays open.
  }
}

export interface OpenRouterOptions {
  protocol: PortMappingProtocol;
  gateway: string | undefined;
  timeouts?: RouterTimeouts;
  now: () => number;
  discover: DiscoverRouters;
}

/** The router to use, after it answered a first question (its public address). */
export async function openRouter(options: OpenRouterOptions): Promise<RouterResult<{ router: Router; publicAddress: string }>> {
  if (options.gateway !== undefined) {
    const address = parseGatewayAddress(options.gateway);
    // The config schema already refused such a value; no address in the message (it may reach the log).
    if (!address) return { ok: false, error: 'portMapping.gateway is neither an IPv4 address nor an http:// address' };
    if (options.protocol !== 'auto' && options.protocol !== address.protocol) {
      return { ok: false, error: address.protocol === 'upnp' ? 'portMapping.gateway is a UPnP address but portMapping.protocol is nat-pmp' : 'for UPnP, portMapping.gateway must be the http:// address of the router\'s description' };
    }
    return tryGateway(address, options);
  }
  const found = await options.discover(options.protocol);
  const problems = [...found.problems];
  for (const candidate of found.candidates) {
    if (options.protocol !== 'auto' && candidate.protocol !== options.protocol) continue;
    const opened = await tryGateway(candidate, options);
    if (opened.ok) return opened;
    problems.push(opened.error);
  }
  const which = options.protocol === 'upnp' ? 'UPnP' : options.protocol === 'nat-pmp' ? 'NAT-PMP' : 'UPnP or NAT-PMP';
  return {
    ok: false,
    noAnswer: true,
    error: `no router on the network answered ${which}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}. Check that UPnP or NAT-PMP is switched on in the router's settings, or set portMapping.gateway`,
  };
}

async function tryGateway(address: GatewayAddress, options: OpenRouterOptions): Promise<RouterResult<{ router: Router; publicAddress: string }>> {
  const timeouts = options.timeouts ?? {};
  if (address.protocol === 'nat-pmp') {
    const client = new NatPmpClient({ host: address.host, port: address.port ?? natPmpPort, initialTimeoutMs: timeouts.natPmpInitialMs, attempts: timeouts.natPmpAttempts });
    const router = new NatPmpRouter(client, options.now);
    const probe = await router.externalAddress();
    if (!probe.ok) {
      router.close();
      return probe;
    }
    return { ok: true, value: { router, publicAddress: probe.value } };
  }
  const connected = await UpnpIgdClient.connect(address.location, timeouts.upnpMs ?? 5000);
  if (!connected.ok) return connected;
  return { ok: true, value: { router: new UpnpRouter(connected.value.client), publicAddress: connected.value.externalAddress } };
}
