// "host:port" as an administrator writes it in the config (s2s.routes): a host name, an IPv4
// address or a bracketed IPv6 address (RFC 3986 §3.2.2), a colon, and a port from 1 to 65535.
import { isIP } from 'node:net';

export interface HostPort {
  /** The host name (lower-cased) or the IP address, without brackets. */
  host: string;
  port: number;
}

const hostName = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined) return isIP(match[1]) === 6 ? { host: match[1].toLowerCase(), port } : undefined;
  const host = match[2]!.toLowerCase();
  if (isIP(host) === 4 || hostName.test(host)) return { host, port };
  return undefined;
}
