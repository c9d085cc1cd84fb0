// A UPnP Internet Gateway Device client: the router's description is fetched from the address
// given (portMapping.gateway) or found by SSDP (discovery.ts), then its WAN connection service
// is asked, by SOAP, for GetExternalIPAddress, AddPortMapping and DeletePortMapping (IGD
// WANIPConnection:1 and :2, WANPPPConnection:1; AddPortMapping is in both versions, so no
// AddAnyPortMapping is needed). A router of IGD version 1 that only keeps permanent mappings
// answers error 725 OnlyPermanentLeasesSupported: the mapping is then asked for without a
// lifetime, and deleted when Hearth stops.
import { readDescription, type WanConnectionService } from './upnp-description.js';
import { httpRequest } from './upnp-http.js';
import { soapCall } from './upnp-soap.js';

export interface UpnpMapping {
  externalPort: number;
  /** 0: permanent (the router keeps it until it is deleted). */
  lifetimeSeconds: number;
}

export type UpnpResult<T> = { ok: true; value: T } | { ok: false; error: string; noAnswer?: boolean };

/** UPnP IGD error codes (WANIPConnection:1 and :2) in words for the admin. */
const upnpErrors: Record<number, string> = {
  402: 'the router did not accept the request (invalid arguments)',
  501: 'the router could not make the mapping (action failed)',
  606: 'the router does not allow programs to change port mappings (UPnP may be read-only or switched off in its settings)',
  714: 'the router has no such mapping',
  715: 'the router does not accept mappings for a wildcard address',
  716: 'the router does not accept a wildcard external port',
  718: 'another device on the network already uses that external port on the router',
  724: 'the router only maps a port to the same port number',
  725: 'the router only keeps permanent mappings',
  726: 'the router does not accept a specific remote host',
  727: 'the router does not accept a specific external port',
  728: 'the router has no free ports left',
  729: 'the router refuses the mapping because of its other settings (firewall or forwarding rules)',
};

const onlyPermanentLeases = 725;
const noSuchEntry = 714;

export class UpnpIgdClient {
  private constructor(
    readonly location: URL,
    private readonly service: WanConnectionService,
    private readonly timeoutMs: number,
    /** This computer's address as the router sees it. */
    readonly localAddress: string,
    readonly friendlyName: string | undefined,
  ) {}

  /** Fetches the description and picks the first WAN connection service that knows its public address. */
  static async connect(location: URL, timeoutMs: number): Promise<UpnpResult<{ client: UpnpIgdClient; externalAddress: string }>> {
    const answer = await httpRequest(location, { timeoutMs, maxBytes: 128 * 1024 });
    if (!answer.ok) return { ok: false, noAnswer: true, error: answer.error };
    if (answer.value.status !== 200) return { ok: false, error: `the router answered HTTP ${answer.value.status} for its UPnP description` };
    const description = readDescription(answer.value.body, location);
    if (!description.ok) return description;
    let firstError: string | undefined;
    for (const service of description.services) {
      const client = new UpnpIgdClient(location, service, timeoutMs, answer.value.localAddress, description.friendlyName);
      // A DSL router lists both IP and PPP connections; only the one in use has an address.
      const probe = await client.externalAddress();
      if (probe.ok) return { ok: true, value: { client, externalAddress: probe.value } };
      if (probe.noAnswer) return probe;
      firstError ??= probe.error;
    }
    return { ok: false, error: firstError ?? 'the router offers no usable port mapping service' };
  }

  get serviceType(): string {
    return this.service.serviceType;
  }

  async externalAddress(): Promise<UpnpResult<string>> {
    const answer = await this.call('GetExternalIPAddress', []);
    if (!answer.ok) return answer;
    const address = answer.values.NewExternalIPAddress ?? '';
    if (address === '') return { ok: false, error: 'the router does not know its public address (it may not be connected to the internet)' };
    return { ok: true, value: address };
  }

  /** A TCP mapping from `externalPort` on the router to `internalPort` on this computer. */
  async map(internalPort: number, externalPort: number, lifetimeSeconds: number, description: string): Promise<UpnpResult<UpnpMapping>> {
    const add = (lease: number) =>
      this.call('AddPortMapping', [
        ['NewRemoteHost', ''],
        ['NewExternalPort', externalPort],
        ['NewProtocol', 'TCP'],
        ['NewInternalPort', internalPort],
        ['NewInternalClient', this.localAddress],
        ['NewEnabled', 1],
        ['NewPortMappingDescription', description],
        ['NewLeaseDuration', lease],
      ]);
    let answer = await add(lifetimeSeconds);
    if (!answer.ok && answer.upnpErrorCode === onlyPermanentLeases) {
      answer = await add(0);
      if (answer.ok) return { ok: true, value: { externalPort, lifetimeSeconds: 0 } };
    }
    if (!answer.ok) return answer;
    return { ok: true, value: { externalPort, lifetimeSeconds } };
  }

  /** Deletes the mapping; one the router no longer has (714) counts as deleted. */
  async unmap(externalPort: number): Promise<UpnpResult<void>> {
    const answer = await this.call('DeletePortMapping', [
      ['NewRemoteHost', ''],
      ['NewExternalPort', externalPort],
      ['NewProtocol', 'TCP'],
    ]);
    if (!answer.ok && answer.upnpErrorCode !== noSuchEntry) return answer;
    return { ok: true, value: undefined };
  }

  private async call(action: string, args: ReadonlyArray<readonly [string, string | number]>) {
    const answer = await soapCall(this.service.controlUrl, this.service.serviceType, action, args, this.timeoutMs);
    if (answer.ok || answer.upnpErrorCode === undefined) return answer;
    const words = upnpErrors[answer.upnpErrorCode];
    return words ? { ...answer, error: `${words} (UPnP error ${answer.upnpErrorCode})` } : answer;
  }
}
