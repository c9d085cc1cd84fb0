// Finding another server (RFC 6120 §3.2 and XEP-0368 §3): the SRV records of
// _xmpps-server._tcp.<domain> (TLS from the first byte) and _xmpp-server._tcp.<domain> (STARTTLS),
// in the order RFC 2782 gives them; without any, the domain itself on port 5269 (§3.2.2). The DNS
// side is an interface so tests can point it at their own DNS server.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface S2sResolver {
  /** SRV records of `name`; empty when there are none (NXDOMAIN or no data). Rejects when DNS fails. */
  srv(name: string): Promise<SrvRecord[]>;
  /** IPv6 and IPv4 addresses of `host`. Rejects when there are none. */
  addresses(host: string): Promise<ResolvedAddress[]>;
}

/** Where to connect, in order of preference. */
export interface ConnectTarget {
  host: string;
  port: number;
  /** XEP-0368: TLS from the first byte (ALPN xmpp-server) instead of STARTTLS. */
  directTls: boolean;
}

/** RFC 6120 §3.2.2 (and IANA): the server-to-server port when DNS says nothing. */
export const defaultS2sPort = 5269;

const notFound = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME']);

/**
 * The system's resolver: SRV records through node:dns, addresses through getaddrinfo (which also
 * reads /etc/hosts, as families with LAN peers expect). With `servers`, both ask those DNS servers
 * ("127.0.0.1:5353") instead.
 */
export function systemResolver(servers?: string[]): S2sResolver {
  const resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
  if (servers) resolver.setServers(servers);
  return {
    async srv(name) {
      try {
        return await resolver.resolveSrv(name);
      } catch (error) {
        if (notFound.has((error as NodeJS.ErrnoException).code ?? '')) return [];
        throw error;
      }
    },
    async addresses(host) {
      if (isIP(host) !== 0) return [{ address: host, family: isIP(host) as 4 | 6 }];
      if (!servers) {
        const found = await dns.lookup(host, { all: true, verbatim: true });
        return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
      }
      const [v6, v4] = await Promise.allSettled([resolver.resolve6(host), resolver.resolve4(host)]);
      const found: ResolvedAddress[] = [
        ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
        ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ];
      if (found.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' });
      return found;
    },
  };
}

/**
 * The targets for `domain`: both SRV services merged by priority, direct TLS first among equals
 * (XEP-0368 §3), weighted order inside a priority (RFC 2782); a lone "." target means the service
 * is decidedly not offered (RFC 2782). Undefined when the domain says it has no XMPP server at all.
 */
export async function resolveTargets(resolver: S2sResolver, domain: string, random: () => number = Math.random): Promise<ConnectTarget[] | undefined> {
  const ascii = domainToASCII(domain) || domain;
  const [direct, starttls] = await Promise.all([resolver.srv(`_xmpps-server._tcp.${ascii}`), resolver.srv(`_xmpp-server._tcp.${ascii}`)]);
  const directRefused = isServiceRefusal(direct);
  const starttlsRefused = isServiceRefusal(starttls);
  if (directRefused && starttlsRefused) return undefined;
  const records = [
    ...(directRefused ? [] : direct.map((record) => ({ ...record, directTls: true }))),
    ...(starttlsRefused ? [] : starttls.map((record) => ({ ...record, directTls: false }))),
  ];
  // §3.2.2: no usable SRV record: the domain itself. A refusal of STARTTLS alone leaves only direct TLS.
  if (records.length === 0) return starttlsRefused ? [] : [{ host: ascii, port: defaultS2sPort, directTls: false }];
  const ordered: ConnectTarget[] = [];
  const priorities = [...new Set(records.map((record) => record.priority))].sort((a, b) => a - b);
  for (const priority of priorities) {
    const group = records.filter((record) => record.priority === priority);
    for (const directTls of [true, false]) {
      for (const record of weightedOrder(group.filter((r) => r.directTls === directTls), random)) {
        ordered.push({ host: record.name.replace(/\.$/, ''), port: record.port, directTls });
      }
    }
  }
  return ordered;
}

function isServiceRefusal(records: SrvRecord[]): boolean {
  return records.length === 1 && (records[0]!.name === '.' || records[0]!.name === '');
}

/** RFC 2782 "Usage rules": repeatedly pick one with probability proportional to its weight. */
export function weightedOrder<T extends { weight: number }>(records: T[], random: () => number): T[] {
  // Zero weights go first so they keep a small chance, as the RFC asks.
  const pool = [...records].sort((a, b) => a.weight - b.weight);
  const ordered: T[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, record) => sum + record.weight, 0);
    const pick = Math.floor(random() * (total + 1));
    let running = 0;
    let index = pool.findIndex((record) => (running += record.weight) >= pick);
    if (index < 0) index = pool.length - 1;
    ordered.push(pool.splice(index, 1)[0]!);
  }
  return ordered;
}
