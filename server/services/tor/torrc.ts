// The torrc Hearth writes before each start of its own tor process, and where tor keeps its
// files: everything under <dataDir>/tor, owner-only. The hidden-service directory (the onion
// key) is never rewritten, so the onion address stays the same across restarts.
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface TorPaths {
  /** <dataDir>/tor, mode 0700. */
  root: string;
  torrc: string;
  /** An empty defaults file, so no system-wide torrc-defaults changes what Hearth asked for. */
  defaultsTorrc: string;
  /** tor's DataDirectory (its state, consensus cache, control cookie). */
  dataDirectory: string;
  /** HiddenServiceDir: hs_ed25519_secret_key, hs_ed25519_public_key, hostname. Kept across restarts. */
  hiddenServiceDir: string;
  /** Where tor writes "PORT=127.0.0.1:N" of its control port (ControlPortWriteToFile). */
  controlPortFile: string;
  cookieFile: string;
  hostnameFile: string;
  secretKeyFile: string;
  publicKeyFile: string;
}

export function torPaths(dataDir: string): TorPaths {
  const root = join(dataDir, 'tor');
  const dataDirectory = join(root, 'data');
  const hiddenServiceDir = join(root, 'hidden-service');
  return {
    root,
    torrc: join(root, 'torrc'),
    defaultsTorrc: join(root, 'torrc-defaults'),
    dataDirectory,
    hiddenServiceDir,
    controlPortFile: join(root, 'control-port'),
    cookieFile: join(dataDirectory, 'control_auth_cookie'),
    hostnameFile: join(hiddenServiceDir, 'hostname'),
    secretKeyFile: join(hiddenServiceDir, 'hs_ed25519_secret_key'),
    publicKeyFile: join(hiddenServiceDir, 'hs_ed25519_public_key'),
  };
}

/** One onion port and the local listener it leads to. */
export interface HiddenServicePort {
  /** The port clients dial on the onion address (5222, 5223, 5269, 443). */
  virtualPort: number;
  host: string;
  port: number;
}

export interface TorrcOptions {
  paths: TorPaths;
  ports: HiddenServicePort[];
  /** 'auto' lets tor pick a free port; it is read back over the control port. */
  socksPort?: number | 'auto';
  controlPort?: number | 'auto';
  /** tor exits when this process is gone, even before Hearth has taken ownership over the control port. */
  owningPid?: number;
}

export function buildTorrc(options: TorrcOptions): string {
  const { paths } = options;
  const lines = [
    '# Written by Hearth each time it starts tor: changes made here are overwritten.',
    '# The onion key in HiddenServiceDir is kept; README.md, "Tor", says how to back it up.',
    `DataDirectory ${quote(paths.dataDirectory)}`,
    `SocksPort 127.0.0.1:${options.socksPort ?? 'auto'}`,
    `ControlPort 127.0.0.1:${options.controlPort ?? 'auto'}`,
    `ControlPortWriteToFile ${quote(paths.controlPortFile)}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${quote(paths.cookieFile)}`,
    // Hearth reads tor's notices from its standard output (bootstrap problems, errors).
    'Log notice stdout',
    `HiddenServiceDir ${quote(paths.hiddenServiceDir)}`,
    ...options.ports.map((p) => `HiddenServicePort ${p.virtualPort} ${hostPort(p.host, p.port)}`),
  ];
  if (options.owningPid !== undefined) lines.push(`__OwningControllerProcess ${options.owningPid}`);
  return `${lines.join('\n')}\n`;
}

/** The onion ports Hearth offers, and which of its listeners each leads to. */
export const onionPorts = [
  { virtualPort: 5222, listener: 'c2s' },
  { virtualPort: 5223, listener: 'c2sTls' },
  { virtualPort: 5269, listener: 's2s' },
  // Upload links and BOSH/WebSocket are https URLs: port 443 on the onion.
  { virtualPort: 443, listener: 'https' },
] as const;

/**
 * The hidden-service ports for the listeners that run (their real port, also when the config
 * said 0), else for the configured port; a listener with neither is left out.
 */
export function hiddenServicePorts(
  listeners: ReadonlyArray<{ name: string; address: string; port: number }>,
  configuredPorts: Readonly<Record<string, number>>,
  bind: string,
): HiddenServicePort[] {
  const ports: HiddenServicePort[] = [];
  for (const { virtualPort, listener } of onionPorts) {
    const running = listeners.find((l) => l.name === listener && l.port > 0);
    if (running) ports.push({ virtualPort, host: connectableAddress(running.address), port: running.port });
    else if ((configuredPorts[listener] ?? 0) > 0) ports.push({ virtualPort, host: connectableAddress(bind), port: configuredPorts[listener]! });
  }
  return ports;
}

/** Where tor on this computer reaches a listener bound to `address` ("every interface" is loopback). */
export function connectableAddress(address: string): string {
  if (address === '*' || address === '0.0.0.0' || address === '::' || address === '' || address === 'localhost') return '127.0.0.1';
  return isIP(address) !== 0 ? address : '127.0.0.1';
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A torrc value in double quotes, with backslashes and quotes escaped (paths with spaces, Windows). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
