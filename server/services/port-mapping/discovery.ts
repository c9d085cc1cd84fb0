// Finding the router when portMapping.gateway is not set, in production only: NAT-PMP goes to
// the default gateway (RFC 6886 §3: "the client sends its request to its default gateway"),
// which default-gateway reads from the system's routing table on Linux, macOS and Windows; UPnP
// routers answer an SSDP M-SEARCH (UPnP Device Architecture 1.1 §1.3.2) multicast on the home
// network, sent with @achingbrain/ssdp. An IGD:2 router also answers a search for IGD:1 (UDA
// §1.3.2: devices answer searches for every version up to theirs), so one search finds both.
// Both libraries are loaded only here, only when needed. Under the test runner nothing is
// sent: tests give their responder's address and never reach a real network.
import type { PortMappingProtocol } from '../../control/contract.js';
import type { GatewayAddress } from './gateway-address.js';
import type { DiscoverRouters } from './router.js';

const internetGatewayDevice = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
const ssdpMulticast = { address: '239.255.255.250', port: 1900 };

export function systemDiscovery(searchMs = 3000): DiscoverRouters {
  return async (protocol: PortMappingProtocol) => {
    if (process.env.VITEST) return { candidates: [], problems: ['routers are not searched for under the test runner; set portMapping.gateway'] };
    const candidates: GatewayAddress[] = [];
    const problems: string[] = [];
    if (protocol !== 'upnp') {
      try {
        const { gateway4async } = await import('default-gateway');
        const { gateway } = await gateway4async();
        candidates.push({ protocol: 'nat-pmp', host: gateway, port: undefined });
      } catch {
        problems.push('this computer has no default gateway');
      }
    }
    if (protocol !== 'nat-pmp') {
      const found = await searchSsdp(searchMs);
      if (found.ok) candidates.push(...found.locations.map((location) => ({ protocol: 'upnp' as const, location })));
      else problems.push(found.error);
    }
    return { candidates, problems };
  };
}

async function searchSsdp(searchMs: number): Promise<{ ok: true; locations: URL[] } | { ok: false; error: string }> {
  const { default: ssdp } = await import('@achingbrain/ssdp');
  let bus: Awaited<ReturnType<typeof ssdp>> | undefined;
  const locations: URL[] = [];
  try {
    // An ephemeral port: answers to a search come back to it by unicast, and port 1900 may be taken.
    bus = await ssdp({ cache: false, sockets: [{ type: 'udp4', bind: { address: '0.0.0.0', port: 0 }, broadcast: ssdpMulticast, maxHops: 4 }] });
    bus.on('error', () => {
      // A device whose description cannot be fetched: others may still answer.
    });
    const signal = AbortSignal.timeout(searchMs);
    for await (const service of bus.discover({ serviceType: internetGatewayDevice, signal })) {
      if (service.location.protocol !== 'http:' || locations.some((l) => l.href === service.location.href)) continue;
      locations.push(service.location);
    }
  } catch (error) {
    if ((error as Error).name !== 'AbortError') return { ok: false, error: `the search for UPnP routers failed (${(error as Error).message})` };
  } finally {
    await bus?.stop().catch(() => {});
  }
  return locations.length > 0 ? { ok: true, locations } : { ok: false, error: 'no UPnP router answered the search' };
}
