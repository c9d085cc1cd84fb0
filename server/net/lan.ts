// Where this computer is on the home network: its LAN addresses and its multicast DNS name.
// Phones that cannot resolve the server's domain use these (the dashboard, the invite page).
import { hostname, networkInterfaces } from 'node:os';

/** This computer's IPv4 LAN addresses: what a phone can use when it cannot resolve the domain. */
export function lanAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) addresses.push(entry.address);
    }
  }
  return addresses;
}

/**
 * The name this computer answers to with multicast DNS (RFC 6762): its host name's first label
 * in the .local domain ("Kitchen-PC" -> kitchen-pc.local). Characters DNS labels cannot hold become "-".
 */
export function lanHostName(name: string = hostname()): string {
  const label =
    (name.split('.')[0] ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'hearth';
  return `${label}.local`;
}

/** Whether a listen address (`bind`) is loopback only, so nothing else on the network can connect. */
export function isLoopbackBind(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || /^127\./.test(bind);
}
