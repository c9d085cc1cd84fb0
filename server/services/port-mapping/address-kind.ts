// What kind of address the router says it has on the internet side. Only a public address can
// be reached from outside: a private one (RFC 1918) means another router sits in front of this
// one, a shared one (RFC 6598, 100.64.0.0/10) means the internet provider puts many homes behind
// one address (carrier-grade NAT). Either way no port mapping on this router lets anyone in.
import { isIP } from 'node:net';
import type { PublicAddressKind } from '../../control/contract.js';

type Range = [base: number, bits: number, kind: PublicAddressKind];

const ipv4Ranges: Range[] = [
  [ipv4('10.0.0.0'), 8, 'private'], // RFC 1918
  [ipv4('172.16.0.0'), 12, 'private'],
  [ipv4('192.168.0.0'), 16, 'private'],
  [ipv4('100.64.0.0'), 10, 'shared'], // RFC 6598: carrier-grade NAT
  [ipv4('127.0.0.0'), 8, 'local'],
  [ipv4('169.254.0.0'), 16, 'local'], // RFC 3927 link-local
  [ipv4('0.0.0.0'), 8, 'none'],
  [ipv4('192.0.2.0'), 24, 'reserved'], // RFC 5737 documentation ranges
  [ipv4('198.51.100.0'), 24, 'reserved'],
  [ipv4('203.0.113.0'), 24, 'reserved'],
  [ipv4('198.18.0.0'), 15, 'reserved'], // RFC 2544 benchmarking
  [ipv4('224.0.0.0'), 3, 'reserved'], // multicast and class E
];

function ipv4(text: string): number {
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** The kind of an IPv4 or IPv6 address; `invalid` for anything else. */
export function addressKind(address: string): PublicAddressKind | 'invalid' {
  const family = isIP(address);
  if (family === 4) {
    const value = ipv4(address);
    for (const [base, bits, kind] of ipv4Ranges) {
      const size = 2 ** (32 - bits);
      if (value >= base && value < base + size) return kind;
    }
    return 'public';
  }
  if (family === 6) {
    const lower = address.toLowerCase();
    if (lower === '::') return 'none';
    if (lower === '::1' || /^fe[89ab]/.test(lower)) return 'local';
    if (/^f[cd]/.test(lower)) return 'private'; // RFC 4193 unique local
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return addressKind(mapped[1]!);
    if (lower.startsWith('2001:db8:')) return 'reserved';
    return 'public';
  }
  return 'invalid';
}

/** Whether people outside could reach this address at all. */
export function reachableFromOutside(kind: PublicAddressKind | 'invalid'): boolean {
  return kind === 'public';
}
