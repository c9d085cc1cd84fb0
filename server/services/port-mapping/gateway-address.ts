// portMapping.gateway as the admin writes it: the router's IPv4 address for NAT-PMP
// ("192.168.1.1", with ":port" to reach another port than 5351, as the tests do), or for UPnP
// the address of its device description ("http://192.168.1.1:5000/rootDesc.xml", which the
// router's own pages or a UPnP tool show). Pure: the config schema checks values with it.
import { isIP } from 'node:net';

export type GatewayAddress = { protocol: 'nat-pmp'; host: string; port: number | undefined } | { protocol: 'upnp'; location: URL };

export function parseGatewayAddress(text: string): GatewayAddress | undefined {
  const value = text.trim();
  if (/^http:\/\//i.test(value)) {
    if (!URL.canParse(value)) return undefined;
    const location = new URL(value);
    return location.hostname ? { protocol: 'upnp', location } : undefined;
  }
  // NAT-PMP is IPv4 only (RFC 6886 §1; its IPv6 successor is PCP, RFC 6887).
  if (isIP(value) === 4) return { protocol: 'nat-pmp', host: value, port: undefined };
  const withPort = /^([\d.]+):(\d{1,5})$/.exec(value);
  if (!withPort) return undefined;
  const host = withPort[1]!;
  const port = Number(withPort[2]);
  if (port < 1 || port > 65535 || isIP(host) !== 4) return undefined;
  return { protocol: 'nat-pmp', host, port };
}
