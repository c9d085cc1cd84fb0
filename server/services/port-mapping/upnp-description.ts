// The router's UPnP device description (UPnP Device Architecture 1.1 §2.3): the root device and
// its embedded devices, each with a service list. Port mappings are made through a WAN
// connection service (UPnP IGD: WANIPConnection:1 or :2, or WANPPPConnection:1 on DSL routers
// that dial PPPoE), at its controlURL. Control URLs must stay on the router that served the
// description: a description pointing Hearth at some other host is not followed.
import { child, descendants, parseXml } from './xml-tree.js';

export const wanConnectionServices = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

const deviceNamespace = 'urn:schemas-upnp-org:device-1-0';

export interface WanConnectionService {
  serviceType: (typeof wanConnectionServices)[number];
  controlUrl: URL;
}

export type DescriptionRead = { ok: true; services: WanConnectionService[]; friendlyName?: string } | { ok: false; error: string };

/** The WAN connection services in the description, the most capable first. */
export function readDescription(xml: string, location: URL): DescriptionRead {
  const parsed = parseXml(xml);
  if (!parsed.ok) return parsed;
  const root = parsed.root;
  if (root.name !== 'root' || root.uri !== deviceNamespace) return { ok: false, error: 'the address does not lead to a UPnP device description' };
  // URLBase is UDA 1.0's; UDA 1.1 §2.3 resolves relative URLs against the description's own address.
  const baseText = child(root, 'URLBase')?.text;
  const base = baseText && URL.canParse(baseText) ? new URL(baseText) : location;
  const services: WanConnectionService[] = [];
  for (const service of descendants(root, 'service')) {
    const serviceType = child(service, 'serviceType')?.text as WanConnectionService['serviceType'] | undefined;
    const control = child(service, 'controlURL')?.text;
    if (!serviceType || !wanConnectionServices.includes(serviceType) || !control || !URL.canParse(control, base.href)) continue;
    const controlUrl = new URL(control, base);
    if (controlUrl.protocol !== 'http:' || controlUrl.hostname !== location.hostname) continue;
    services.push({ serviceType, controlUrl });
  }
  services.sort((a, b) => wanConnectionServices.indexOf(a.serviceType) - wanConnectionServices.indexOf(b.serviceType));
  if (services.length === 0) {
    return { ok: false, error: 'the router describes itself over UPnP but offers no port mapping service (WANIPConnection or WANPPPConnection)' };
  }
  const friendlyName = child(child(root, 'device'), 'friendlyName')?.text;
  return { ok: true, services, ...(friendlyName ? { friendlyName } : {}) };
}
