// Which way a server-to-server connection goes, from the tor.federation policy (after Prosody's
// mod_onions): 'clearnet' never uses Tor, 'onions' reaches *.onion servers through Tor's SOCKS
// port and everything else directly, 'all' sends every federation connection through Tor.
// The s2s dialer asks this before it connects (and dials with socks-client.ts); an onion server
// cannot be reached without Tor.

export const federationPolicies = ['clearnet', 'onions', 'all'] as const;
export type FederationPolicy = (typeof federationPolicies)[number];

export type FederationRoute =
  | { via: 'direct' }
  | { via: 'tor'; socks: { host: string; port: number } }
  /** Not reachable as things are; `reason` says why, for the bounce and the log. */
  | { via: 'none'; reason: string };

export function isOnionDomain(domain: string): boolean {
  return /\.onion\.?$/i.test(domain);
}

/**
 * The route to `domain`. `socks` is Tor's SOCKS endpoint while Hearth's tor runs, undefined when
 * Tor is off or not up yet.
 */
export function federationRoute(domain: string, policy: FederationPolicy, socks: { host: string; port: number } | undefined): FederationRoute {
  const onion = isOnionDomain(domain);
  const wantsTor = onion ? policy !== 'clearnet' : policy === 'all';
  if (!wantsTor) return onion ? { via: 'none', reason: 'onion servers are not reached with tor.federation "clearnet"' } : { via: 'direct' };
  if (!socks) return { via: 'none', reason: 'Tor is not running, so this server cannot be reached through it' };
  return { via: 'tor', socks };
}
