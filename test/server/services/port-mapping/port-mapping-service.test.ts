// The port mapping service against NAT-PMP and UPnP responders on 127.0.0.1, given directly as
// portMapping.gateway: the real client code maps the listeners' ports, renews them halfway
// through their lifetime (time moved by hand), makes them again after a router restart, and
// deletes them when switched off and on stop. Discovery is never the system's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MappedListener } from '../../../../server/control/contract.js';
import { PortMappingService, type PortMappingSettings } from '../../../../server/services/port-mapping/port-mapping-service.js';
import { systemDiscovery } from '../../../../server/services/port-mapping/discovery.js';
import type { DiscoverRouters } from '../../../../server/services/port-mapping/router.js';
import { silentLogger } from '../../../../server/util/log.js';
import { ManualClock } from '../../../support/manual-clock.js';
import { NatPmpResponder } from '../../../support/nat-pmp-responder.js';
import { UpnpIgdResponder } from '../../../support/upnp-igd-responder.js';

const listeners = [
  { name: 'c2s', address: '127.0.0.1', port: 15222 },
  { name: 'c2sTls', address: '127.0.0.1', port: 15223 },
  { name: 's2s', address: '127.0.0.1', port: 15269 },
  { name: 'https', address: '127.0.0.1', port: 15281 },
  { name: 'admin', address: '127.0.0.1', port: 15380 },
];

const noDiscovery: DiscoverRouters = async () => ({ candidates: [], problems: ['no discovery in this test'] });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function service(settings: Partial<PortMappingSettings>, clock: ManualClock, discover: DiscoverRouters = noDiscovery) {
  const mapping = new PortMappingService({
    settings: { enabled: true, protocol: 'auto', ports: ['c2s', 'c2sTls', 's2s', 'https'], lifetimeSeconds: 7200, ...settings },
    listeners: () => listeners,
    log: silentLogger,
    clock,
    discover,
    timeouts: { natPmpInitialMs: 20, natPmpAttempts: 3, upnpMs: 1000 },
    tickMs: 1000,
  });
  cleanups.push(() => mapping.close());
  return mapping;
}

async function natPmp(clock: ManualClock) {
  const responder = await NatPmpResponder.start({ now: () => clock.now() });
  cleanups.push(() => responder.close());
  return responder;
}

const mappedPorts = (mapping: PortMappingService) =>
  mapping
    .status()
    .ports.filter((p) => p.state === 'mapped')
    .map((p) => [p.name, p.externalPort]);

describe('port mapping with NAT-PMP', () => {
  it("maps the chosen listeners' ports and reports the router's public address", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway }, clock);
    await mapping.start();

    expect(responder.mappingRequests().map((r) => [r.internalPort, r.externalPort, r.lifetimeSeconds])).toEqual([
      [15222, 15222, 7200],
      [15223, 15223, 7200],
      [15269, 15269, 7200],
      [15281, 15281, 7200],
    ]);
    expect(responder.mappingRequests().every((r) => r.op === 2)).toBe(true); // TCP
    const status = mapping.status();
    expect(status).toMatchObject({ enabled: true, state: 'mapped', publicAddress: '203.0.113.7', publicAddressKind: 'reserved', router: { protocol: 'nat-pmp', address: '127.0.0.1', discovered: false } });
    expect(status.ports.find((p) => p.name === 'c2s')).toEqual({
      name: 'c2s',
      internalPort: 15222,
      state: 'mapped',
      externalPort: 15222,
      lifetimeSeconds: 7200,
      expiresAt: clock.now() + 7_200_000,
      renewAt: clock.now() + 3_600_000,
    });
  });

  it('maps only the ports chosen in portMapping.ports', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway, ports: ['c2s', 'https'] }, clock);
    await mapping.start();
    expect(responder.mappingRequests().map((r) => r.internalPort)).toEqual([15222, 15281]);
    expect(mapping.status().ports.find((p) => p.name === 's2s')?.state).toBe('off');
  });

  it('renews each mapping halfway through the lifetime the router granted (RFC 6886 §3.3)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await NatPmpResponder.start({ now: () => clock.now(), grantLifetime: () => 600 });
    cleanups.push(() => responder.close());
    const mapping = service({ gateway: responder.gateway, ports: ['c2s'] }, clock);
    await mapping.start();
    expect(responder.mappingRequests()).toHaveLength(1);

    clock.advance(200_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(responder.mappingRequests()).toHaveLength(1);

    clock.advance(101_000); // past 300 s, half of the 600 s granted
    await vi.waitFor(() => expect(responder.mappingRequests()).toHaveLength(2));
    expect(responder.mappingRequests()[1]).toMatchObject({ internalPort: 15222, externalPort: 15222, lifetimeSeconds: 7200 });
    await vi.waitFor(() => expect(mapping.status().ports[0]?.expiresAt).toBe(clock.now() + 600_000));
  });

  it('makes every mapping again when the router shows it restarted (§3.6, §3.7)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway, ports: ['c2s', 'c2sTls'] }, clock);
    await mapping.start();
    clock.advance(600_000);
    responder.restart();
    await mapping.setOptions({ ports: ['c2s', 'c2sTls', 'https'] }); // https is new: its answer shows the restart
    expect(responder.mappings.has(15222) && responder.mappings.has(15223) && responder.mappings.has(15281)).toBe(true);
    expect(mappedPorts(mapping)).toHaveLength(3);
  });

  it('deletes the mappings when Hearth stops (§3.4)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway }, clock);
    await mapping.start();
    expect(responder.mappings.size).toBe(4);
    await mapping.close();
    expect(responder.mappings.size).toBe(0);
    expect(responder.mappingRequests().slice(-4).map((r) => [r.internalPort, r.externalPort, r.lifetimeSeconds])).toEqual([
      [15222, 0, 0],
      [15223, 0, 0],
      [15269, 0, 0],
      [15281, 0, 0],
    ]);
  });

  it('deletes the mappings at once when switched off, and makes them again when switched on', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway }, clock);
    const changes: string[] = [];
    mapping.onChange((status) => changes.push(status.state));
    await mapping.start();
    await mapping.setOptions({ enabled: false });
    expect(responder.mappings.size).toBe(0);
    expect(mapping.status()).toMatchObject({ enabled: false, state: 'off' });
    expect(mapping.status().publicAddress).toBeUndefined();
    await mapping.setOptions({ enabled: true });
    expect(responder.mappings.size).toBe(4);
    expect(changes).toContain('off');
    expect(changes.at(-1)).toBe('mapped');
  });

  it('says clearly when the router does not answer, and asks again later', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    responder.silent = true;
    const mapping = service({ gateway: responder.gateway }, clock);
    await mapping.start();
    const status = mapping.status();
    expect(status.state).toBe('failed');
    expect(status.lastError).toMatch(/^the router did not answer NAT-PMP/);
    expect(status.nextAttemptAt).toBe(clock.now() + 60_000);
    expect(status.ports.find((p) => p.name === 'c2s')?.state).toBe('pending');

    responder.silent = false;
    clock.advance(61_000);
    await vi.waitFor(() => expect(mapping.status().state).toBe('mapped'));
    expect(mapping.status().lastError).toBeUndefined();
  });

  it('reports each port the router refuses, and keeps the others', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const mapping = service({ gateway: responder.gateway, protocol: 'nat-pmp', ports: ['c2s'] }, clock);
    responder.mappingResultCode = 4;
    await mapping.start();
    expect(mapping.status().state).toBe('failed');
    expect(mapping.status().ports[0]).toMatchObject({ state: 'failed', error: 'the router has no free ports left' });
  });
});

describe('port mapping with UPnP', () => {
  it('maps, renews and deletes through the SOAP actions', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await UpnpIgdResponder.start({ externalAddress: '100.64.12.34' });
    cleanups.push(() => responder.close());
    const mapping = service({ gateway: responder.gateway, protocol: 'upnp', ports: ['c2s', 's2s'], lifetimeSeconds: 3600 }, clock);
    await mapping.start();
    expect(responder.actionsNamed('AddPortMapping').map((a) => [a.args.NewExternalPort, a.args.NewInternalPort, a.args.NewProtocol, a.args.NewLeaseDuration])).toEqual([
      ['15222', '15222', 'TCP', '3600'],
      ['15269', '15269', 'TCP', '3600'],
    ]);
    expect(mapping.status()).toMatchObject({ state: 'mapped', publicAddress: '100.64.12.34', publicAddressKind: 'shared', router: { protocol: 'upnp', address: responder.gateway } });

    clock.advance(1_801_000);
    await vi.waitFor(() => expect(responder.actionsNamed('AddPortMapping')).toHaveLength(4));

    await mapping.close();
    expect(responder.actionsNamed('DeletePortMapping').map((a) => a.args.NewExternalPort)).toEqual(['15222', '15269']);
    expect(responder.mappings.size).toBe(0);
  });

  it('keeps permanent mappings of an IGD v1 router without renewing them', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await UpnpIgdResponder.start();
    cleanups.push(() => responder.close());
    responder.onlyPermanentLeases = true;
    const mapping = service({ gateway: responder.gateway, ports: ['c2s'] }, clock);
    await mapping.start();
    expect(mapping.status().ports[0]).toMatchObject({ state: 'mapped', lifetimeSeconds: 0 });
    expect(mapping.status().ports[0]?.renewAt).toBeUndefined();
    clock.advance(86_400_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(responder.actionsNamed('AddPortMapping')).toHaveLength(2); // the refused one and the permanent one
  });
});

describe('finding the router', () => {
  it('uses what discovery found when no gateway is configured', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const discover = vi.fn<DiscoverRouters>(async () => ({ candidates: [{ protocol: 'nat-pmp', host: '127.0.0.1', port: responder.port }], problems: [] }));
    const mapping = service({ ports: ['c2s'] as MappedListener[] }, clock, discover);
    await mapping.start();
    expect(discover).toHaveBeenCalledWith('auto');
    expect(mapping.status()).toMatchObject({ state: 'mapped', router: { protocol: 'nat-pmp', discovered: true } });
  });

  it('says what to check when discovery finds no router', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const mapping = service({ ports: ['c2s'] }, clock);
    await mapping.start();
    expect(mapping.status().lastError).toBe(
      "no router on the network answered UPnP or NAT-PMP (no discovery in this test). Check that UPnP or NAT-PMP is switched on in the router's settings, or set portMapping.gateway",
    );
  });

  it('never searches the real network under the test runner', async () => {
    expect(await systemDiscovery()('auto')).toEqual({ candidates: [], problems: ['routers are not searched for under the test runner; set portMapping.gateway'] });
  });

  it('does not ask any router while switched off', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const responder = await natPmp(clock);
    const discover = vi.fn(noDiscovery);
    const mapping = service({ enabled: false, gateway: responder.gateway }, clock, discover);
    await mapping.start();
    clock.advance(3_600_000);
    expect(responder.requests).toEqual([]);
    expect(discover).not.toHaveBeenCalled();
    expect(mapping.status()).toMatchObject({ enabled: false, state: 'off' });
  });
});
