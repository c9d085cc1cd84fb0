// The reachability self-test: what this computer can tell, without anything on the internet to
// ask, about whether people outside can reach each port. It checks that Hearth's listener
// accepts connections here, that the router answers now, that it holds the mapping (external
// port, lifetime), and what public address it reports. A private address (RFC 1918) means
// another router sits in front of this one; a shared one (RFC 6598, 100.64.0.0/10) means the
// internet provider puts many homes behind one address. Either way nobody outside gets in,
// whatever this router forwards, and Tor is the way. The words are for the admin page.
import { connect } from 'node:net';
import type { PortMappingPort, PortMappingStatus, PublicAddressKind, ReachabilityCheck, ReachabilityReport } from '../../control/contract.js';

export interface SelfTestFacts {
  testedAt: number;
  status: PortMappingStatus;
  /** The router's answer just now: its public address, or why it did not answer. Absent when there was no router to ask. */
  probe: { ok: true; publicAddress: string } | { ok: false; error: string } | undefined;
  /** Per listener: whether it accepts connections on this computer. */
  listening: Partial<Record<PortMappingPort['name'], boolean>>;
}

const outsideBlockedBy: Partial<Record<PublicAddressKind, (address: string) => string>> = {
  shared: (address) =>
    `the router's own internet address, ${address}, is a shared address of your internet provider (carrier-grade NAT): many homes are behind it, and nobody outside can reach this one, whatever the router forwards`,
  private: (address) =>
    `the router's own internet address, ${address}, is a private one: another router (often the internet provider's box) sits in front of it, and would have to forward the port too`,
  local: (address) => `the router reports ${address} as its internet address, which is not an internet address at all`,
  none: () => 'the router has no internet address yet: it may not be connected to the internet',
  reserved: (address) => `the router reports ${address} as its internet address, which is not one the internet can reach`,
};

export function buildReport(facts: SelfTestFacts): ReachabilityReport {
  const { status, probe } = facts;
  const routerAnswered = probe?.ok === true;
  // The status already holds what the router answered just now (the service updates it first).
  const publicAddress = status.publicAddress;
  const kind = status.publicAddressKind;
  const blocked = publicAddress && kind && kind !== 'public' ? outsideBlockedBy[kind]?.(publicAddress) : undefined;
  const chosen = status.ports.filter((port) => status.chosenPorts.includes(port.name));

  const ports = chosen.map((port): ReachabilityCheck => {
    const listening = facts.listening[port.name] === true;
    const mapped = status.enabled && port.state === 'mapped';
    const base = { name: port.name, internalPort: port.internalPort, listening, routerAnswered, mapped, ...(mapped ? mappedFields(port) : {}) };
    if (port.state === 'unavailable') return { ...base, verdict: 'closed', message: `Hearth has no ${port.name} listener (it is switched off in the settings), so there is nothing to reach.` };
    if (!listening) return { ...base, verdict: 'closed', message: `Hearth does not accept connections on port ${port.internalPort} on this computer, so nobody outside can reach it either.` };
    if (!status.enabled) {
      return { ...base, verdict: 'unknown', message: `Port mapping is off: Hearth has not asked the router to forward port ${port.internalPort}. Unless it was forwarded by hand in the router's settings, nobody outside can reach it.` };
    }
    if (!routerAnswered) return { ...base, verdict: 'unknown', message: `The router did not answer, so Hearth cannot tell whether it forwards port ${port.internalPort}.` };
    if (port.state === 'failed') return { ...base, verdict: 'closed', message: `The router did not forward port ${port.internalPort}: ${port.error ?? 'it refused'}.` };
    if (!mapped) return { ...base, verdict: 'unknown', message: `Hearth is still asking the router to forward port ${port.internalPort}.` };
    const forwards = `The router forwards port ${port.externalPort} to Hearth's port ${port.internalPort}${describeLifetime(port, facts.testedAt)}`;
    if (blocked) return { ...base, verdict: 'closed', message: `${forwards}, but ${blocked}.` };
    return { ...base, verdict: 'open', message: `${forwards}. As far as this computer can tell, it works from outside.` };
  });

  const suggestTor = (status.enabled && !routerAnswered) || kind === 'shared' || kind === 'private';
  return {
    testedAt: facts.testedAt,
    enabled: status.enabled,
    routerAnswered,
    ...(status.router ? { router: { protocol: status.router.protocol, address: status.router.address } } : {}),
    ...(probe && !probe.ok ? { routerError: probe.error } : {}),
    ...(publicAddress ? { publicAddress } : {}),
    ...(kind ? { publicAddressKind: kind } : {}),
    ports,
    summary: summarize(status, ports, routerAnswered, probe, publicAddress, blocked),
    suggestTor,
  };
}

function summarize(
  status: PortMappingStatus,
  ports: ReachabilityCheck[],
  routerAnswered: boolean,
  probe: SelfTestFacts['probe'],
  publicAddress: string | undefined,
  blocked: string | undefined,
): string {
  if (!status.enabled) return 'Port mapping is off. Switch it on to ask the router to forward the ports, or use Tor, which needs no router settings at all.';
  if (!routerAnswered) {
    const why = probe && !probe.ok ? probe.error : status.lastError;
    return `The router did not answer${why ? ` (${why})` : ''}. Check that UPnP or NAT-PMP is switched on in its settings. Tor reaches Hearth from outside without the router.`;
  }
  if (blocked) return `Nobody outside can reach Hearth through this router: ${blocked}. Use Tor instead (the Tor page).`;
  if (ports.length === 0) return 'No ports are chosen for port mapping.';
  const open = ports.filter((p) => p.verdict === 'open');
  if (open.length === ports.length) {
    return `As far as this computer can tell, all ${ports.length} ports work from outside: the router answered, forwards them, and has the public address ${publicAddress}. Only a device outside your home can prove it, such as a phone with Wi-Fi off.`;
  }
  const notOpen = ports.filter((p) => p.verdict !== 'open').map((p) => `${p.name} (${p.internalPort})`);
  return `${open.length} of ${ports.length} ports work from outside as far as this computer can tell; ${notOpen.join(', ')} ${notOpen.length === 1 ? 'does' : 'do'} not: see each port below.`;
}

function mappedFields(port: PortMappingPort): Pick<ReachabilityCheck, 'externalPort' | 'lifetimeSeconds'> {
  return { ...(port.externalPort !== undefined ? { externalPort: port.externalPort } : {}), ...(port.lifetimeSeconds !== undefined ? { lifetimeSeconds: port.lifetimeSeconds } : {}) };
}

function describeLifetime(port: PortMappingPort, now: number): string {
  if (port.lifetimeSeconds === 0) return ' (permanently, until Hearth stops)';
  if (port.expiresAt === undefined) return '';
  return ` (for ${formatDuration(port.expiresAt - now)} more; Hearth renews it before then)`;
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'less than a minute';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** Whether a listener accepts a TCP connection on this computer (its own address, or loopback when it listens everywhere). */
export function acceptsConnections(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const host = address === '0.0.0.0' || address === '' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
