// The reachability self-test: per port, whether Hearth listens here, whether the router answered
// and holds the mapping, and whether the router's public address can be reached from outside at
// all (not a private or carrier-grade NAT one), in words for the admin.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKind } from '../../../../server/services/port-mapping/address-kind.js';
import { PortMappingService } from '../../../../server/services/port-mapping/port-mapping-service.js';
import { silentLogger } from '../../../../server/util/log.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { NatPmpResponder } from '../../../support/nat-pmp-responder.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function setup(options: { externalAddress?: string; enabled?: boolean; silent?: boolean } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const responder = await NatPmpResponder.start({ externalAddress: options.externalAddress ?? '81.2.69.160', now: () => clock.now() });
  cleanups.push(() => responder.close());
  if (options.silent) responder.silent = true;
  const listeners = [
    { name: 'c2s', address: '127.0.0.1', port: await listen() },
    // Nothing listens on this one: the listener is down.
    { name: 'c2sTls', address: '127.0.0.1', port: await freePort() },
  ];
  const mapping = new PortMappingService({
    settings: { enabled: options.enabled ?? true, protocol: 'nat-pmp', gateway: responder.gateway, ports: ['c2s', 'c2sTls'], lifetimeSeconds: 7200 },
    listeners: () => listeners,
    log: silentLogger,
    clock,
    discover: async () => ({ candidates: [], problems: [] }),
    timeouts: { natPmpInitialMs: 20, natPmpAttempts: 2 },
  });
  cleanups.push(() => mapping.close());
  await mapping.start();
  return { mapping, responder, listeners };
}

describe('the reachability self-test', () => {
  it('reports per port: listening here, router answered, mapping made, public address', async () => {
    const { mapping, responder, listeners } = await setup();
    const before = responder.requests.length;
    const report = await mapping.selfTest();
    expect(responder.requests.slice(before).map((r) => r.op)).toEqual([0]); // asked the router afresh
    expect(report).toMatchObject({ enabled: true, routerAnswered: true, publicAddress: '81.2.69.160', publicAddressKind: 'public', suggestTor: false });
    expect(report.ports[0]).toEqual({
      name: 'c2s',
      internalPort: listeners[0]!.port,
      listening: true,
      routerAnswered: true,
      mapped: true,
      externalPort: listeners[0]!.port,
      lifetimeSeconds: 7200,
      verdict: 'open',
      message: `The router forwards port ${listeners[0]!.port} to Hearth's port ${listeners[0]!.port} (for 2 h more; Hearth renews it before then). As far as this computer can tell, it works from outside.`,
    });
    expect(report.ports[1]).toMatchObject({ name: 'c2sTls', listening: false, verdict: 'closed' });
    expect(report.ports[1]!.message).toBe(`Hearth does not accept connections on port ${listeners[1]!.port} on this computer, so nobody outside can reach it either.`);
    expect(report.summary).toMatch(/^1 of 2 ports work from outside as far as this computer can tell; c2sTls/);
  });

  it('says outside access is impossible behind carrier-grade NAT, and suggests Tor', async () => {
    const { mapping } = await setup({ externalAddress: '100.72.1.2' });
    const report = await mapping.selfTest();
    expect(report).toMatchObject({ publicAddressKind: 'shared', suggestTor: true });
    expect(report.ports[0]).toMatchObject({ mapped: true, verdict: 'closed' });
    expect(report.ports[0]!.message).toMatch(/but the router's own internet address, 100\.72\.1\.2, is a shared address of your internet provider \(carrier-grade NAT\)/);
    expect(report.summary).toMatch(/^Nobody outside can reach Hearth through this router: .* Use Tor instead \(the Tor page\)\.$/);
  });

  it('says another router is in front when the public address is a private one (RFC 1918)', async () => {
    const { mapping } = await setup({ externalAddress: '192.168.178.20' });
    const report = await mapping.selfTest();
    expect(report).toMatchObject({ publicAddressKind: 'private', suggestTor: true });
    expect(report.ports[0]!.message).toMatch(/another router \(often the internet provider's box\) sits in front of it/);
  });

  it('says the router did not answer, with why, and suggests Tor', async () => {
    const { mapping } = await setup({ silent: true });
    const report = await mapping.selfTest();
    expect(report).toMatchObject({ routerAnswered: false, suggestTor: true, routerError: expect.stringMatching(/did not answer NAT-PMP/) });
    expect(report.ports[0]).toMatchObject({ listening: true, mapped: false, verdict: 'unknown', message: expect.stringMatching(/^The router did not answer/) });
    expect(report.summary).toMatch(/^The router did not answer \(the router did not answer NAT-PMP/);
  });

  it('asks no router while port mapping is off, and says so', async () => {
    const { mapping, responder } = await setup({ enabled: false });
    const report = await mapping.selfTest();
    expect(responder.requests).toEqual([]);
    expect(report).toMatchObject({ enabled: false, routerAnswered: false, suggestTor: false });
    expect(report.ports[0]).toMatchObject({ listening: true, verdict: 'unknown', message: expect.stringMatching(/^Port mapping is off/) });
    expect(report.summary).toMatch(/^Port mapping is off\./);
  });
});

describe('kinds of public address', () => {
  it.each([
    ['81.2.69.160', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'none'],
    ['127.0.0.1', 'local'],
    ['169.254.3.4', 'local'],
    ['203.0.113.7', 'reserved'],
    ['fd00::1', 'private'],
    ['2a00:1450::1', 'public'],
    ['not an address', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });
});
